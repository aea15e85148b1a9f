/**
 * `tms db status` at size (`npm run bench:db-status`, issue 13 item 6): loads N readings (default
 * 10M on PostgreSQL, 2M embedded) for 1,000 units of one customer by INSERT … SELECT generate_series,
 * plus their hourly rollups, into PostgreSQL database `tms_bench_status` (or an embedded PGlite
 * directory with `--backend pglite`), kept between runs (`--reload` rebuilds). Then prints, median
 * of 5 after one warm-up, the time of the old exact count (count(*) of temperature_readings) and of
 * the status as `tms db status` reads it now, the estimate against the exact count, and the plans
 * of the status's "newest" queries.
 *
 *   npm run bench:db-status -- [--backend postgres|pglite] [--readings 10000000] [--reload] [--no-analyze]
 *
 * `--no-analyze` skips the VACUUM ANALYZE after loading (only on a fresh load): the tables then have
 * no statistics, as right after a bulk load or always on PGlite, and the status samples pages.
 */
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../src/db/migrate.ts';
import { openPglite } from '../src/db/pglite.ts';
import { ROLLUP_AGGREGATES_OF_R } from '../src/db/readings-repo.ts';
import { readDbStatus } from '../src/db/status-repo.ts';
import type { Db } from '../src/db/types.ts';
import { median, openKeptDatabase } from './lib/kit.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const backend = arg('backend', 'postgres') as 'postgres' | 'pglite';
const target = Number(arg('readings', backend === 'postgres' ? '10000000' : '2000000'));
const reload = process.argv.includes('--reload');
const analyze = !process.argv.includes('--no-analyze');
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'tms_bench_status';
const UNITS = 1000;
const UNITS_PER_STATEMENT = 50;
const RUNS = 5;
const END = '2026-12-01T00:00:00Z';

const log = (...a: unknown[]) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const openBench = async (): Promise<Db> => {
  if (backend === 'pglite') {
    const dir = path.join(os.tmpdir(), `tms-bench-status-pglite-${target}`);
    if (reload) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return openPglite({ dataDir: dir });
  }
  return openKeptDatabase(adminUrl, DB_NAME, { reload, max: 2 });
};

/** One customer, 10 facilities of 100 units, each unit `target / 1000` minute readings up to END. */
const load = async (db: Db): Promise<void> => {
  await migrate(db);
  // Identity ids are handed out in insertion order: max(id) is the number loaded, read from the primary key.
  const [have] = await db.query<{ n: number | null }>(
    'SELECT max(id)::float8 AS n FROM temperature_readings',
  );
  if ((have?.n ?? 0) >= target) {
    log(`reusing the ${have!.n} readings loaded before (--reload rebuilds)`);
    return;
  }
  if ((have?.n ?? 0) > 0)
    throw new Error(`${DB_NAME} holds a partial load (${have!.n} readings): run with --reload`);
  const [c] = await db.query<{ id: string }>(
    `INSERT INTO customers (customer_code, name, data_sharing_method, data_frequency_seconds)
     VALUES ('BENCH', 'Status bench', 'api', 60)
     ON CONFLICT (customer_code) DO UPDATE SET name = excluded.name RETURNING id`,
  );
  await db.query(
    `INSERT INTO facilities (customer_id, facility_code, name)
     SELECT $1, 'F' || f, 'Facility ' || f FROM generate_series(1, 10) f ON CONFLICT DO NOTHING`,
    [c!.id],
  );
  await db.query(
    `INSERT INTO storage_units (facility_id, customer_id, unit_code, size_value, size_unit, set_temperature,
       temperature_unit, equipment_type, data_frequency_seconds)
     SELECT f.id, f.customer_id, 'BENCH-' || lpad(u::text, 4, '0'), 1, 'sqm', -20, 'C', 'freezer', 60
     FROM facilities f CROSS JOIN generate_series(1, ${UNITS / 10}) u WHERE f.customer_id = $1
     ON CONFLICT DO NOTHING`,
    [c!.id],
  );
  const perUnit = Math.ceil(target / UNITS);
  log(
    `loading ${perUnit * UNITS} readings (${UNITS} units × ${perUnit} minutes) by INSERT … SELECT generate_series`,
  );
  const t0 = performance.now();
  for (let offset = 0; offset < UNITS; offset += UNITS_PER_STATEMENT) {
    await db.query(
      `INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c,
         source_value, source_unit, sensor_id, quality_score, equipment_status, created_at)
       SELECT u.customer_id, u.facility_id, u.id, t.at, t.c, t.c, 'C', 'bench', 0.95, 'normal', t.at
       FROM (SELECT id, customer_id, facility_id FROM storage_units WHERE customer_id = $1
             ORDER BY unit_code OFFSET $2 LIMIT $3) u
       CROSS JOIN LATERAL (
         SELECT $4::timestamptz - g * interval '1 minute' AS at,
                round((-20 + sin(g / 90.0) * 1.5)::numeric, 2)::float8 AS c
         FROM generate_series($5::int, 1, -1) g) t`,
      [c!.id, offset, UNITS_PER_STATEMENT, END, perUnit],
    );
    const done = (offset + UNITS_PER_STATEMENT) * perUnit;
    log(`  ${done} readings, ${Math.round(done / ((performance.now() - t0) / 1000))}/s`);
  }
  log('hourly rollups from the readings');
  await db.query(
    `INSERT INTO reading_rollups_hourly (storage_unit_id, bucket_start, customer_id, facility_id, reading_count,
       null_count, sum_c, min_c, max_c, good_quality_count, mkt_term_sum)
     SELECT r.storage_unit_id, date_trunc('hour', r.recorded_at), r.customer_id, r.facility_id, ${ROLLUP_AGGREGATES_OF_R}
     FROM temperature_readings r GROUP BY 1, 2, 3, 4`,
  );
  if (analyze) {
    log('VACUUM ANALYZE');
    await db.query('VACUUM ANALYZE temperature_readings');
    await db.query('VACUUM ANALYZE reading_rollups_hourly');
  } else log('no VACUUM ANALYZE (--no-analyze): the tables have no statistics yet');
};

