import { afterEach, beforeEach, expect, it } from 'vitest';
import { evaluatePending } from '../../src/alarms/evaluator.ts';
import { runNoDataSweep } from '../../src/alarms/sweep-no-data.ts';
import { runSourceDownSweep } from '../../src/alarms/sweep-source-down.ts';
import { startAlarmWorker } from '../../src/alarms/worker.ts';
import { saveUnitRules } from '../../src/db/alarm-rules-repo.ts';
import { insertReadingsWithRollups } from '../../src/db/readings-query-repo.ts';
import type { Db } from '../../src/db/types.ts';
import type { AlarmRule } from '../../src/domain/alarms/types.ts';
import { fixedClock, manualClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedTestFleet, type SeededUnit } from '../support/ingest-fixtures.ts';
import { waitUntil } from '../support/wait.ts';

// The clock-driven side of alarms: the no-data sweep (a silent unit, a unit that never reported),
// source_down from failing ingestion runs, and the worker loop that runs both and the evaluator.

const T0 = Date.parse('2026-03-02T00:00:00Z');
const MIN = 60_000;

const NO_DATA: AlarmRule = {
  id: 'no-data',
  kind: 'no_data',
  severity: 'warning',
  no_data_seconds: 30 * 60,
  delay_seconds: 0,
  deadband_c: 0,
  clear_delay_seconds: 0,
  enabled: true,
};
const HIGH: AlarmRule = {
  id: 'high',
  kind: 'high',
  severity: 'critical',
  threshold_c: 8,
  delay_seconds: 0,
  deadband_c: 0,
  clear_delay_seconds: 0,
  enabled: true,
};

const store = async (db: Db, unit: SeededUnit, points: [number, number | null][]): Promise<void> => {
  await insertReadingsWithRollups(
    db,
    points.map(([m, v]) => ({
      customerId: unit.customerId,
      facilityId: unit.facilityId,
      unitId: unit.storageUnitId,
      recordedAt: new Date(T0 + m * MIN),
      temperatureC: v,
      sourceValue: v,
      sourceUnit: 'C',
      sensorId: 's1',
      qualityScore: 0.9,
      equipmentStatus: v === null ? 'failure' : 'normal',
    })),
  );
};

const alarmsOf = (db: Db, unitId: string | null, kind: string) =>
  db.query<{ started_at: Date; cleared_at: Date | null; storage_unit_id: string | null; events: string }>(
    `SELECT a.started_at, a.cleared_at, a.storage_unit_id,
            (SELECT string_agg(e.type, ',' ORDER BY e.at, e.id) FROM alarm_events e WHERE e.alarm_id = a.id) AS events
     FROM alarms a WHERE a.kind = $2 AND ($1::uuid IS NULL OR a.storage_unit_id = $1) ORDER BY a.started_at`,
    [unitId, kind],
  );

const addRun = async (db: Db, customerId: string, startMin: number, status: string): Promise<void> => {
  await db.query(
    `INSERT INTO ingestion_logs (customer_id, ingestion_type, status, start_time, end_time, error_message)
     VALUES ($1, 'api', $2, $3, $3::timestamptz + interval '2 seconds', $4)`,
    [customerId, status, new Date(T0 + startMin * MIN), status === 'failure' ? 'connection refused' : null],
  );
};

