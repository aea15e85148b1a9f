/**
 * Bytes per stored reading (`npm run bench:storage`), before and after migration 019, in one run:
 *  1. a fresh PostgreSQL database `tms_bench_storage` at schema 018 (the wide table of migration 001)
 *     gets N readings of the default fleet's units, inserted minute by minute (every unit at each
 *     minute, as ingestion stores them), then VACUUM ANALYZE: table + indexes / N = "before";
 *  2. migration 019 upgrades it in place (timed): the partitioned table and its indexes / N = "after",
 *     with what each column and index costs;
 *  3. one more day of readings goes through the ingestion writer into the new schema: the bytes per
 *     reading of a partition being written (its index pages split as the units' keys grow).
 *
 *   npm run bench:storage -- [--readings 2000000]
 */
import { randomUUID } from 'node:crypto';
import { loadMigrations, migrate } from '../src/db/migrate.ts';
import { seedFleet } from '../src/db/seed-fleet.ts';
import type { Db } from '../src/db/types.ts';
import type { Reading } from '../src/domain/reading.ts';
import { writeBatch } from '../src/ingestion/writer.ts';
import { loadFleet } from '../src/simulation/fleet.ts';
import { openKeptDatabase } from './lib/kit.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const target = Number(arg('readings', '2000000'));
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const log = (...a: unknown[]) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const num = async (db: Db, sql: string, params: unknown[] = []): Promise<number> =>
  Number(Object.values((await db.query<Record<string, unknown>>(sql, params))[0]!)[0]);

/** Heap (with TOAST, FSM, VM) and each index of a table or of every partition of it, in bytes. */
const sizes = async (db: Db, table: string) =>
  db.query<{ relation: string; kind: string; bytes: number }>(
    `WITH leaves AS (
       SELECT $1::regclass AS oid
       UNION ALL SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass
     )
     SELECT 'heap' AS relation, 'table' AS kind, sum(pg_table_size(l.oid))::float8 AS bytes FROM leaves l
     UNION ALL
     SELECT coalesce(pi.relname, c.relname)::text, 'index', sum(pg_relation_size(i.indexrelid))::float8
     FROM leaves l JOIN pg_index i ON i.indrelid = l.oid JOIN pg_class c ON c.oid = i.indexrelid
     LEFT JOIN pg_inherits ih ON ih.inhrelid = i.indexrelid LEFT JOIN pg_class pi ON pi.oid = ih.inhparent
     GROUP BY 1`,
    [table],
  );

const report = async (db: Db, label: string, table: string, n: number): Promise<number> => {
  const rows = await sizes(db, table);
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(`\n${label}: ${n.toLocaleString('en')} readings, ${(total / 1048576).toFixed(1)} MiB`);
  for (const r of rows)
    console.log(
      `  ${r.kind.padEnd(5)} ${r.relation.padEnd(44)} ${(r.bytes / n).toFixed(1).padStart(7)} B/reading`,
    );
  console.log(`  total ${''.padEnd(44)} ${(total / n).toFixed(1).padStart(7)} B/reading`);
  return total / n;
};