const time = async (fn: () => Promise<unknown>): Promise<{ median: number; min: number; max: number }> => {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
};

/** The first line of each plan node, e.g. "Limit" / "Index Scan Backward using …". */
const planOf = async (db: Db, sql: string, params: unknown[]): Promise<string> => {
  const rows = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
  return rows
    .map((r) => r['QUERY PLAN'].trim().replace(/^->\s*/, ''))
    .filter((l) => /Scan|Limit|Sort|Join|Loop/.test(l))
    .map((l) => l.replace(/\s+\(cost=.*$/, ''))
    .join(' → ');
};

const main = async () => {
  const db = await openBench();
  await load(db);
  const [meta] = await db.query<{ v: string; size: string; sb: string; stats: number; reltuples: number }>(
    `SELECT current_setting('server_version') AS v,
            pg_size_pretty(pg_total_relation_size('temperature_readings')) AS size,
            current_setting('shared_buffers') AS sb,
            (SELECT count(*)::int FROM pg_stats WHERE tablename = 'temperature_readings') AS stats,
            (SELECT reltuples::float8 FROM pg_class WHERE oid = 'temperature_readings'::regclass) AS reltuples`,
  );
  let exactReadings = 0;
  const baseline = await time(async () => {
    const [r] = await db.query<{ n: number }>('SELECT count(*)::float8 AS n FROM temperature_readings');
    exactReadings = r!.n;
  });
  let status = await readDbStatus(db);
  const now = await time(async () => {
    status = await readDbStatus(db);
  });
  const recentReadings = await planOf(
    db,
    `SELECT r.recorded_at FROM temperature_readings r JOIN storage_units u ON u.id = r.storage_unit_id
     ORDER BY r.id DESC LIMIT $1`,
    [5],
  );
  const recentLogs = await planOf(
    db,
    'SELECT l.start_time FROM ingestion_logs l ORDER BY l.start_time DESC LIMIT $1',
    [5],
  );

  console.log('\nConditions:');
  console.log(
    backend === 'postgres'
      ? `  PostgreSQL ${meta!.v} at ${adminUrl.replace(/\/\/[^@]*@/, '//').replace(/\/[^/]*$/, '')}/${DB_NAME}, shared_buffers ${meta!.sb}`
      : `  embedded PGlite (server ${meta!.v}) in ${db.location}`,
  );
  console.log(
    `  temperature_readings: ${exactReadings} rows, ${meta!.size} with indexes; statistics: ${
      meta!.stats > 0 ? `analyzed (reltuples ${meta!.reltuples})` : `none (reltuples ${meta!.reltuples})`
    }`,
  );
  console.log(
    `  node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(`  warm cache (one warm-up run each), median of ${RUNS}, one connection at a time\n`);
  console.log('| case | median ms | min ms | max ms |\n|---|---:|---:|---:|');
  for (const [name, r] of [
    ['count(*) of temperature_readings (old status, readings alone)', baseline],
    ['tms db status (readDbStatus, every table)', now],
  ] as const)
    console.log(`| ${name} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${r.max.toFixed(1)} |`);
  const readings = status.tables.find((t) => t.table === 'temperature_readings')!;
  console.log(
    `\ntemperature_readings in the status: ${readings.rows} (${readings.estimated ? 'estimated' : 'exact'}), exact ${exactReadings}, error ${(
      (100 * (readings.rows - exactReadings)) /
      Math.max(1, exactReadings)
    ).toFixed(2)} %`,
  );
  console.log(
    'tables:',
    status.tables.map((t) => `${t.table}=${t.rows}${t.estimated ? ' (est.)' : ''}`).join(', '),
  );
  console.log(`plan, newest readings: ${recentReadings}`);
  console.log(`plan, newest ingestion runs: ${recentLogs}`);
  await db.close();
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
