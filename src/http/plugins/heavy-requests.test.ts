import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerHeavyRequestLimit } from './heavy-requests.ts';

describe('yieldToLight', () => {
  it('holds a heavy stream while a cheap request is in flight, and at most maxYieldMs', async () => {
    const app = Fastify();
    const heavy = registerHeavyRequestLimit(app, { perToken: 2, maxYieldMs: 10_000 });
    let finishLight!: () => void;
    const lightGate = new Promise<void>((resolve) => (finishLight = resolve));
    app.get('/light', async () => {
      await lightGate;
      return { ok: true };
    });
    await app.ready();

    await heavy.yieldToLight(); // nothing in flight: immediate
    const light = app.inject({ method: 'GET', url: '/light' });
    await sleep(50);
    let resumed = false;
    const waiting = heavy.yieldToLight().then(() => (resumed = true));
    await sleep(100);
    expect(resumed).toBe(false);
    finishLight();
    expect((await light).statusCode).toBe(200);
    await waiting;
    expect(resumed).toBe(true);

    // A cheap request that never ends cannot stop a stream: it waits maxYieldMs and goes on.
    const stuck = Fastify();
    const stuckHeavy = registerHeavyRequestLimit(stuck, { perToken: 2, maxYieldMs: 30 });
    stuck.get('/forever', () => new Promise(() => undefined));
    await stuck.ready();
    void stuck.inject({ method: 'GET', url: '/forever' });
    await sleep(50);
    const t0 = Date.now();
    await stuckHeavy.yieldToLight();
    expect(Date.now() - t0).toBeLessThan(1_000);
    await app.close();
  });
});
