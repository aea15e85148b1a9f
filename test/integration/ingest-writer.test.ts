import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRunLog, getRunLog, recordProcessed } from '../../src/db/ingestion-repo.ts';
import { getSchedule } from '../../src/db/schedule-repo.ts';
import type { Db } from '../../src/db/types.ts';
import { emptyRejections } from '../../src/ingestion/processor.ts';
import { writeBatch } from '../../src/ingestion/writer.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { makeReadings, seedTestFleet, type SeededUnit } from '../support/ingest-fixtures.ts';

const T0 = Date.parse('2026-03-01T10:30:00Z');

const rollupsVsRecomputed = async (db: Db) => {
  const stored = await db.query(
    `SELECT storage_unit_id, bucket_start, reading_count, null_count, round(sum_c::numeric, 6)::float8 AS sum_c,
            min_c, max_c, good_quality_count FROM reading_rollups_hourly ORDER BY 1, 2`,
  );
  const recomputed = await db.query(
    `SELECT storage_unit_id, date_trunc('hour', recorded_at, 'UTC') AS bucket_start, count(*)::int AS reading_count,
            (count(*) FILTER (WHERE temperature_c IS NULL))::int AS null_count,
            round(coalesce(sum(temperature_c), 0)::numeric, 6)::float8 AS sum_c, min(temperature_c) AS min_c,
            max(temperature_c) AS max_c, (count(*) FILTER (WHERE quality_score >= 0.8))::int AS good_quality_count
     FROM temperature_readings GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  return { stored, recomputed };
};

/** Daily rollups as stored, and recomputed from raw readings for 'UTC' and each customer's zone. */
const dailyVsRecomputed = async (db: Db) => {
  const stored = await db.query(
    `SELECT storage_unit_id, time_zone, day::text AS day, reading_count, null_count,
            round(sum_c::numeric, 6)::float8 AS sum_c, min_c, max_c, good_quality_count
     FROM reading_rollups_daily ORDER BY 1, 2, 3`,
  );
  const recomputed = await db.query(
    `SELECT r.storage_unit_id, z.tz AS time_zone, ((r.recorded_at AT TIME ZONE z.tz)::date)::text AS day,
            count(*)::int AS reading_count, (count(*) FILTER (WHERE r.temperature_c IS NULL))::int AS null_count,
            round(coalesce(sum(r.temperature_c), 0)::numeric, 6)::float8 AS sum_c, min(r.temperature_c) AS min_c,
            max(r.temperature_c) AS max_c, (count(*) FILTER (WHERE r.quality_score >= 0.8))::int AS good_quality_count
     FROM temperature_readings r JOIN customers c ON c.id = r.customer_id
     CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['UTC', c.timezone]::text[])) z(tz)
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
  return { stored, recomputed };
};

