import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/record.ts';
import { deleteReadings, type DeletionAudit } from '../../src/db/clean-repo.ts';
import { migrate, type Migration } from '../../src/db/migrate.ts';
import type { Db } from '../../src/db/types.ts';
import { toCelsius } from '../../src/domain/units.ts';
import { complianceReport } from '../../src/readings/compliance.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, series, unitsOf, type UnitRef } from '../support/factories.ts';

// Migration 012: every rollup row keeps Σ exp(−10,000 K / T) of its readings with a temperature. Held
// to a recomputation from raw readings after writes, after `db clean` and after the migration's
// backfill; and the compliance figures from the rollups equal those from every reading when readings
// are regular (the property the fast path is documented to have).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 1);

/** Rollup rows whose mkt_term_sum differs from the sum over their raw readings (relative 1e-9). */
const drift = async (db: Db): Promise<unknown[]> => [
  ...(await db.query(
    `SELECT h.storage_unit_id, h.bucket_start, h.mkt_term_sum, x.e FROM reading_rollups_hourly h
     LEFT JOIN LATERAL (SELECT coalesce(sum(exp(-10000 / (r.temperature_c + 273.15))), 0) AS e
                        FROM temperature_readings r WHERE r.storage_unit_id = h.storage_unit_id
                         AND r.recorded_at >= h.bucket_start AND r.recorded_at < h.bucket_start + interval '1 hour') x ON true
     WHERE abs(h.mkt_term_sum - x.e) > 1e-9 * greatest(abs(x.e), 1e-300)`,
  )),
  ...(await db.query(
    `SELECT d.storage_unit_id, d.time_zone, d.day, d.mkt_term_sum, x.e FROM reading_rollups_daily d
     LEFT JOIN LATERAL (SELECT coalesce(sum(exp(-10000 / (r.temperature_c + 273.15))), 0) AS e
                        FROM temperature_readings r WHERE r.storage_unit_id = d.storage_unit_id
                         AND r.recorded_at >= (d.day::timestamp AT TIME ZONE d.time_zone)
                         AND r.recorded_at < ((d.day + 1)::timestamp AT TIME ZONE d.time_zone)) x ON true
     WHERE abs(d.mkt_term_sum - x.e) > 1e-9 * greatest(abs(x.e), 1e-300)`,
  )),
];

/** The audit entry `db clean` writes with a deletion (the trigger refuses one without its mark). */
const auditClean: DeletionAudit = (tx, deleted) =>
  recordAudit(tx, {
    entityType: 'readings',
    entityId: null,
    customerId: null,
    action: 'clean',
    details: { deleted },
    reason: 'MKT rollup test',
  });

const rollupRows = async (db: Db): Promise<number> =>
  (
    await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM reading_rollups_hourly WHERE mkt_term_sum > 0',
    )
  )[0]!.n;

describeEachBackend('MKT rollups', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let units: UnitRef[];

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    // Seeded customers keep their days in Europe/London and UTC: daily rows for two zones.
    units = [...(await unitsOf(db, 'A')), ...(await unitsOf(db, 'C'))];
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('keeps Σ exp(−ΔH/RT) in every hourly and daily row as writes add readings (failed reads, duplicates, late rows)', async () => {
    const [a, b] = [units[0]!, units.at(-1)!];
    await insertReadings(db, series(a, new Date(T0), 300, 600, 1));
    await insertReadings(db, series(b, new Date(T0 + 1234), 420, 500, 2));
    // A second batch into the same hours: late readings between the first ones, and duplicates.
    await insertReadings(db, series(a, new Date(T0 + 150_000), 300, 300, 3));
    await insertReadings(db, series(a, new Date(T0), 300, 50, 1));
    expect(await rollupRows(db)).toBeGreaterThan(40);
    expect(await drift(db)).toEqual([]);
  });

  it('rebuilds it where db clean deletes readings', async () => {
    await deleteReadings(db, { recordedBefore: new Date(T0 + 10 * HOUR + 17 * 60_000) }, auditClean);
    expect(await drift(db)).toEqual([]);
    await deleteReadings(db, { all: true }, auditClean);
  });

  it('equals the compliance figures from every reading when readings are regular (property, count- vs duration-weighted)', async () => {
    const now = new Date(T0 + 40 * DAY);
    const ctx = { db, clock: fixedClock(now) };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(60, 229, 300, 900),
        fc.integer({ min: 0, max: 3599 }),
        fc.integer({ min: 1, max: 3 * 24 * 3600 }),
        fc.array(
          fc.record({
            at: fc.double({ min: 0, max: 1, noNaN: true }),
            len: fc.integer({ min: 1, max: 20 }),
            delta: fc.double({ min: -12, max: 12, noNaN: true }),
          }),
          { maxLength: 4 },
        ),
        async (period, phaseS, windowStartS, faults) => {
          const unit = units[run++ % units.length]!;
          // Readings are deleted only in a transaction marked audited (migration 014), as db clean does.
          await db.transaction(async (tx) => {
            await tx.query("SELECT set_config('tms.reading_delete', 'audited', true)");
            const gone = await tx.query(
              'DELETE FROM temperature_readings WHERE storage_unit_id = $1 RETURNING 1',
              [unit.id],
            );
            await tx.query('DELETE FROM reading_rollups_hourly WHERE storage_unit_id = $1', [unit.id]);
            await auditClean(tx, gone.length);
          });
          // Readings every `period` s must be the unit's expected interval: an API customer's is the
          // longer of its poll and the unit's period, so the customer polls at `period` too.
          await db.query('UPDATE storage_units SET data_frequency_seconds = $2 WHERE id = $1', [
            unit.id,
            period,
          ]);
          await db.query('UPDATE customers SET data_frequency_seconds = $2 WHERE id = $1', [
            unit.customer_id,
            period,
          ]);
          // Four days of readings every `period` s, drifting about the set point, with injected excursions.
          const count = Math.floor((4 * DAY) / (period * 1000));
          // No failed reads: one would make the series irregular (its neighbour holds two intervals).
          const setC = toCelsius(unit.set_temperature, unit.temperature_unit);
          const rows = series(unit, new Date(T0 + phaseS * 1000), period, count, run).map((r) => ({
            ...r,
            c: r.c ?? setC,
          }));
          for (const f of faults) {
            const at = Math.floor(f.at * (count - f.len));
            for (let i = at; i < at + f.len; i++) rows[i]!.c += f.delta;
          }
          await insertReadings(db, rows);
          const start = new Date(T0 + windowStartS * 1000);
          const range = { start, end: new Date(start.getTime() + DAY + 37 * 60_000) };
          const scope = { unitId: unit.id };
          const exact = await complianceReport(ctx, scope, range, { basis: 'readings' });
          const fast = await complianceReport(ctx, scope, range, { basis: 'rollups' });
          expect(fast.units[0]!.expected_interval_seconds).toBe(period);
          expect(fast.units[0]!.basis).toBe('rollups');
          expect(exact.units[0]!.basis).toBe('readings');
          expect(fast.mkt_c).toBeCloseTo(exact.mkt_c!, 3);
          expect(fast.mean_c).toBeCloseTo(exact.mean_c!, 3);
          const strip = (r: typeof exact) => ({ ...r.units[0]!, basis: null, mkt_c: null, mean_c: null });
          expect(strip(fast)).toEqual(strip(exact));
        },
      ),
      { numRuns: 10 },
    );
  }, 240_000);
});

