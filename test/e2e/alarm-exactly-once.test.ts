import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { evaluatePending } from '../../src/alarms/evaluator.ts';
import { parseConfig } from '../../src/config/config.ts';
import { saveUnitRules } from '../../src/db/alarm-rules-repo.ts';
import { seedFleet } from '../../src/db/seed-fleet.ts';
import { evaluateSeries } from '../../src/domain/alarms/reference.ts';
import type { AlarmRule } from '../../src/domain/alarms/types.ts';
import type { Fleet } from '../../src/domain/fleet.ts';
import { toCelsius } from '../../src/domain/units.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { startMockFleet, type MockFleetHandle } from '../../src/simulation/mock-server.ts';
import { startTms, type RunningTms } from '../support/cli.ts';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { testFleet } from '../support/ingest-fixtures.ts';
import { deleteTopology, RABBITMQ_URL, rabbitUnavailable, testQueuePrefix } from '../support/rabbitmq.ts';
import { waitUntil } from '../support/wait.ts';

// Issue 11: "two ingest workers, kill -9 during evaluation, RabbitMQ redelivery: exactly one alarm
// and one notification per excursion". One mock customer whose units read every 10 s, collected every
// 10 s by two `tms up --roles ingest` processes on PostgreSQL + RabbitMQ. Faults are injected on three
// units; while they last, ingest processes are killed with SIGKILL one after the other (their unacked
// batches are redelivered to the survivor) and replaced. At the end every unit's alarms must be
// exactly those the reference evaluation finds in its stored readings, each fault one alarm, and the
// outbox one 'started' row per alarm and channel. RabbitMQ itself is never restarted here.

const log = pino({ level: 'silent' });
const config = parseConfig({});
const FREQUENCY_S = 10;
const CUSTOMER = 'A';
const FAULT_MINUTES = 1.5;

/** The customer's fleet with every unit reading every 10 s, so an excursion takes seconds, not minutes. */
const fastFleet = async (): Promise<Fleet> => {
  const fleet = await testFleet([CUSTOMER]);
  for (const c of fleet.customers)
    for (const f of c.facilities) for (const u of f.units) u.dataFrequencySeconds = FREQUENCY_S;
  return fleet;
};

/** high, critical, 6 °C above the set point, no delay: each faulted reading is beyond it, normal ones not. */
const highRule = (setPointC: number): AlarmRule => ({
  id: 'high',
  kind: 'high',
  severity: 'critical',
  threshold_c: setPointC + 6,
  delay_seconds: 0,
  deadband_c: 0.5,
  clear_delay_seconds: 0,
  enabled: true,
});

