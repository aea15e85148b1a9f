import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { evaluatePending } from '../../src/alarms/evaluator.ts';
import { saveUnitRules } from '../../src/db/alarm-rules-repo.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { insertReadingsWithRollups } from '../../src/db/readings-query-repo.ts';
import type { Db } from '../../src/db/types.ts';
import { evaluateSeries } from '../../src/domain/alarms/reference.ts';
import type { AlarmReading, AlarmRule } from '../../src/domain/alarms/types.ts';
import { fixedClock, manualClock } from '../../src/lib/clock.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedTestFleet, type SeededUnit } from '../support/ingest-fixtures.ts';

// The evaluator against a real database: readings stored as the writer stores them (which marks the
// unit in alarm_pending), then evaluation passes. Every test compares the stored alarms with the
// domain's reference evaluation over the whole stored series, the answer any order of arrival must give.

const T0 = Date.parse('2026-03-02T00:00:00Z');
const MIN = 60_000;

const RULES: AlarmRule[] = [
  {
    id: 'high-critical',
    kind: 'high',
    severity: 'critical',
    threshold_c: 8,
    delay_seconds: 15 * 60,
    deadband_c: 0.5,
    clear_delay_seconds: 10 * 60,
    enabled: true,
  },
  {
    id: 'low-critical',
    kind: 'low',
    severity: 'critical',
    threshold_c: 0,
    delay_seconds: 10 * 60,
    deadband_c: 0.5,
    clear_delay_seconds: 0,
    enabled: true,
  },
  {
    id: 'no-data',
    kind: 'no_data',
    severity: 'warning',
    no_data_seconds: 30 * 60,
    delay_seconds: 0,
    deadband_c: 0,
    clear_delay_seconds: 0,
    enabled: true,
  },
  {
    id: 'sensor-failure',
    kind: 'sensor_failure',
    severity: 'critical',
    failures_in_row: 3,
    delay_seconds: 0,
    deadband_c: 0,
    clear_delay_seconds: 0,
    enabled: true,
  },
];

/** A fridge day at 4 °C with a warm fault, a cold dip, three failed reads and a 45-min gap. */
const faultySeries = (minutes = 600): AlarmReading[] => {
  const out: AlarmReading[] = [];
  for (let m = 0; m < minutes; m++) {
    if (m >= 400 && m < 445) continue; // the source was silent
    let v: number | null = 4 + Math.sin(m / 7) * 0.3;
    if (m >= 60 && m < 130) v = 10 + (m % 5) * 0.2; // fault: 70 min warm
    if (m >= 130 && m < 150) v = 7.8; // back below the threshold but inside the deadband
    if (m >= 250 && m < 262) v = -1; // a cold dip, 12 min
    if (m >= 300 && m < 304) v = null; // four failed reads in a row
    out.push({ recordedAtMs: T0 + m * MIN, temperatureC: v });
  }
  return out;
};

const store = async (db: Db, unit: SeededUnit, readings: readonly AlarmReading[]): Promise<void> => {
  await insertReadingsWithRollups(
    db,
    readings.map((r) => ({
      customerId: unit.customerId,
      facilityId: unit.facilityId,
      unitId: unit.storageUnitId,
      recordedAt: new Date(r.recordedAtMs),
      temperatureC: r.temperatureC,
      sourceValue: r.temperatureC,
      sourceUnit: 'C',
      sensorId: 's1',
      qualityScore: 0.9,
      equipmentStatus: r.temperatureC === null ? 'failure' : 'normal',
    })),
  );
};

/** Evaluation passes until nothing is pending. */
const drain = async (db: Db, now: number): Promise<void> => {
  for (let i = 0; i < 50; i++) {
    const r = await evaluatePending(db, fixedClock(new Date(now)), { batchSize: 7 });
    if (r.failed.length > 0) throw new Error(`evaluation failed for ${r.failed.join(', ')}`);
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM alarm_pending')) as [
      { n: number },
    ];
    if (n === 0) return;
  }
  throw new Error('alarm_pending never drained');
};

