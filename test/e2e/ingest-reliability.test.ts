import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { verifyCustomer } from '../../src/ingestion/verify.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { startMockFleet, type MockFleetHandle } from '../../src/simulation/mock-server.ts';
import { startTms, type RunningTms } from '../support/cli.ts';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { seedTestFleet, testFleet } from '../support/ingest-fixtures.ts';
import {
  deleteTopology,
  publishRaw,
  RABBITMQ_URL,
  rabbitUnavailable,
  testQueuePrefix,
} from '../support/rabbitmq.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { waitUntil } from '../support/wait.ts';
import { topologyNames } from '../../src/queue/rabbitmq.ts';
import { connect } from 'amqplib';

// The reliability scenarios, one after the other against one fleet, real PostgreSQL and real
// RabbitMQ, with two `tms up --roles ingest` processes. The database is reached through a TCP proxy
// the test can cut. After every disruption the system must catch up, and at the end every reading
// the mock customers served up to each customer's high-water mark is stored exactly once.

const run = promisify(execFile);
const log = pino({ level: 'silent' });
const config = parseConfig({});
const FREQUENCY_S = 10;

describe('ingestion reliability (PostgreSQL + RabbitMQ)', async () => {
  const why = (await rabbitUnavailable()) ?? (inject('postgresAdminUrl') ? null : 'PostgreSQL unavailable');
  let t: TestDatabase;
  let sims: MockFleetHandle;
  let proxy: TcpProxy;
  let dataDir: string;
  let env: Record<string, string>;
  const prefix = testQueuePrefix();
  const procs: RunningTms[] = [];
  const startedAt = Date.now();

  /** Neither exited nor killed by a signal. */
  const isRunning = (p: RunningTms): boolean => p.child.exitCode === null && p.child.signalCode === null;

  const startIngest = (): RunningTms => {
    const p = startTms(['up', '--roles', 'ingest'], env);
    procs.push(p);
    return p;
  };

  /** Waits until every customer's high-water mark is past `t` (all of them collected and stored since). */
  const waitAllCollectedAfter = async (t: number, timeoutMs = 90_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const rows = await t_query<{ behind: number }>(
        `SELECT count(*)::int AS behind FROM customers c LEFT JOIN ingestion_schedule s ON s.customer_id = c.id
         WHERE c.is_active AND (s.high_water_mark IS NULL OR s.high_water_mark < $1)`,
        [new Date(t)],
      ).catch(() => [{ behind: -1 }]);
      if (rows[0]!.behind === 0) return;
      if (Date.now() > until)
        throw new Error(
          `customers not collected after ${new Date(t).toISOString()}:\n${procs.map((p) => p.output().slice(-3000)).join('\n---\n')}`,
        );
      await sleep(500);
    }
  };
  const t_query = <R>(sql: string, params: unknown[] = []) => t.db.query<R>(sql, params);

  beforeAll(async () => {
    if (why) return;
    t = await createPostgresDatabase();
    const fleet = await testFleet();
    sims = await startMockFleet({
      fleet,
      seed: config.simSeed,
      host: '127.0.0.1',
      portStart: 0,
      clock: systemClock,
      log,
    });
    await seedTestFleet(t.db, []);
    for (const s of sims.servers)
      await t.db.query(
        'UPDATE customers SET api_url = $2, data_frequency_seconds = $3 WHERE customer_code = $1',
        [
          s.mock.customer.code,
          `${s.url}${s.mock.customer.method === 'api' ? '/temperature/current' : '/data/download.csv'}`,
          FREQUENCY_S,
        ],
      );
    const target = new URL(t.url!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(t.url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tms-rel-'));
    env = {
      DATABASE_URL: viaProxy.toString(),
      RABBITMQ_URL,
      TMS_QUEUE_PREFIX: prefix,
      TMS_DATA_DIR: dataDir,
      TMS_INITIAL_BACKFILL_HOURS: '1',
      TMS_SCHEDULER_TICK_MS: '200',
      TMS_SCHEDULER_LEASE_SECONDS: '6',
      TMS_RETRY_BASE_SECONDS: '1',
      TMS_RETRY_MAX_SECONDS: '4',
      LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    if (why) return;
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await sims?.close();
    await proxy?.close();
    await deleteTopology(prefix).catch(() => undefined);
    await t?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(why)(
    'two ingest processes share the fleet: every customer collected, never twice in a period',
    async () => {
      startIngest();
      startIngest();
      await waitAllCollectedAfter(Date.now() + 1_000);
      await waitAllCollectedAfter(Date.now() + 2 * FREQUENCY_S * 1000);
      const gaps = await t_query<{ code: string; min_gap_s: number; runs: number }>(
        `SELECT c.customer_code AS code, min(gap)::float8 AS min_gap_s, count(*)::int AS runs FROM (
         SELECT customer_id, extract(epoch FROM start_time - lag(start_time) OVER (PARTITION BY customer_id ORDER BY start_time)) AS gap
         FROM ingestion_logs) g JOIN customers c ON c.id = g.customer_id GROUP BY c.customer_code`,
      );
      expect(gaps).toHaveLength(10);
      for (const g of gaps) expect(g.min_gap_s, g.code).toBeGreaterThanOrEqual(FREQUENCY_S * 0.9);
      // Both processes did collect (the lease spreads customers over them).
      for (const p of procs) expect(p.output()).toContain('run stored');
    },
  );

  it.skipIf(why)(
    'an ingest process killed with SIGKILL mid-stream loses nothing once restarted',
    async () => {
      await sleep(1_500);
      expect(await procs[0]!.stop('SIGKILL')).toBeNull();
      await sleep(2_000);
      startIngest();
      await waitAllCollectedAfter(Date.now() + 1_000);
    },
  );

  // Up to 60 s for the broker, 120 s to catch up and 60 s for both consumers to store a run.
  it.skipIf(why)(
    'RabbitMQ restarted mid-stream: the processes reconnect by themselves',
    { timeout: 270_000 },
    async () => {
      // The two processes alive now (the first was SIGKILLed by the previous scenario, on purpose).
      const survivors = procs.filter(isRunning);
      expect(survivors).toHaveLength(2);
      const outputBefore = survivors.map((p) => p.output().length);
      await run('rabbitmqctl', ['stop_app'], { timeout: 60_000 });
      await sleep(3_000);
      await run('rabbitmqctl', ['start_app'], { timeout: 60_000 });
      const after = Date.now();
      await waitAllCollectedAfter(after + 1_000, 120_000);
      // Neither process died of the broker's absence, and each one's consumer is back: it commits the
      // last batch of some run after the restart (runs keep coming every FREQUENCY_S, so this is a wait,
      // not a race between the two consumers).
      await waitUntil(
        'both surviving processes to store a run after the restart',
        () => survivors.every((p, i) => p.output().slice(outputBefore[i]).includes('run stored')),
        6 * FREQUENCY_S * 1000,
        250,
      );
      for (const [i, p] of survivors.entries()) expect(isRunning(p), `process ${i} still running`).toBe(true);
    },
  );

  it.skipIf(why)(
    'the database unreachable for 30 s: batches are held, not dead-lettered, and everything catches up',
    async () => {
      proxy.cut();
      await sleep(30_000);
      proxy.restore();
      const after = Date.now();
      await waitAllCollectedAfter(after + 1_000, 120_000);
      const c = await connect(RABBITMQ_URL);
      const ch = await c.createChannel();
      const dlq = await ch.checkQueue(topologyNames(prefix).deadLetterQueue);
      await c.close();
      expect(dlq.messageCount).toBe(0);
    },
  );

  it.skipIf(why)('a poison message goes to the dead-letter queue and the pipeline keeps going', async () => {
    await publishRaw(prefix, Buffer.from('{"batchId": 42, "not": "a batch"}'));
    const after = Date.now();
    await waitAllCollectedAfter(after + 1_000);
    const c = await connect(RABBITMQ_URL);
    const ch = await c.createChannel();
    const dlq = await ch.checkQueue(topologyNames(prefix).deadLetterQueue);
    await c.close();
    expect(dlq.messageCount).toBe(1);
  });

  it.skipIf(why)(
    'a source serving bad data: bad rows counted with reasons, good rows all stored',
    async () => {
      const bad = sims.servers.filter((s) => ['A', 'C'].includes(s.mock.customer.code));
      const since = new Date();
      for (const s of bad) s.mock.state.badDataRate = 0.3;
      await sleep(2 * FREQUENCY_S * 1000);
      for (const s of bad) s.mock.state.badDataRate = 0;
      await waitAllCollectedAfter(Date.now() + 1_000);
      const rows = await t_query<{
        code: string;
        reasons: { counts: Record<string, number> };
        failed: number;
        status: string;
      }>(
        `SELECT c.customer_code AS code, l.rejection_reasons AS reasons, l.records_failed AS failed, l.status
       FROM ingestion_logs l JOIN customers c ON c.id = l.customer_id WHERE l.start_time >= $1 AND l.records_failed > 0`,
        [since],
      );
      expect(new Set(rows.map((r) => r.code))).toEqual(new Set(['A', 'C']));
      for (const r of rows) {
        expect(r.status).toBe('partial');
        expect(Object.values(r.reasons.counts).reduce((a, b) => a + b, 0)).toBe(r.failed);
      }
    },
  );

  it.skipIf(why)(
    'in the end: nothing missing, nothing extra, nothing different, and the logs count truly',
    async () => {
      await Promise.all(procs.map((p) => p.stop('SIGTERM')));
      for (const code of 'ABCDEFGHIJ') {
        const [first] = await t_query<{ at: Date }>(
          `SELECT min(window_start) AS at FROM ingestion_logs l JOIN customers c ON c.id = l.customer_id
         WHERE c.customer_code = $1 AND l.status <> 'failure'`,
          [code],
        );
        const report = await verifyCustomer(
          { db: t.db, config, clock: systemClock },
          { customerCode: code, since: first!.at, faults: [] },
        );
        expect(report.expected, code).toBeGreaterThan(0);
        expect({
          code,
          missing: report.missing,
          extra: report.extra,
          mismatched: report.mismatched,
          ex: report.examples,
        }).toEqual({
          code,
          missing: 0,
          extra: 0,
          mismatched: 0,
          ex: { missing: [], extra: [], mismatched: [] },
        });
        expect(new Date(report.to).getTime()).toBeGreaterThan(startedAt);
      }
      // Exactly-once accounting: every stored reading was counted by exactly one run.
      const [sums] = await t_query<{ stored: number; counted: number }>(
        `SELECT (SELECT count(*)::int FROM temperature_readings) AS stored,
              (SELECT sum(records_succeeded)::int FROM ingestion_logs) AS counted`,
      );
      expect(sums!.counted).toBe(sums!.stored);
    },
  );
});
