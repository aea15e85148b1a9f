import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { getSchedule } from '../../src/db/schedule-repo.ts';
import type { Db } from '../../src/db/types.ts';
import { CodeMapCache } from '../../src/ingestion/code-map.ts';
import type { PipelineDeps } from '../../src/ingestion/pipeline.ts';
import { Scheduler } from '../../src/ingestion/scheduler.ts';
import { verifyCustomer } from '../../src/ingestion/verify.ts';
import { writeBatch } from '../../src/ingestion/writer.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createInProcessQueue } from '../../src/queue/in-process.ts';
import type { ReadingQueue } from '../../src/queue/types.ts';
import { startMockFleet, type MockFleetHandle } from '../../src/simulation/mock-server.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedTestFleet, testFleet } from '../support/ingest-fixtures.ts';

const log = pino({ level: 'silent' });
const config = parseConfig({ TMS_INITIAL_BACKFILL_HOURS: '2', TMS_RETRY_BASE_SECONDS: '7' });

describeEachBackend('ingest pipeline', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let sims: MockFleetHandle;
  let queue: ReadingQueue;
  let deps: PipelineDeps;
  let customers: Record<string, string>;

  beforeEach(async () => {
    t = await create();
    db = t.db;
    sims = await startMockFleet({
      fleet: await testFleet(['A', 'B']),
      seed: config.simSeed,
      host: '127.0.0.1',
      portStart: 0,
      clock: systemClock,
      log,
    });
    customers = (await seedTestFleet(db, ['A', 'B'])).customers;
    for (const s of sims.servers)
      await db.query('UPDATE customers SET api_url = $2 WHERE customer_code = $1', [
        s.mock.customer.code,
        `${s.url}${s.mock.customer.method === 'api' ? '/temperature/current' : '/data/download.csv'}`,
      ]);
    queue = createInProcessQueue({ log });
    await queue.consume(async (b) => void (await writeBatch(db, b)));
    deps = {
      db,
      queue,
      codeMaps: new CodeMapCache(db),
      clock: systemClock,
      ingest: config.ingest,
      futureToleranceSeconds: 300,
    };
  });
  afterEach(async () => {
    await queue.close();
    await sims.close();
    await t.drop();
  });

  const runOnce = async (s: Scheduler) => {
    const claimed = await s.tick();
    await s.stop();
    await waitForIdle();
    return claimed;
  };
  const waitForIdle = async () => {
    while (queue.stats().pending > 0) await sleep(20);
  };
  const logsOf = (code: string) =>
    db.query<Record<string, unknown>>(
      'SELECT * FROM ingestion_logs WHERE customer_id = $1 ORDER BY start_time',
      [customers[code]],
    );

  it('collects API and CSV customers, stores exactly the served readings and logs true counts', async () => {
    const claimed = await runOnce(new Scheduler({ deps, log }));
    expect(claimed.map((c) => c.customer_code).sort()).toEqual(['A', 'B']);
    for (const code of ['A', 'B']) {
      const [run] = await logsOf(code);
      expect(run).toMatchObject({ status: 'success', records_failed: 0, records_duplicate: 0 });
      expect(run!.records_succeeded).toBe(run!.records_processed);
      expect(run!.records_succeeded as number).toBeGreaterThan(10);
      const report = await verifyCustomer(
        { db, config, clock: systemClock },
        { customerCode: code, since: run!.window_start as Date },
      );
      expect(report.warnings).toEqual([]);
      expect(report).toMatchObject({ ok: true, missing: 0, extra: 0, mismatched: 0 });
      expect(report.matched).toBe(run!.records_succeeded);
    }
    // The next run starts a little before the high-water mark: the overlap is counted as duplicates.
    await db.query('UPDATE ingestion_schedule SET next_run_at = now()');
    await runOnce(new Scheduler({ deps, log }));
    const second = (await logsOf('A'))[1]!;
    expect(second.status).toBe('success');
    expect(second.records_duplicate as number).toBeGreaterThan(0);
    const report = await verifyCustomer(
      { db, config, clock: systemClock },
      { customerCode: 'A', since: new Date(Date.now() - 2 * 3_600_000 + 5_000) },
    );
    expect(report.ok).toBe(true);
  });

  it('counts bad rows by reason and stores every good row', async () => {
    sims.servers.find((s) => s.mock.customer.code === 'B')!.mock.state.badDataRate = 0.5;
    await runOnce(new Scheduler({ deps, log }));
    const [run] = await logsOf('B');
    expect(run!.status).toBe('partial');
    const reasons = (run!.rejection_reasons as { counts: Record<string, number> }).counts;
    for (const r of ['missing_field', 'unknown_unit', 'bad_unit', 'future_timestamp'])
      expect(reasons[r], r).toBeGreaterThan(0);
    // A blank temperature is a failed read in CSV; next to the real reading of that instant it is a duplicate.
    expect((reasons.bad_temperature ?? 0) + (reasons.duplicate_in_batch ?? 0)).toBeGreaterThan(0);
    expect(run!.records_failed).toBe(Object.values(reasons).reduce((a, b) => a + b, 0));
    expect(run!.records_succeeded as number).toBe(
      (run!.records_processed as number) - (run!.records_failed as number),
    );
    const report = await verifyCustomer(
      { db, config, clock: systemClock },
      { customerCode: 'B', since: new Date(Date.now() - 2 * 3_600_000 + 5_000) },
    );
    expect(report).toMatchObject({ ok: true, missing: 0, extra: 0, mismatched: 0 });
  });

  it('backs off exponentially while a source is down and backfills the gap when it returns', async () => {
    const a = sims.servers.find((s) => s.mock.customer.code === 'A')!;
    a.mock.state.outageUntilMs = Date.now() + 60_000;
    await runOnce(new Scheduler({ deps, log }));
    let sched = (await getSchedule(db, customers.A!))!;
    expect(sched).toMatchObject({ consecutive_failures: 1, high_water_mark: null });
    expect(sched.last_error).toMatch(/HTTP 503/);
    const delay = sched.next_run_at.getTime() - Date.now();
    expect(delay).toBeGreaterThan(5_000);
    expect(delay).toBeLessThanOrEqual(7_000);
    await db.query('UPDATE ingestion_schedule SET next_run_at = now() WHERE customer_id = $1', [customers.A]);
    await runOnce(new Scheduler({ deps, log }));
    sched = (await getSchedule(db, customers.A!))!;
    expect(sched.consecutive_failures).toBe(2);
    expect(sched.next_run_at.getTime() - Date.now()).toBeGreaterThan(12_000);
    const failed = await logsOf('A');
    expect(failed.map((l) => l.status)).toEqual(['failure', 'failure']);
    a.mock.state.outageUntilMs = 0;
    await db.query('UPDATE ingestion_schedule SET next_run_at = now() WHERE customer_id = $1', [customers.A]);
    await runOnce(new Scheduler({ deps, log }));
    sched = (await getSchedule(db, customers.A!))!;
    expect(sched.consecutive_failures).toBe(0);
    const report = await verifyCustomer(
      { db, config, clock: systemClock },
      { customerCode: 'A', since: new Date(Date.now() - 2 * 3_600_000 + 5_000) },
    );
    expect(report).toMatchObject({ ok: true, missing: 0 });
  });

  it('gives each customer to exactly one of two schedulers, and sees customer changes without a restart', async () => {
    await db.query('UPDATE customers SET data_frequency_seconds = 10');
    const s1 = new Scheduler({ deps, log, owner: 'one' });
    const s2 = new Scheduler({ deps, log, owner: 'two' });
    const [c1, c2] = await Promise.all([s1.tick(), s2.tick()]);
    const ids = [...c1, ...c2].map((c) => c.customer_code).sort();
    expect(ids).toEqual(['A', 'B']);
    // While leased, nobody else gets them.
    expect(await new Scheduler({ deps, log, owner: 'three' }).tick()).toEqual([]);
    await Promise.all([s1.stop(), s2.stop()]);
    await waitForIdle();
    // Deactivated: never claimed again. A new URL is used by the next run.
    await db.query("UPDATE customers SET is_active = false WHERE customer_code = 'B'");
    await db.query(
      "UPDATE customers SET api_url = 'http://127.0.0.1:1/temperature/current' WHERE customer_code = 'A'",
    );
    await db.query('UPDATE ingestion_schedule SET next_run_at = now()');
    const s3 = new Scheduler({ deps, log, owner: 'four' });
    expect((await s3.tick()).map((c) => c.customer_code)).toEqual(['A']);
    await s3.stop();
    const last = (await logsOf('A')).at(-1)!;
    expect(last).toMatchObject({ status: 'failure', source_url: 'http://127.0.0.1:1/temperature/current' });
  });

  it('takes over a customer whose lease expired (its process died)', async () => {
    await db.query(
      "UPDATE ingestion_schedule SET lease_owner = 'dead', lease_expires_at = now() + interval '1 hour'",
    );
    expect(await new Scheduler({ deps, log, owner: 'x' }).tick()).toEqual([]);
    await db.query("UPDATE ingestion_schedule SET lease_expires_at = now() - interval '1 second'");
    const s = new Scheduler({ deps, log, owner: 'y' });
    expect((await s.tick()).length).toBe(2);
    await s.stop();
  });
});