interface StoredAlarm {
  rule_id: string;
  started_at: Date;
  confirmed_at: Date;
  cleared_at: Date | null;
  peak_c: number | null;
  time_beyond_seconds: number;
  events: string;
}

const storedAlarms = (db: Db, unitId: string): Promise<StoredAlarm[]> =>
  db.query<StoredAlarm>(
    `SELECT a.rule_id, a.started_at, a.confirmed_at, a.cleared_at, a.peak_c, a.time_beyond_seconds,
            (SELECT string_agg(e.type, ',' ORDER BY e.at, e.id) FROM alarm_events e WHERE e.alarm_id = a.id) AS events
     FROM alarms a WHERE a.storage_unit_id = $1 ORDER BY a.rule_id, a.started_at`,
    [unitId],
  );

/** What the reference evaluation over the whole series says the alarms are. */
const referenceAlarms = (readings: readonly AlarmReading[]) =>
  RULES.flatMap((rule) => {
    const { events, open } = evaluateSeries(rule, readings);
    const ends = new Map(events.filter((e) => e.type === 'cleared').map((e) => [e.startedAtMs, e]));
    const starts = events.filter((e) => e.type === 'started');
    return starts.map((s) => {
      const end = ends.get(s.startedAtMs);
      const stats =
        end?.type === 'cleared' ? end.stats : open?.startedAtMs === s.startedAtMs ? open.stats : null;
      return {
        rule_id: rule.id,
        started_at: new Date(s.startedAtMs),
        confirmed_at: new Date(s.type === 'started' ? s.confirmedAtMs : 0),
        cleared_at: end?.type === 'cleared' ? new Date(end.clearedAtMs) : null,
        peak_c: stats?.peakC ?? null,
        time_beyond_seconds: stats?.timeBeyondSeconds ?? 0,
        events: end ? 'started,cleared' : 'started',
      };
    });
  }).sort((a, b) =>
    a.rule_id === b.rule_id
      ? a.started_at.getTime() - b.started_at.getTime()
      : a.rule_id < b.rule_id
        ? -1
        : 1,
  );