describeEachBackend('ingest writer', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let customerId: string;
  let units: SeededUnit[];

  beforeEach(async () => {
    t = await create();
    db = t.db;
    // A zone east of UTC: its local days start at 14:00Z, so daily rollups differ from UTC days.
    const seeded = await seedTestFleet(db, ['B'], { timezone: 'Pacific/Auckland' });
    customerId = seeded.customers.B!;
    units = seeded.units;
  });
  afterEach(async () => t.drop());

  it('stores a batch once however often it is delivered, and rollups equal a recomputation', async () => {
    const readings = makeReadings(units, T0, 120);
    const batch = { batchId: randomUUID(), ingestionLogId: null, customerId, readings };
    const first = await writeBatch(db, batch);
    expect(first).toMatchObject({ stored: readings.length, duplicates: 0, alreadyApplied: false });
    expect(await writeBatch(db, batch)).toMatchObject({ stored: 0, alreadyApplied: true });
    // The same readings in a new batch (a re-fetched window) are duplicates by the natural key.
    const again = await writeBatch(db, { ...batch, batchId: randomUUID() });
    expect(again).toMatchObject({ stored: 0, duplicates: readings.length, alreadyApplied: false });
    // Overlapping window: half old, half new.
    const overlap = makeReadings(units, T0 + 60 * 60_000, 120);
    const third = await writeBatch(db, { ...batch, batchId: randomUUID(), readings: overlap });
    expect(third).toMatchObject({ stored: 60 * units.length, duplicates: 60 * units.length });

    const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM temperature_readings')) as [
      { n: number },
    ];
    expect(n).toBe(180 * units.length);
    const { stored, recomputed } = await rollupsVsRecomputed(db);
    expect(stored.length).toBeGreaterThan(3);
    expect(stored).toEqual(recomputed);
    // Across midnight in both zones (Auckland midnight is 11:00Z in March), then the daily rollups.
    await writeBatch(db, {
      ...batch,
      batchId: randomUUID(),
      readings: makeReadings(units, T0 + 12 * 3_600_000, 900),
    });
    const daily = await dailyVsRecomputed(db);
    expect(new Set(daily.stored.map((r) => (r as { time_zone: string }).time_zone))).toEqual(
      new Set(['UTC', 'Pacific/Auckland']),
    );
    expect(daily.stored.length).toBe(units.length * 5); // UTC: 1–2 March; Auckland: 1–3 March
    expect(daily.stored).toEqual(daily.recomputed);
    const nulls = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM temperature_readings WHERE temperature_c IS NULL AND equipment_status = 'failure'",
    );
    expect(nulls[0]!.n).toBeGreaterThan(0);
  });

  it('daily rollups are exact in a +5:45 zone, whose midnight falls at a quarter past the UTC hour', async () => {
    // No readings yet, so changing the zone directly needs no rebuild.
    await db.query("UPDATE customers SET timezone = 'Asia/Kathmandu' WHERE id = $1", [customerId]);
    // 17:40Z–18:49Z: Kathmandu midnight is 18:15Z.
    const readings = makeReadings(units, Date.parse('2026-03-01T17:40:00Z'), 70);
    await writeBatch(db, { batchId: randomUUID(), ingestionLogId: null, customerId, readings });
    const daily = await dailyVsRecomputed(db);
    expect(
      daily.stored.filter((r) => (r as { time_zone: string }).time_zone === 'Asia/Kathmandu'),
    ).toHaveLength(units.length * 2);
    expect(daily.stored).toEqual(daily.recomputed);
  });

  it('counts a run exactly, completes it with the last batch and only then advances the high-water mark', async () => {
    const windowEnd = new Date(T0 + 3_600_000);
    const logId = await createRunLog(db, {
      customerId,
      type: 'csv',
      sourceUrl: 'http://127.0.0.1:1/data/download.csv',
      windowStart: new Date(T0),
      windowEnd,
    });
    const readings = makeReadings(units, T0, 60);
    // One reading already stored before the run (it will count as a duplicate).
    await writeBatch(db, {
      batchId: randomUUID(),
      ingestionLogId: null,
      customerId,
      readings: readings.slice(0, 1),
    });
    const rejections = emptyRejections();
    rejections.counts.bad_unit = 2;
    await recordProcessed(db, logId, {
      processed: readings.length + 2,
      rejected: 2,
      rejections,
      accepted: readings.length,
    });
    const half = Math.ceil(readings.length / 2);
    const b1 = {
      batchId: randomUUID(),
      ingestionLogId: logId,
      customerId,
      readings: readings.slice(0, half),
    };
    const b2 = { batchId: randomUUID(), ingestionLogId: logId, customerId, readings: readings.slice(half) };

    const r1 = await writeBatch(db, b1);
    expect(r1.finalised).toBeUndefined();
    expect((await getSchedule(db, customerId))!.high_water_mark).toBeNull();
    expect((await getRunLog(db, logId))!.status).toBe('running');

    // A failing write (a unit that does not exist) rolls back entirely: no counts, no mark.
    const bad = {
      ...b2,
      readings: [{ ...b2.readings[0]!, storageUnitId: randomUUID() }, ...b2.readings.slice(1)],
    };
    await expect(writeBatch(db, bad)).rejects.toThrow();
    expect((await getRunLog(db, logId))!.records_succeeded).toBe(half - 1);
    expect((await getSchedule(db, customerId))!.high_water_mark).toBeNull();

    // Redelivery of the first batch changes nothing.
    expect((await writeBatch(db, b1)).alreadyApplied).toBe(true);

    const r2 = await writeBatch(db, b2);
    expect(r2.finalised).toMatchObject({ status: 'partial', records_succeeded: readings.length - 1 });
    const log = (await getRunLog(db, logId))!;
    expect(log).toMatchObject({
      status: 'partial',
      records_processed: readings.length + 2,
      records_succeeded: readings.length - 1,
      records_duplicate: 1,
      records_failed: 2,
      records_accepted: readings.length,
    });
    expect(log.rejection_reasons.counts).toEqual({ bad_unit: 2 });
    expect(log.end_time).not.toBeNull();
    expect(log.duration_ms).toBeGreaterThanOrEqual(0);
    const schedule = (await getSchedule(db, customerId))!;
    expect(schedule.high_water_mark!.toISOString()).toBe(windowEnd.toISOString());
    expect(schedule.last_success_at).not.toBeNull();

    const linked = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM temperature_readings WHERE ingestion_log_id = $1',
      [logId],
    );
    expect(linked[0]!.n).toBe(readings.length - 1);
  });

  it('never moves the high-water mark backwards', async () => {
    const mk = async (endMs: number) => {
      const id = await createRunLog(db, {
        customerId,
        type: 'api',
        sourceUrl: null,
        windowEnd: new Date(endMs),
      });
      const readings = makeReadings(units.slice(0, 1), endMs - 60_000, 1);
      await recordProcessed(db, id, {
        processed: 1,
        rejected: 0,
        rejections: emptyRejections(),
        accepted: 1,
      });
      return { batchId: randomUUID(), ingestionLogId: id, customerId, readings };
    };
    const late = await mk(T0 + 7_200_000);
    const early = await mk(T0 + 3_600_000);
    await writeBatch(db, late);
    await writeBatch(db, early);
    expect((await getSchedule(db, customerId))!.high_water_mark!.getTime()).toBe(T0 + 7_200_000);
  });
});
