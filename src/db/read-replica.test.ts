import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { replicaFailure, withReadReplica } from './read-replica.ts';
import type { Db } from './types.ts';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' });

/** A Db whose every statement answers `answer(text)` and is counted. */
const fakeDb = (name: string, answer: (text: string) => unknown[] | Error) => {
  const calls: string[] = [];
  let closed = false;
  const run = async <R>(text: string): Promise<R[]> => {
    calls.push(text);
    const a = answer(text);
    if (a instanceof Error) throw a;
    return a as R[];
  };
  const db: Db = {
    backend: 'postgres',
    location: name,
    query: (text) => run(text),
    exec: async (text) => void (await run(text)),
    transaction: (fn) => fn({ query: (text) => run(text), exec: async (text) => void (await run(text)) }),
    close: async () => {
      closed = true;
    },
  };
  return { db, calls, isClosed: () => closed };
};

const captureLog = () => {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
};

describe('replicaFailure', () => {
  it.each([
    [refused(), 'unreachable'],
    [Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 'unreachable'],
    [new Error('Connection terminated unexpectedly'), 'unreachable'],
    [new Error('timeout exceeded when trying to connect'), 'unreachable'],
    [Object.assign(new Error('the database system is starting up'), { code: '57P03' }), 'unreachable'],
    [
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      'unreachable',
    ],
    [Object.assign(new Error('connection failure'), { code: '08006' }), 'unreachable'],
    [Object.assign(new AggregateError([refused(), refused()]), {}), 'unreachable'],
    [
      Object.assign(new Error('canceling statement due to conflict with recovery'), { code: '40001' }),
      'conflict',
    ],
    [Object.assign(new Error('syntax error'), { code: '42601' }), undefined],
    [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), undefined],
    [new Error('Storage unit not found'), undefined],
  ])('%s → %s', (e, kind) => {
    expect(replicaFailure(e)).toBe(kind);
  });
});

describe('withReadReplica', () => {
  it('reads from the replica while it answers', async () => {
    const replica = fakeDb('replica', () => [{ v: 'replica' }]);
    const primary = fakeDb('primary', () => [{ v: 'primary' }]);
    const r = withReadReplica(replica.db, primary.db, { log: captureLog().log });
    expect(await r.db.query('SELECT v')).toEqual([{ v: 'replica' }]);
    expect(await r.db.transaction((tx) => tx.query('SELECT v'))).toEqual([{ v: 'replica' }]);
    expect(primary.calls).toEqual([]);
    await r.close();
  });

  it('falls back to the primary when the replica is unreachable, with one warning, and returns to it once it answers', async () => {
    let replicaUp = false;
    const replica = fakeDb('replica', () => (replicaUp ? [{ v: 'replica' }] : refused()));
    const primary = fakeDb('primary', () => [{ v: 'primary' }]);
    const { log, lines } = captureLog();
    const r = withReadReplica(replica.db, primary.db, { log, probeIntervalMs: 20 });
    expect(await r.db.query('SELECT v')).toEqual([{ v: 'primary' }]);
    // Down: later reads go straight to the primary, without trying the replica again.
    expect(await r.db.query('SELECT v')).toEqual([{ v: 'primary' }]);
    expect(await r.db.transaction((tx) => tx.query('SELECT v'))).toEqual([{ v: 'primary' }]);
    expect(replica.calls.filter((c) => c === 'SELECT v')).toHaveLength(1);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      'read replica unreachable: reading from the primary until it answers',
    ]);
    // The background probe finds it again.
    replicaUp = true;
    for (let i = 0; i < 50 && (await r.db.query('SELECT v'))[0]?.v !== 'replica'; i++) await sleep(10);
    expect(await r.db.query('SELECT v')).toEqual([{ v: 'replica' }]);
    expect(lines.some((l) => l.msg === 'read replica answers again: reads go to it')).toBe(true);
    await r.close();
    expect(replica.isClosed()).toBe(true);
    expect(primary.isClosed()).toBe(false);
  });

  it('retries a replay-conflict cancellation on the primary but keeps the replica', async () => {
    let first = true;
    const replica = fakeDb('replica', () => {
      if (first) {
        first = false;
        return Object.assign(new Error('canceling statement due to conflict with recovery'), {
          code: '40001',
        });
      }
      return [{ v: 'replica' }];
    });
    const primary = fakeDb('primary', () => [{ v: 'primary' }]);
    const r = withReadReplica(replica.db, primary.db, { log: captureLog().log });
    expect(await r.db.query('SELECT v')).toEqual([{ v: 'primary' }]);
    expect(await r.db.query('SELECT v')).toEqual([{ v: 'replica' }]);
    await r.close();
  });

  it('passes other errors through without asking the primary', async () => {
    const replica = fakeDb('replica', () => Object.assign(new Error('syntax error'), { code: '42601' }));
    const primary = fakeDb('primary', () => [{ v: 'primary' }]);
    const r = withReadReplica(replica.db, primary.db, { log: captureLog().log });
    await expect(r.db.query('SELEC v')).rejects.toThrow('syntax error');
    expect(primary.calls).toEqual([]);
    await r.close();
  });

  it('reports status and lag of the replica itself, and down when it does not answer', async () => {
    let lag: unknown[] | Error = [{ lag_seconds: 1.23456 }];
    const replica = fakeDb('replica', () => lag);
    const primary = fakeDb('primary', () => [{ lag_seconds: 0 }]);
    const r = withReadReplica(replica.db, primary.db, { log: captureLog().log });
    expect(await r.status()).toEqual({ status: 'ok', lagSeconds: 1.235 });
    lag = refused();
    expect(await r.status()).toEqual({ status: 'down', lagSeconds: null });
    expect(primary.calls).toEqual([]);
    await r.close();
  });

  it('says down when the replica does not answer within the status timeout', async () => {
    const hanging: Db = { ...fakeDb('replica', () => []).db, query: () => new Promise(() => undefined) };
    const r = withReadReplica(hanging, fakeDb('primary', () => []).db, {
      log: captureLog().log,
      statusTimeoutMs: 50,
    });
    expect(await r.status()).toEqual({ status: 'down', lagSeconds: null });
    await r.close();
  });
});