/** A seeded shuffle (the same every run). */
const shuffled = <T>(xs: readonly T[], seed: number): T[] => {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

describeEachBackend('alarm evaluation', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let unit: SeededUnit;
  let other: SeededUnit;

  beforeEach(async () => {
    t = await create();
    db = t.db;
    const seeded = await seedTestFleet(db, ['A']);
    unit = seeded.units[0] as SeededUnit;
    other = seeded.units[1] as SeededUnit;
    await saveUnitRules(db, unit.storageUnitId, RULES);
    await saveUnitRules(db, other.storageUnitId, RULES);
  });
  afterEach(async () => {
    await t.drop();
  });

  it('turns a fault into an alarm with its true start, cleared only past the deadband after the clear delay', async () => {
    const readings = faultySeries();
    await store(db, unit, readings);
    await drain(db, T0 + 601 * MIN);
    const alarms = await storedAlarms(db, unit.storageUnitId);
    const high = alarms.find((a) => a.rule_id === 'high-critical');
    expect(high?.started_at).toEqual(new Date(T0 + 60 * MIN));
    expect(high?.confirmed_at).toEqual(new Date(T0 + 75 * MIN));
    // 7.8 °C is below 8 but not below 8 − 0.5: the alarm holds until the first 4 °C reading.
    expect(high?.cleared_at).toEqual(new Date(T0 + 150 * MIN));
    expect(high?.peak_c).toBeCloseTo(10.8, 6);
    expect(high?.time_beyond_seconds).toBe(70 * 60);
    expect(alarms).toEqual(referenceAlarms(readings));
    expect(alarms.map((a) => a.rule_id)).toEqual([
      'high-critical',
      'low-critical',
      'no-data',
      'sensor-failure',
    ]);
    // Nothing is left to do, and another pass changes nothing.
    expect((await evaluatePending(db, fixedClock(new Date(T0 + 602 * MIN)))).units).toBe(0);
    expect(await storedAlarms(db, unit.storageUnitId)).toEqual(alarms);
  });

  it('gives the same alarms for chunked, shuffled and redelivered batches, evaluated as they come', async () => {
    const readings = faultySeries();
    const clock = manualClock(new Date(T0));
    // In order, in chunks of 7 with an evaluation after each: the ordinary path.
    const inOrder: AlarmReading[][] = [];
    for (let i = 0; i < readings.length; i += 7) inOrder.push(readings.slice(i, i + 7));
    // Then a second unit gets the same series in shuffled chunks (late readings: replays), each chunk
    // delivered twice.
    const mixed = shuffled(readings, 7);
    for (const chunk of inOrder) {
      await store(db, unit, chunk);
      clock.advance(7 * MIN);
      await evaluatePending(db, clock);
    }
    for (let i = 0; i < mixed.length; i += 40) {
      const chunk = mixed.slice(i, i + 40);
      await store(db, other, chunk);
      await evaluatePending(db, clock);
      await store(db, other, chunk);
      await evaluatePending(db, clock);
    }
    await drain(db, T0 + 700 * MIN);
    const want = referenceAlarms(readings);
    expect(await storedAlarms(db, unit.storageUnitId)).toEqual(want);
    expect(await storedAlarms(db, other.storageUnitId)).toEqual(want);
  });

  it('evaluates readings committed before a crash exactly once, by whichever evaluator comes next', async () => {
    const readings = faultySeries(300);
    // The writer committed (the unit is marked), the process died before evaluating.
    await store(db, unit, readings.slice(0, 200));
    await store(db, unit, readings.slice(200));
    const first = await evaluatePending(db, fixedClock(new Date(T0 + 301 * MIN)));
    expect(first.units).toBe(1);
    const again = await evaluatePending(db, fixedClock(new Date(T0 + 302 * MIN)));
    expect(again.units).toBe(0);
    const alarms = await storedAlarms(db, unit.storageUnitId);
    expect(alarms).toEqual(referenceAlarms(readings));
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_outbox')) as [
      { n: number },
    ];
    expect(n).toBe(0); // no channel: nothing queued, and the count checks no stray rows
  });

  it('raises the alarms of a backfill after an outage with their true start, marked late, detected now', async () => {
    const readings = faultySeries();
    const beforeOutage = readings.filter((r) => r.recordedAtMs < T0 + 50 * MIN);
    const backfill = readings.filter((r) => r.recordedAtMs >= T0 + 50 * MIN);
    await store(db, unit, beforeOutage);
    await drain(db, T0 + 51 * MIN);
    expect(await storedAlarms(db, unit.storageUnitId)).toEqual([]);
    // Five hours later the source answers again with everything it held back.
    const detectedAt = new Date(T0 + 11 * 60 * MIN);
    await store(db, unit, backfill);
    await drain(db, detectedAt.getTime());
    const rows = await db.query<{ rule_id: string; started_at: Date; late: boolean; detected_at: Date }>(
      `SELECT rule_id, started_at, late, detected_at FROM alarms WHERE rule_id = 'high-critical'`,
    );
    expect(rows).toEqual([
      { rule_id: 'high-critical', started_at: new Date(T0 + 60 * MIN), late: true, detected_at: detectedAt },
    ]);
    expect(await storedAlarms(db, unit.storageUnitId)).toEqual(referenceAlarms(readings));
  });

  it('replays a late out-of-order batch from a checkpoint and reproduces the reference', async () => {
    // A day and a half in order (checkpoints roll every 6 h), then a batch that fills a hole 10 h back.
    const readings: AlarmReading[] = [];
    for (let m = 0; m < 36 * 60; m += 2) {
      const v = m >= 1800 && m < 1860 ? 11 : 4; // a 60-min fault inside the hole
      readings.push({ recordedAtMs: T0 + m * MIN, temperatureC: v });
    }
    const hole = readings.filter(
      (r) => r.recordedAtMs >= T0 + 1790 * MIN && r.recordedAtMs < T0 + 1870 * MIN,
    );
    const rest = readings.filter((r) => !hole.includes(r));
    for (let i = 0; i < rest.length; i += 100) {
      await store(db, unit, rest.slice(i, i + 100));
      await drain(db, T0 + 40 * 60 * MIN);
    }
    const [state] = await db.query<{ checkpoint_at: Date; checkpoint_next_at: Date }>(
      'SELECT checkpoint_at, checkpoint_next_at FROM alarm_unit_state WHERE storage_unit_id = $1',
      [unit.storageUnitId],
    );
    expect(state?.checkpoint_at).toEqual(new Date(T0 + 24 * 60 * MIN));
    expect(state?.checkpoint_next_at).toEqual(new Date(T0 + 30 * 60 * MIN));
    await store(db, unit, hole);
    const r = await evaluatePending(db, fixedClock(new Date(T0 + 40 * 60 * MIN)));
    expect(r.replayed).toBe(1);
    expect(await storedAlarms(db, unit.storageUnitId)).toEqual(referenceAlarms(readings));
  });
  it('moves an announced alarm to its true start when the earliest readings of the excursion come last', async () => {
    await db.query(
      `INSERT INTO notification_channels (customer_id, type, target) VALUES ($1, 'webhook', 'https://example.com/hook')`,
      [unit.customerId],
    );
    const readings = faultySeries(200);
    const first = readings.filter((r) => r.recordedAtMs < T0 + 60 * MIN || r.recordedAtMs >= T0 + 70 * MIN);
    const held = readings.filter((r) => !first.includes(r));
    await store(db, unit, first);
    await drain(db, T0 + 201 * MIN);
    // The alarm seen from 01:10 was announced (the notifier sent it) before the batch of 01:00–01:09 came.
    const [seenFirst] = await db.query<{ started_at: Date }>(
      `SELECT started_at FROM alarms WHERE rule_id = 'high-critical'`,
    );
    expect(seenFirst?.started_at).toEqual(new Date(T0 + 70 * MIN));
    await db.query(`UPDATE notification_outbox SET status = 'sent', attempts = 1, sent_at = now()`);
    await store(db, unit, held);
    await drain(db, T0 + 202 * MIN);
    expect(await storedAlarms(db, unit.storageUnitId)).toEqual(referenceAlarms(readings));
    const outbox = await db.query<{ event: string; n: number }>(
      `SELECT o.event, count(*)::int AS n FROM notification_outbox o JOIN alarms a ON a.id = o.alarm_id
       WHERE a.rule_id = 'high-critical' GROUP BY o.event ORDER BY o.event`,
    );
    expect(outbox).toEqual([
      { event: 'cleared', n: 1 },
      { event: 'started', n: 1 },
    ]);
  });
});