const main = async (): Promise<void> => {
  const db = await openKeptDatabase(adminUrl, 'tms_bench_storage', { reload: true, max: 2 });
  const all = await loadMigrations();
  await migrate(
    db,
    all.filter((m) => m.version < 19),
  );
  await seedFleet(db, await loadFleet(), { simHost: '127.0.0.1', simPortStart: 8001 });
  const units = await num(db, 'SELECT count(*) FROM storage_units');
  const minutes = Math.ceil(target / units);
  const start = new Date(Date.UTC(2026, 0, 1));
  log(`filling schema 018: ${units} units × ${minutes} minutes`);
  const step = 1440;
  for (let m = 0; m < minutes; m += step) {
    await db.query(
      `INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c,
         source_value, source_unit, sensor_id, quality_score, equipment_status, created_at)
       SELECT u.customer_id, u.facility_id, u.id, t, v, v, 'C', 'sensor_' || (u.unit_code), q, 'normal', t + interval '40 s'
       FROM generate_series($1::timestamptz, $2::timestamptz, interval '1 minute') t
       CROSS JOIN storage_units u
       CROSS JOIN LATERAL (SELECT round((u.set_temperature + random() * 2 - 1)::numeric, 2)::float8 AS v,
                                  round((0.85 + random() * 0.15)::numeric, 2)::float8 AS q) x
       ORDER BY t, u.id`,
      [
        new Date(start.getTime() + m * 60_000),
        new Date(start.getTime() + (Math.min(m + step, minutes) - 1) * 60_000),
      ],
    );
  }
  await db.query('VACUUM ANALYZE temperature_readings');
  const n = await num(db, 'SELECT count(*) FROM temperature_readings');
  const before = await report(db, 'Schema 018 (before)', 'temperature_readings', n);

  const t0 = performance.now();
  await migrate(db, all);
  const upgradeS = (performance.now() - t0) / 1000;
  await db.query('VACUUM ANALYZE readings');
  const n2 = await num(db, 'SELECT count(*) FROM readings');
  if (n2 !== n) throw new Error(`the upgrade kept ${n2} of ${n} readings`);
  log(
    `in-place upgrade to 019: ${upgradeS.toFixed(1)} s (${Math.round(n / upgradeS).toLocaleString('en')} readings/s)`,
  );
  const after = await report(db, 'Schema 019 (after, as the upgrade packs it)', 'readings', n);
  const cols = await db.query<Record<string, number>>(
    `SELECT avg(pg_column_size(recorded_at))::float8 AS recorded_at, avg(pg_column_size(temperature_c))::float8 AS temperature_c,
            avg(pg_column_size(batch_key))::float8 AS batch_key, avg(pg_column_size(unit_key))::float8 AS unit_key,
            avg(pg_column_size(sensor_key))::float8 AS sensor_key, avg(pg_column_size(quality_score))::float8 AS quality_score,
            avg(pg_column_size(status))::float8 AS status, avg(pg_column_size(source_unit))::float8 AS source_unit,
            avg(pg_column_size(r.*))::float8 AS whole_row
     FROM (SELECT * FROM readings LIMIT 100000) r`,
  );
  console.log('  columns (bytes, before alignment):', JSON.stringify(cols[0]));
  console.log('  per row: 24-byte tuple header + data padded to 8 + 4-byte line pointer');

  // A day written by the ingestion writer into a fresh month (as live ingestion fills it).
  const unitRows = await db.query<{ id: string; facility_id: string; set_temperature: number }>(
    'SELECT id, facility_id, set_temperature FROM storage_units ORDER BY id',
  );
  const liveStart = Date.UTC(2030, 0, 1);
  let batch: Reading[] = [];
  for (let m = 0; m < 1440; m++) {
    for (const u of unitRows) {
      const c = u.set_temperature + Math.round((Math.random() * 2 - 1) * 100) / 100;
      batch.push({
        storageUnitId: u.id,
        facilityId: u.facility_id,
        recordedAtMs: liveStart + m * 60_000,
        temperatureC: c,
        sourceValue: c,
        sourceUnit: 'C',
        sensorId: `sensor_${u.id.slice(0, 4)}`,
        qualityScore: 0.9,
        equipmentStatus: 'normal',
      });
    }
    if (batch.length >= 2000 || m === 1439) {
      await writeBatch(db, { batchId: randomUUID(), ingestionLogId: null, readings: batch, customerId: '' });
      batch = [];
    }
  }
  await db.query('VACUUM ANALYZE readings_2030_01');
  const live = await num(db, 'SELECT count(*) FROM readings_2030_01');
  const liveBytes = await report(
    db,
    'A month being written (one day through the writer)',
    'readings_2030_01',
    live,
  );
  console.log(
    `\nSummary: ${before.toFixed(1)} → ${after.toFixed(1)} B/reading (${(before / after).toFixed(2)}× smaller) packed;` +
      ` ${liveBytes.toFixed(1)} B/reading in a month being written. PostgreSQL ${await num(db, "SELECT current_setting('server_version_num')::int")}.`,
  );
  await db.close();
};

await main();
