/**
 * Scale test (`npm run bench:scale`): fills PostgreSQL database `tms_bench_scale` with N readings
 * (default 100M) of a larger simulated fleet — the default fleet plus synthetic customers of 100
 * units each, every unit reporting once a minute over the days ending now — by the fast path
 * (rows generated inside PostgreSQL, inserted month by month in key order), then prints:
 *   - bytes per stored reading (table + indexes, every partition);
 *   - the rollup rebuild time (hourly and daily rollups of every reading, from the raw rows);
 *   - `tms db status` time (median of 5) beside a count(*) of the readings;
 *   - bench:api latencies at that size (`bench/api.ts` run against this database);
 *   - the retention run time: the oldest month dropped whole, one customer's day deleted in batches.
 * The database is kept between runs (loading takes a while); `--reload` starts again.
 *
 *   npm run bench:scale -- [--readings 100000000] [--units-per-customer 100] [--reload] [--skip-api]
 *                          [--database tms_bench_scale] [--duration 10]
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { runRetention } from '../src/admin/retention.ts';
import { migrate } from '../src/db/migrate.ts';
import { ROLLUP_AGGREGATES_OF_R } from '../src/db/readings-repo.ts';
import { seedFleet } from '../src/db/seed-fleet.ts';
import { readDbStatus } from '../src/db/status-repo.ts';
import type { Db } from '../src/db/types.ts';
import { systemClock } from '../src/lib/clock.ts';
import { loadFleet } from '../src/simulation/fleet.ts';
import { median, openKeptDatabase } from './lib/kit.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const target = Number(arg('readings', '100000000'));
const perCustomer = Number(arg('units-per-customer', '100'));
const reload = process.argv.includes('--reload');
const skipApi = process.argv.includes('--skip-api');
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = arg('database', 'tms_bench_scale');
const DAY_MS = 86_400_000;
const UNITS = 2000;

const log = (...a: unknown[]) => console.log(`[scale ${new Date().toISOString().slice(11, 19)}]`, ...a);
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
};
const one = async (db: Db, sql: string, params: unknown[] = []): Promise<number> =>
  Number(Object.values((await db.query<Record<string, unknown>>(sql, params))[0]!)[0]);

/** The default fleet plus synthetic customers of `perCustomer` units until there are UNITS units. */
const seedUnits = async (db: Db): Promise<void> => {
  await seedFleet(db, await loadFleet(), { simHost: '127.0.0.1', simPortStart: 8001 });
  let units = await one(db, 'SELECT count(*) FROM storage_units');
  for (let c = 1; units < UNITS; c++) {
    const code = `SCALE_${String(c).padStart(3, '0')}`;
    await db.query(
      `WITH c AS (
         INSERT INTO customers (customer_code, name, data_sharing_method, data_frequency_seconds)
         VALUES ($1, $1, 'api', 60) RETURNING id),
       f AS (INSERT INTO facilities (customer_id, facility_code, name) SELECT id, $1 || '_F1', $1 FROM c RETURNING id, customer_id)
       INSERT INTO storage_units (facility_id, customer_id, unit_code, size_value, size_unit, set_temperature,
         temperature_unit, data_frequency_seconds)
       SELECT f.id, f.customer_id, $1 || '_U' || i, 20, 'sqm', CASE WHEN i % 3 = 0 THEN 4 ELSE -20 END, 'C', 60
       FROM f, generate_series(1, $2::int) i`,
      [code, Math.min(perCustomer, UNITS - units)],
    );
    units = await one(db, 'SELECT count(*) FROM storage_units');
  }
};

/**
 * Every unit once a minute over `days` days ending at the last whole minute, inserted inside
 * PostgreSQL one day at a time (all units, each unit's minutes in order), then the rollups rebuilt
 * from the raw rows (timed).
 */