describeEachBackend('alarm evaluation, two evaluators', ({ backend, create }) => {
  let t: TestDatabase;
  afterEach(async () => {
    await t.drop();
  });

  it.runIf(backend === 'postgres')(
    'never stores an alarm twice when two evaluators race over the same pending units',
    async () => {
      t = await create();
      const seeded = await seedTestFleet(t.db, ['A', 'B']);
      const units = seeded.units.slice(0, 12);
      const second = await openPostgres({ url: t.url as string, max: 2 });
      try {
        for (const u of units) await saveUnitRules(t.db, u.storageUnitId, RULES);
        const readings = faultySeries();
        const clock = fixedClock(new Date(T0 + 700 * MIN));
        // Writers and two evaluators at once: chunks of every unit land while both drain.
        const writes = (async () => {
          for (let i = 0; i < readings.length; i += 60)
            for (const u of units) await store(t.db, u, readings.slice(i, i + 60));
        })();
        const evaluator = async (db: Db): Promise<number> => {
          let n = 0;
          for (let k = 0; k < 400; k++) {
            const r = await evaluatePending(db, clock, { batchSize: 3 });
            n += r.units;
            if (r.units === 0) await sleep(5);
          }
          return n;
        };
        await Promise.all([writes, evaluator(t.db), evaluator(second)]);
        await drain(t.db, T0 + 700 * MIN);
        const want = referenceAlarms(readings);
        for (const u of units) expect(await storedAlarms(t.db, u.storageUnitId)).toEqual(want);
        const [dups] = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id
           WHERE e.type = 'started' GROUP BY e.alarm_id HAVING count(*) > 1`,
        );
        expect(dups).toBeUndefined();
      } finally {
        await second.close();
      }
    },
    120_000,
  );
});
