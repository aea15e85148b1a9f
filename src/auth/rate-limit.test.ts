import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter, FixedWindowCounter } from './rate-limit.ts';

describe('FixedWindowCounter', () => {
  it('counts per key, refuses past the limit and starts a new window when the old one ends', () => {
    const c = new FixedWindowCounter({ windowMs: 60_000 });
    expect(c.hit('a', 2, 0)).toMatchObject({ count: 1, remaining: 1, exceeded: false });
    expect(c.hit('a', 2, 1_000)).toMatchObject({ count: 2, remaining: 0, exceeded: false });
    expect(c.hit('a', 2, 2_000)).toMatchObject({ count: 3, exceeded: true, retryAfterSeconds: 58 });
    expect(c.hit('b', 2, 2_000)).toMatchObject({ count: 1, exceeded: false });
    expect(c.peek('a', 2, 59_999)).toMatchObject({ count: 3, exceeded: true, retryAfterSeconds: 1 });
    expect(c.hit('a', 2, 60_000)).toMatchObject({ count: 1, exceeded: false });
  });

  it('never resets a running window when many more keys than maxKeys are counted', () => {
    const c = new FixedWindowCounter({ windowMs: 3_600_000, maxKeys: 1_000 });
    for (let i = 0; i < 5; i++) c.hit('original', 5, i);
    for (let k = 0; k < 20_000; k++) c.hit(`minted-${k}`, 5, 10 + k);
    expect(c.size).toBeLessThanOrEqual(1_000);
    expect(c.hit('original', 5, 30_000)).toMatchObject({ count: 6, exceeded: true });
  });

  it('drops ended windows to make room before dropping any running one', () => {
    const c = new FixedWindowCounter({ windowMs: 1_000, maxKeys: 3 });
    c.hit('old1', 10, 0);
    c.hit('old2', 10, 0);
    c.hit('live', 10, 900);
    c.hit('live', 10, 950);
    c.hit('new', 10, 1_200);
    expect(c.size).toBe(2);
    expect(c.peek('live', 10, 1_200).count).toBe(2);
  });
});

describe('ConcurrencyLimiter', () => {
  const opts = { maxQueue: 1, maxWaitMs: 10_000 };

  it('admits up to the limit per key, lets a few wait in line, refuses beyond, and frees a slot once per release', async () => {
    const l = new ConcurrencyLimiter(2);
    const r1 = (await l.acquire('t', opts))!;
    const r2 = (await l.acquire('t', opts))!;
    expect(await l.acquire('other', opts)).toBeDefined();
    let third: (() => void) | undefined;
    const waiting = l.acquire('t', opts).then((r) => (third = r));
    expect(await l.acquire('t', opts)).toBeUndefined(); // the line (1) is full
    expect(third).toBeUndefined();
    r1();
    r1();
    await waiting;
    expect(third).toBeDefined(); // the slot went to the one in line
    expect(l.inFlight('t')).toBe(2);
    r2();
    third!();
    expect(l.inFlight('t')).toBe(0);
  });

  it('gives up a wait after maxWaitMs or when the caller goes away', async () => {
    const l = new ConcurrencyLimiter(1);
    const r1 = (await l.acquire('t', opts))!;
    expect(await l.acquire('t', { maxQueue: 1, maxWaitMs: 20 })).toBeUndefined();
    const gone = new AbortController();
    const waiting = l.acquire('t', { ...opts, signal: gone.signal });
    gone.abort();
    expect(await waiting).toBeUndefined();
    r1();
    expect(l.inFlight('t')).toBe(0);
    expect(await l.acquire('t', opts)).toBeDefined();
  });
});