const load = async (db: Db, days: number): Promise<number> => {
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const start = end - days * DAY_MS;
  await db.query('SELECT readings_ensure_partitions($1, $2)', [new Date(start), new Date(end)]);
  const [batch] = await db.query<{ k: string }>(
    `INSERT INTO ingestion_batches (batch_id, reading_count, stored, duplicates) VALUES (gen_random_uuid(), 0, 0, 0)
     RETURNING batch_key::text AS k`,
  );
  const t0 = performance.now();
  for (let d = 0; d < days; d++) {
    const from = new Date(start + d * DAY_MS);
    await db.query(
      // One read in a thousand failed (null temperature, status f).
      `INSERT INTO readings (recorded_at, temperature_c, batch_key, unit_key, sensor_key, quality_score, status, source_unit)
       SELECT t, CASE WHEN r1 < 0.001 THEN NULL ELSE round((set_temperature + r2 * 3 - 1.5)::numeric, 2)::float8 END,
              $3::bigint, reading_key, 0, round((0.85 + r3 * 0.15)::numeric, 2)::real,
              CASE WHEN r1 < 0.001 THEN 'f' ELSE 'n' END::"char", 'C'
       FROM (SELECT u.reading_key, u.set_temperature, t, random() AS r1, random() AS r2, random() AS r3
             FROM storage_units u CROSS JOIN generate_series($1::timestamptz, $2::timestamptz, interval '1 minute') t) s
       ORDER BY reading_key, t`,
      [from, new Date(from.getTime() + DAY_MS - 60_000), batch!.k],
    );
    const done = (d + 1) / days;
    const rate = ((performance.now() - t0) / 1000 / (d + 1)) * (days - d - 1);
    log(`loaded day ${d + 1}/${days} (${(done * 100).toFixed(0)} %), about ${Math.round(rate)} s to go`);
  }
  return (performance.now() - t0) / 1000;
};

const rebuildRollups = async (db: Db): Promise<number> => {
  const [, s] = await timed(async () => {
    await db.query('TRUNCATE reading_rollups_hourly, reading_rollups_daily');
    await db.query(
      `INSERT INTO reading_rollups_hourly (storage_unit_id, bucket_start, customer_id, facility_id, reading_count,
         null_count, sum_c, min_c, max_c, good_quality_count, mkt_term_sum)
       SELECT u.id, date_trunc('hour', r.recorded_at, 'UTC'), u.customer_id, u.facility_id, ${ROLLUP_AGGREGATES_OF_R}
       FROM readings r JOIN storage_units u ON u.reading_key = r.unit_key
       GROUP BY u.id, u.customer_id, u.facility_id, 2`,
    );
    await db.query(
      `INSERT INTO reading_rollups_daily (storage_unit_id, time_zone, day, customer_id, facility_id, reading_count,
         null_count, sum_c, min_c, max_c, good_quality_count, mkt_term_sum)
       SELECT h.storage_unit_id, z.tz, (h.bucket_start AT TIME ZONE z.tz)::date, h.customer_id, h.facility_id,
              sum(h.reading_count), sum(h.null_count), sum(h.sum_c), min(h.min_c), max(h.max_c),
              sum(h.good_quality_count), sum(h.mkt_term_sum)
       FROM reading_rollups_hourly h JOIN customers c ON c.id = h.customer_id
       CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['UTC', c.timezone]::text[])) z(tz)
       GROUP BY 1, 2, 3, 4, 5`,
    );
  });
  return s;
};

const bytesPerReading = async (db: Db, n: number) => {
  const rows = await db.query<{ kind: string; bytes: number }>(
    `SELECT 'table' AS kind, sum(pg_table_size(inhrelid))::float8 AS bytes FROM pg_inherits WHERE inhparent = 'readings'::regclass
     UNION ALL
     SELECT 'indexes', sum(pg_indexes_size(inhrelid))::float8 FROM pg_inherits WHERE inhparent = 'readings'::regclass`,
  );
  const [table, indexes] = [rows[0]!.bytes, rows[1]!.bytes];
  return {
    table: table / n,
    indexes: indexes / n,
    total: (table + indexes) / n,
    gib: (table + indexes) / 2 ** 30,
  };
};