describeEachBackend('alarm sweeps', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let units: SeededUnit[];

  beforeEach(async () => {
    t = await create();
    db = t.db;
    units = (await seedTestFleet(db, ['A'])).units;
    // Every unit: created well before the readings of the tests.
    await db.query(`UPDATE storage_units SET created_at = $1`, [new Date(T0 - 60 * MIN)]);
    for (const u of units) await saveUnitRules(db, u.storageUnitId, [NO_DATA, HIGH]);
  });
  afterEach(async () => {
    await t.drop();
  });

  it('opens no_data at last reading + limit once, for silent and never-reporting units, and a reading clears it', async () => {
    const [unit, silent] = units as [SeededUnit, SeededUnit];
    await store(
      db,
      unit,
      Array.from({ length: 30 }, (_, m) => [m, 4] as [number, number]),
    );
    await evaluatePending(db, fixedClock(new Date(T0 + 30 * MIN)));
    // Every unit but the first never reported: silent since its creation (T0 − 60 min).
    const early = await runNoDataSweep(db, new Date(T0 + 58 * MIN));
    expect(early.opened).toBe(units.length - 1);
    expect(await alarmsOf(db, unit.storageUnitId, 'no_data')).toEqual([]);
    expect((await alarmsOf(db, silent.storageUnitId, 'no_data')).map((a) => a.started_at)).toEqual([
      new Date(T0 - 30 * MIN),
    ]);
    const due = await runNoDataSweep(db, new Date(T0 + 60 * MIN));
    expect(due.opened).toBe(1);
    expect(await runNoDataSweep(db, new Date(T0 + 90 * MIN))).toMatchObject({ due: 0, opened: 0 });
    expect(await alarmsOf(db, unit.storageUnitId, 'no_data')).toEqual([
      {
        started_at: new Date(T0 + 59 * MIN),
        cleared_at: null,
        storage_unit_id: unit.storageUnitId,
        events: 'started',
      },
    ]);
    await store(db, unit, [[95, 4]]);
    await evaluatePending(db, fixedClock(new Date(T0 + 96 * MIN)));
    expect(await alarmsOf(db, unit.storageUnitId, 'no_data')).toEqual([
      {
        started_at: new Date(T0 + 59 * MIN),
        cleared_at: new Date(T0 + 95 * MIN),
        storage_unit_id: unit.storageUnitId,
        events: 'started,cleared',
      },
    ]);
  });

  it('raises one source_down per customer from failing runs instead of no_data per unit, cleared by the next good run', async () => {
    const [unit] = units as [SeededUnit];
    const customerId = unit.customerId;
    await db.query(`UPDATE customers SET data_frequency_seconds = 300`);
    for (const u of units)
      await store(db, u, [
        [0, 4],
        [5, 4],
      ]);
    await evaluatePending(db, fixedClock(new Date(T0 + 6 * MIN)));
    await addRun(db, customerId, 5, 'success');
    for (let m = 10; m <= 40; m += 5) await addRun(db, customerId, m, 'failure');
    // The limit is 3 × 5 min = 15 min after the first failed run (T0 + 10 min).
    expect(await runSourceDownSweep(db, new Date(T0 + 24 * MIN))).toEqual({ opened: 0, cleared: 0 });
    expect(await runSourceDownSweep(db, new Date(T0 + 41 * MIN))).toEqual({ opened: 1, cleared: 0 });
    expect(await runSourceDownSweep(db, new Date(T0 + 42 * MIN))).toEqual({ opened: 0, cleared: 0 });
    // The units are silent since T0 + 5 min (no_data due at T0 + 35 min): covered, none raised.
    expect(await runNoDataSweep(db, new Date(T0 + 42 * MIN))).toMatchObject({ opened: 0 });
    expect(await alarmsOf(db, null, 'source_down')).toEqual([
      { started_at: new Date(T0 + 10 * MIN), cleared_at: null, storage_unit_id: null, events: 'started' },
    ]);
    // The source answers again with the readings it held back: the gap is covered, no no_data alarm.
    await addRun(db, customerId, 45, 'success');
    for (const u of units) await store(db, u, [[45, 4]]);
    await evaluatePending(db, fixedClock(new Date(T0 + 46 * MIN)));
    expect(await runSourceDownSweep(db, new Date(T0 + 46 * MIN))).toEqual({ opened: 0, cleared: 1 });
    expect(await alarmsOf(db, null, 'source_down')).toEqual([
      {
        started_at: new Date(T0 + 10 * MIN),
        cleared_at: new Date(T0 + 45 * MIN + 2000),
        storage_unit_id: null,
        events: 'started,cleared',
      },
    ]);
    expect(await alarmsOf(db, null, 'no_data')).toEqual([]);
  });

  it('runs in the worker loop: a wake evaluates at once, sweeps follow the clock, stop waits', async () => {
    const [unit] = units as [SeededUnit];
    const clock = manualClock(new Date(T0 + 10 * MIN));
    await store(db, unit, [[0, 4]]);
    // Polls and sweeps an hour apart: only wake() can make this one evaluate soon.
    const waiting = startAlarmWorker({
      db,
      clock,
      log: createLogger('silent'),
      pollMs: 3_600_000,
      sweepMs: 3_600_000,
    });
    try {
      await waitUntil(
        'the first pass',
        async () => (await db.query('SELECT 1 FROM alarm_pending')).length === 0,
      );
      await store(db, unit, [
        [5, 9],
        [10, 9],
      ]);
      waiting.wake();
      await waitUntil(
        'the high alarm',
        async () => (await alarmsOf(db, unit.storageUnitId, 'high')).length === 1,
        5_000,
      );
    } finally {
      await waiting.stop();
    }
    const sweeping = startAlarmWorker({ db, clock, log: createLogger('silent'), pollMs: 50, sweepMs: 50 });
    try {
      clock.advance(60 * MIN);
      await waitUntil(
        'the no_data alarm',
        async () => (await alarmsOf(db, unit.storageUnitId, 'no_data')).length === 1,
      );
      expect((await alarmsOf(db, unit.storageUnitId, 'no_data'))[0]?.started_at).toEqual(
        new Date(T0 + 40 * MIN),
      );
    } finally {
      await sweeping.stop();
    }
  });

  it('sweeps 10,000 units quickly when nothing is due', async () => {
    const [unit] = units as [SeededUnit];
    await db.query(
      `INSERT INTO storage_units (facility_id, customer_id, unit_code, size_value, size_unit, set_temperature,
         temperature_unit, created_at)
       SELECT $1, $2, 'BULK-' || g, 10, 'sqm', 4, 'C', $3 FROM generate_series(1, $4::int) g`,
      [unit.facilityId, unit.customerId, new Date(T0), 10_000 - units.length],
    );
    const now = new Date(T0 + 5 * MIN);
    let t0 = performance.now();
    const first = await runNoDataSweep(db, now);
    const firstMs = performance.now() - t0;
    expect(first.created).toBe(10_000);
    const timings: number[] = [];
    for (let i = 0; i < 5; i++) {
      t0 = performance.now();
      const r = await runNoDataSweep(db, now, { createStates: false });
      timings.push(performance.now() - t0);
      expect(r).toEqual({ created: 0, due: 0, opened: 0 });
    }
    timings.sort((a, b) => a - b);
    t0 = performance.now();
    await runNoDataSweep(db, now);
    const withNewUnitsMs = performance.now() - t0;
    console.log(
      `no-data sweep over 10,000 units [${db.backend}]: first ${firstMs.toFixed(0)} ms (creates the state rows, computes every due time), then median ${timings[2]?.toFixed(1)} ms, ${withNewUnitsMs.toFixed(0)} ms when it also looks for new units (every 5 min)`,
    );
    expect(timings[2]).toBeLessThan(100);
  }, 300_000);
});
