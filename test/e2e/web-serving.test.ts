import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, registerDashboard } from '../../src/http/web.ts';

// How the api role serves the dashboard, on a bare Fastify app with a fake build (no browser).

const html = { accept: 'text/html,application/xhtml+xml' };

const appWith = async (webDir: string): Promise<FastifyInstance> => {
  const app = Fastify();
  // What the API does: a JSON banner at / and a JSON-only CSP on every response.
  app.get('/', async () => ({ message: 'Temperature Monitoring API' }));
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', "default-src 'none'").header('cache-control', 'no-store');
    return payload;
  });
  await registerDashboard(app, { webDir, buildWhenMissing: false });
  return app;
};

describe('dashboard serving', () => {
  let dir: string;
  let built: FastifyInstance;
  let missing: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tms-web-serving-'));
    await mkdir(path.join(dir, 'web', 'assets'), { recursive: true });
    await writeFile(
      path.join(dir, 'web', 'index.html'),
      '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>',
    );
    await writeFile(path.join(dir, 'web', 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'secret.txt'), 'nope');
    built = await appWith(path.join(dir, 'web'));
    missing = await appWith(path.join(dir, 'absent'));
  });
  afterAll(async () => {
    await built.close();
    await missing.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives a browser the dashboard at / with a strict CSP and no caching', async () => {
    const res = await built.inject({ url: '/', headers: html });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('/assets/index-abc123.js');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect((await built.inject({ url: '/index.html' })).statusCode).toBe(200);
  });

  it('keeps the JSON answer at / for API clients', async () => {
    const res = await built.inject({ url: '/', headers: { accept: 'application/json' } });
    expect(res.json()).toEqual({ message: 'Temperature Monitoring API' });
    expect(res.headers['content-security-policy']).toBe("default-src 'none'");
  });

  it('serves hashed assets for a year and nothing outside the assets folder', async () => {
    const res = await built.inject({ url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const url of [
      '/assets/../secret.txt',
      '/assets/..%2Fsecret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/missing.js',
      '/assets/index-abc123.exe',
    ])
      expect((await built.inject({ url })).statusCode, url).toBe(404);
  });

  it('says how to build the dashboard when it is missing', async () => {
    const res = await missing.inject({ url: '/', headers: html });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:web');
    expect(res.body).not.toContain('<script');
  });
});