const main = async (): Promise<void> => {
  console.log(
    `bench:scale — ${target.toLocaleString('en')} readings; ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}`,
  );
  const db = await openKeptDatabase(adminUrl, DB_NAME, { reload, max: 4 });
  await migrate(db);
  let n = await one(
    db,
    "SELECT coalesce(sum(reltuples), 0)::float8 FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid WHERE i.inhparent = 'readings'::regclass",
  );
  let rollupS: number | null = null;
  if (n < target * 0.95) {
    if (n > 0) throw new Error(`${DB_NAME} holds ${n} readings, fewer than asked: run with --reload`);
    await seedUnits(db);
    const units = await one(db, 'SELECT count(*) FROM storage_units');
    const days = Math.ceil(target / units / 1440);
    log(`loading ${units} units × ${days} days of minute readings`);
    const loadS = await load(db, days);
    n = await one(db, 'SELECT count(*)::float8 FROM readings');
    log(
      `loaded ${n.toLocaleString('en')} readings in ${loadS.toFixed(0)} s (${Math.round(n / loadS).toLocaleString('en')}/s)`,
    );
    log('rebuilding the rollups from the raw readings');
    rollupS = await rebuildRollups(db);
    await db.query('VACUUM ANALYZE');
  } else {
    n = await one(db, 'SELECT count(*)::float8 FROM readings');
    log(`reusing ${n.toLocaleString('en')} readings`);
  }
  const units = await one(db, 'SELECT count(*) FROM storage_units');
  const partitions = await one(db, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'readings'::regclass");
  const bytes = await bytesPerReading(db, n);

  const statusRuns: number[] = [];
  for (let i = 0; i < 5; i++) statusRuns.push((await timed(() => readDbStatus(db)))[1] * 1000);
  const [, countS] = await timed(() => db.query('SELECT count(*) FROM temperature_readings'));

  let api = '';
  if (!skipApi) {
    log('bench:api against this database');
    api = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        'bench/api.ts',
        '--readings',
        String(Math.floor(n)),
        '--duration',
        arg('duration', '10'),
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, TMS_BENCH_API_DATABASE: DB_NAME },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
  }

  // Retention: a system retention that cuts at the first of the month before this one (the oldest
  // month goes whole), and one customer keeping a day less (its readings of that day go in batches).
  const now = new Date();
  const firstOfLastMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
  const days = Math.floor(
    (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - firstOfLastMonth) / DAY_MS,
  );
  await db.query("UPDATE system_config SET value = $1::jsonb WHERE key = 'data_retention_days'", [
    JSON.stringify(days),
  ]);
  await db.query("UPDATE customers SET data_retention_days = $1 WHERE customer_code = 'SCALE_001'", [
    days - 1,
  ]);
  const dry = await runRetention({ db, clock: systemClock }, { dryRun: true });
  const [ret, retS] = await timed(() => runRetention({ db, clock: systemClock }));
  const nAfter = await one(db, 'SELECT count(*)::float8 FROM readings');

  console.log(
    `\nbench:scale on PostgreSQL ${await one(db, "SELECT current_setting('server_version_num')::int")}, ${units} units, ${partitions} monthly partitions, ${n.toLocaleString('en')} readings`,
  );
  console.log(
    `  bytes per reading: ${bytes.total.toFixed(1)} (table ${bytes.table.toFixed(1)} + indexes ${bytes.indexes.toFixed(1)}), ${bytes.gib.toFixed(2)} GiB`,
  );
  if (rollupS !== null)
    console.log(
      `  rollup rebuild (hourly + daily in UTC and each customer's zone, from every raw reading): ${rollupS.toFixed(0)} s`,
    );
  console.log(
    `  tms db status: median ${median(statusRuns).toFixed(0)} ms of 5 (count(*) of the readings alone: ${(countS * 1000).toFixed(0)} ms)`,
  );
  console.log(
    `  retention run: ${retS.toFixed(1)} s — dropped ${ret.partitions_dropped.join(', ') || 'no partition'}, ${ret.total.toLocaleString('en')} readings in all (dry run said ${dry.total.toLocaleString('en')}); ${nAfter.toLocaleString('en')} left`,
  );
  const batched = ret.customers
    .filter((c) => c.batches > 0)
    .map((c) => `${c.customer_code}: ${c.batches} batches`);
  console.log(`  batched deletes: ${batched.join(', ') || 'none'}`);
  if (api) console.log(`\nbench:api at this size:\n${api}`);
  await db.close();
};

await main();