describe('alarms exactly once (PostgreSQL + RabbitMQ, two ingest processes, SIGKILL)', async () => {
  const why = (await rabbitUnavailable()) ?? (inject('postgresAdminUrl') ? null : 'PostgreSQL unavailable');
  let t: TestDatabase;
  let sims: MockFleetHandle;
  let dataDir: string;
  let env: Record<string, string>;
  const prefix = testQueuePrefix();
  const procs: RunningTms[] = [];
  const rules = new Map<string, AlarmRule>();

  const startIngest = (): RunningTms => {
    const p = startTms(['up', '--roles', 'ingest'], env);
    procs.push(p);
    return p;
  };
  const alive = (): RunningTms[] =>
    procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  const collectedAfter = async (at: number): Promise<boolean> => {
    const rows = await t.db.query<{ hwm: Date | null }>(
      `SELECT s.high_water_mark AS hwm FROM customers c LEFT JOIN ingestion_schedule s ON s.customer_id = c.id`,
    );
    return rows.every((r) => r.hwm !== null && r.hwm.getTime() > at);
  };

  beforeAll(async () => {
    if (why) return;
    t = await createPostgresDatabase();
    const fleet = await fastFleet();
    sims = await startMockFleet({
      fleet,
      seed: config.simSeed,
      host: '127.0.0.1',
      portStart: 0,
      clock: systemClock,
      log,
    });
    await seedFleet(t.db, fleet, { simHost: '127.0.0.1', simPortStart: 1 });
    for (const s of sims.servers)
      await t.db.query(
        'UPDATE customers SET api_url = $2, data_frequency_seconds = $3 WHERE customer_code = $1',
        [
          s.mock.customer.code,
          `${s.url}${s.mock.customer.method === 'api' ? '/temperature/current' : '/data/download.csv'}`,
          FREQUENCY_S,
        ],
      );
    const units = await t.db.query<{ id: string; set_temperature: number; temperature_unit: 'C' | 'F' }>(
      'SELECT id, set_temperature, temperature_unit FROM storage_units',
    );
    for (const u of units) {
      const rule = highRule(toCelsius(u.set_temperature, u.temperature_unit));
      rules.set(u.id, rule);
      await saveUnitRules(t.db, u.id, [rule]);
    }
    // A channel told at once: every alarm queues one 'started' row for it.
    await t.db.query(
      `INSERT INTO notification_channels (customer_id, type, target) SELECT id, 'webhook', 'https://alarms.invalid/hook' FROM customers`,
    );
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tms-alarm-e2e-'));
    env = {
      DATABASE_URL: t.url!,
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
    await deleteTopology(prefix).catch(() => undefined);
    await t?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(why)(
    'one alarm and one started notification per fault, through SIGKILLs and redelivery',
    { timeout: 300_000 },
    async () => {
      startIngest();
      startIngest();
      const firstTarget = Date.now() + 1_000;
      await waitUntil('the first collection', () => collectedAfter(firstTarget), 90_000);
      const sim = sims.servers[0]!;
      const faulted = sim.mock.customer.facilities.flatMap((f) => f.units).slice(0, 3);
      const faultStart = Date.now();
      for (const u of faulted) {
        const res = await fetch(
          `${sim.url}/simulate/fault/${encodeURIComponent(u.code)}?duration_minutes=${FAULT_MINUTES}&delta=12`,
          { method: 'POST' },
        );
        expect(res.status).toBe(201);
      }
      // While the faults last: kill an ingest process with SIGKILL every 20 s and start another.
      const faultEnd = faultStart + FAULT_MINUTES * 60_000;
      let kills = 0;
      while (Date.now() < faultEnd + 10_000) {
        await sleep(7_000 + (kills % 3) * 4_000);
        const victim = alive()[0];
        if (victim) {
          await victim.stop('SIGKILL');
          kills += 1;
        }
        startIngest();
      }
      expect(kills).toBeGreaterThanOrEqual(4);
      await waitUntil('collection after the faults', () => collectedAfter(faultEnd + 20_000), 120_000);
      await Promise.all(alive().map((p) => p.stop('SIGTERM')));
      // The ingest processes themselves raised the alarms of the faults (not only the drain below),
      // and none of them met an evaluation error.
      const raisedByWorkers = await t.db.query(`SELECT 1 FROM alarms WHERE started_at BETWEEN $1 AND $2`, [
        new Date(faultStart - 1_000),
        new Date(faultEnd),
      ]);
      expect(raisedByWorkers.length).toBeGreaterThanOrEqual(faulted.length);
      for (const p of procs) expect(p.output()).not.toMatch(/alarm (evaluation|worker pass) failed/);
      // Whatever a killed process left marked is evaluated once by whoever comes next: here, this test.
      for (let i = 0; i < 20; i++) if ((await evaluatePending(t.db, systemClock)).units === 0) break;
      expect(await t.db.query('SELECT 1 FROM alarm_pending')).toEqual([]);

      const unitIds = [...rules.keys()];
      for (const unitId of unitIds) {
        const readings = (
          await t.db.query<{ recorded_at: Date; temperature_c: number | null }>(
            'SELECT recorded_at, temperature_c FROM temperature_readings WHERE storage_unit_id = $1',
            [unitId],
          )
        ).map((r) => ({ recordedAtMs: r.recorded_at.getTime(), temperatureC: r.temperature_c }));
        const reference = evaluateSeries(rules.get(unitId)!, readings)
          .events.filter((e) => e.type === 'started')
          .map((e) => e.startedAtMs);
        const stored = await t.db.query<{ started_at: Date }>(
          'SELECT started_at FROM alarms WHERE storage_unit_id = $1 ORDER BY started_at',
          [unitId],
        );
        expect(
          stored.map((a) => a.started_at.getTime()),
          unitId,
        ).toEqual(reference);
      }
      const faultedIds = await t.db.query<{ id: string }>(
        `SELECT id FROM storage_units WHERE unit_code = ANY($1::text[])`,
        [faulted.map((u) => u.code)],
      );
      for (const { id } of faultedIds) {
        const during = await t.db.query(
          `SELECT 1 FROM alarms WHERE storage_unit_id = $1 AND started_at BETWEEN $2 AND $3`,
          [id, new Date(faultStart - 1_000), new Date(faultEnd)],
        );
        expect(during, `one alarm for the fault on ${id}`).toHaveLength(1);
      }
      const perChannel = await t.db.query<{ n: number }>(
        `SELECT count(o.id)::int AS n FROM alarms a CROSS JOIN notification_channels c
         LEFT JOIN notification_outbox o ON o.alarm_id = a.id AND o.channel_id = c.id AND o.event = 'started'
         WHERE c.customer_id = a.customer_id GROUP BY a.id, c.id`,
      );
      expect(perChannel.length).toBeGreaterThanOrEqual(3);
      expect(perChannel.every((r) => r.n === 1)).toBe(true);
      const doubled = await t.db.query(
        `SELECT alarm_id FROM alarm_events WHERE type = 'started' GROUP BY alarm_id HAVING count(*) > 1`,
      );
      expect(doubled).toEqual([]);
    },
  );
});