/** The migrations up to `last`, read as migrate() does. */
const migrationsUpTo = async (last: number): Promise<Migration[]> => {
  const dir = path.join(import.meta.dirname, '../../src/db/migrations');
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f)).sort();
  const all = await Promise.all(
    files.map(async (f) => ({
      version: Number(f.slice(0, 3)),
      name: f.replace(/\.sql$/, ''),
      sql: await readFile(path.join(dir, f), 'utf8'),
    })),
  );
  return all.filter((m) => m.version <= last);
};

describeEachBackend('MKT rollups migration', ({ create }) => {
  let t: TestDatabase;

  afterAll(async () => {
    await t?.drop();
  });

  it('backfills mkt_term_sum of the rollups of readings stored before it', async () => {
    t = await create();
    const db = t.db;
    // A database as it was before migration 012, holding readings and their rollups.
    await db.exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public;`);
    await migrate(db, await migrationsUpTo(11));
    await seedDefaultFleet(db);
    const [u] = await unitsOf(db, 'C');
    await db.query(
      `INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c,
         source_value, source_unit, sensor_id, quality_score, equipment_status)
       SELECT $1, $2, $3, TIMESTAMPTZ '2026-03-01' + i * interval '7 minutes', CASE WHEN i % 97 = 0 THEN NULL ELSE 4 + (i % 13) * 0.5 END,
              NULL, 'C', 's', 0.9, CASE WHEN i % 97 = 0 THEN 'failure' ELSE 'normal' END
       FROM generate_series(0, 999) i`,
      [u!.customer_id, u!.facility_id, u!.id],
    );
    await db.query(
      `INSERT INTO reading_rollups_hourly (storage_unit_id, bucket_start, customer_id, facility_id, reading_count, null_count, sum_c, min_c, max_c)
       SELECT storage_unit_id, date_trunc('hour', recorded_at, 'UTC'), customer_id, facility_id, count(*),
              count(*) FILTER (WHERE temperature_c IS NULL), coalesce(sum(temperature_c), 0), min(temperature_c), max(temperature_c)
       FROM temperature_readings GROUP BY 1, 2, 3, 4`,
    );
    await db.query(
      `INSERT INTO reading_rollups_daily (storage_unit_id, time_zone, day, customer_id, facility_id, reading_count, null_count, sum_c, min_c, max_c)
       SELECT r.storage_unit_id, z.tz, (r.recorded_at AT TIME ZONE z.tz)::date, r.customer_id, r.facility_id, count(*),
              count(*) FILTER (WHERE r.temperature_c IS NULL), coalesce(sum(r.temperature_c), 0), min(r.temperature_c), max(r.temperature_c)
       FROM temperature_readings r JOIN customers c ON c.id = r.customer_id
       CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['UTC', c.timezone]::text[])) z(tz)
       GROUP BY 1, 2, 3, 4, 5`,
    );
    expect(await migrate(db)).toContain('012_mkt_rollups');
    expect(await rollupRows(db)).toBeGreaterThan(100);
    expect(
      (
        await db.query<{ n: number }>('SELECT count(DISTINCT time_zone)::int AS n FROM reading_rollups_daily')
      )[0]!.n,
    ).toBe(2);
    expect(await drift(db)).toEqual([]);
  });
});
