/**
 * Compliance figures benchmark (`npm run bench:compliance`, issue 12): one fridge with a year of
 * minute readings (525,600, with excursions, gaps and failed reads) in PostgreSQL database
 * `tms_bench_compliance` (kept between runs; `--reload` rebuilds it), then the time of
 * GET /api/v1/analytics/compliance for that unit over 1 year (hourly rollups), 30 days and 24 h
 * (every reading) and 1 year with a custom ΔH (every reading), in-process through `inject()`,
 * against a same-run baseline of `SELECT 1` and of GET /ping. Target: < 100 ms for the year.
 *
 *   npm run bench:compliance -- [--reload] [--runs 30]
 */
import os from 'node:os';
import { issueToken } from '../src/auth/tokens.ts';
import { migrate } from '../src/db/migrate.ts';
import { insertReadingsWithRollups, type NewReading } from '../src/db/readings-query-repo.ts';
import type { Db } from '../src/db/types.ts';
import { buildApp } from '../src/http/app.ts';
import { fixedClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import { openKeptDatabase, timeRuns } from './lib/kit.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const reload = process.argv.includes('--reload');
const runs = Number(arg('runs', '30'));
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MIN = 60_000;
const DAY = 86_400_000;
const END = Date.UTC(2026, 0, 1);
const START = END - 365 * DAY;
const log = (...a: unknown[]) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const openBench = (): Promise<Db> => openKeptDatabase(adminUrl, 'tms_bench_compliance', { reload, max: 4 });

/** A fridge at 5 °C with a daily swing, 24 excursions to ~11 °C (20–140 min), 6 gaps (1–8 h), 0.1 % failed reads. */
const temperatureAt = (i: number): number | null => {
  if (i % 997 === 500) return null;
  const day = Math.floor(i / 1440);
  const inExcursion = day % 15 === 7 && i % 1440 >= 600 && i % 1440 < 620 + (day % 7) * 20;
  return (
    Math.round(
      (5 + Math.sin((i / 1440) * 2 * Math.PI) * 0.8 + (inExcursion ? 6 : 0) + ((i * 7919) % 100) / 500) * 100,
    ) / 100
  );
};
const inGap = (i: number): boolean => {
  const day = Math.floor(i / 1440);
  return day % 60 === 30 && i % 1440 >= 120 && i % 1440 < 120 + ((day / 60) % 8) * 60 + 60;
};

const load = async (db: Db): Promise<{ unitId: string }> => {
  await migrate(db);
  const existing = await db.query<{ id: string; customer_id: string; n: number }>(
    `SELECT u.id, u.customer_id, (SELECT count(*)::int FROM temperature_readings r WHERE r.storage_unit_id = u.id) AS n
     FROM storage_units u WHERE u.unit_code = 'BENCH-FRIDGE'`,
  );
  if (existing[0] && existing[0].n > 500_000) {
    log(`reusing ${existing[0].n} readings already loaded`);
    return { unitId: existing[0].id };
  }
  const [c] = await db.query<{ id: string }>(
    `INSERT INTO customers (customer_code, name, data_sharing_method, data_frequency_seconds, timezone)
     VALUES ('BENCH', 'Compliance bench', 'api', 60, 'Europe/London')
     ON CONFLICT (customer_code) DO UPDATE SET name = excluded.name RETURNING id`,
  );
  const [f] = await db.query<{ id: string }>(
    `INSERT INTO facilities (customer_id, facility_code, name) VALUES ($1, 'BENCH-F', 'Bench pharmacy')
     ON CONFLICT (customer_id, facility_code) DO UPDATE SET name = excluded.name RETURNING id`,
    [c!.id],
  );
  const [u] = await db.query<{ id: string }>(
    `INSERT INTO storage_units (facility_id, customer_id, unit_code, name, size_value, size_unit, set_temperature,
       temperature_unit, equipment_type, alarm_low_limit, alarm_high_limit, data_frequency_seconds)
     VALUES ($1, $2, 'BENCH-FRIDGE', 'Vaccine fridge', 1, 'sqm', 5, 'C', 'refrigerator', 2, 8, 60)
     ON CONFLICT (facility_id, unit_code) DO UPDATE SET name = excluded.name RETURNING id`,
    [f!.id, c!.id],
  );
  const total = (END - START) / MIN;
  log(`loading ${total} minute readings through the writer's rollup SQL`);
  for (let from = 0; from < total; from += 5000) {
    const batch: NewReading[] = [];
    for (let i = from; i < Math.min(total, from + 5000); i++) {
      if (inGap(i)) continue;
      const c2 = temperatureAt(i);
      batch.push({
        customerId: c!.id,
        facilityId: f!.id,
        unitId: u!.id,
        recordedAt: new Date(START + i * MIN),
        temperatureC: c2,
        sourceValue: c2,
        sourceUnit: 'C',
        sensorId: 's1',
        qualityScore: 0.95,
        equipmentStatus: c2 === null ? 'failure' : 'normal',
      });
    }
    await insertReadingsWithRollups(db, batch);
  }
  await db.query('DELETE FROM alarm_pending');
  await db.query('VACUUM ANALYZE temperature_readings');
  await db.query('VACUUM ANALYZE reading_rollups_hourly');
  return { unitId: u!.id };
};

const main = async () => {
  const db = await openBench();
  const { unitId } = await load(db);
  const [{ n }] = (await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM temperature_readings WHERE storage_unit_id = $1',
    [unitId],
  )) as [{ n: number }];
  const [{ v }] = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")) as [
    { v: string },
  ];
  const token = await issueToken(db, {
    customerCode: 'BENCH',
    scopes: ['read'],
    name: `bench ${Date.now()}`,
  });
  const app = await buildApp({
    db,
    log: createLogger('silent', false),
    clock: fixedClock(new Date(END + 60 * MIN)),
    authCacheTtlMs: 60_000,
  });
  await app.ready();
  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token.token}` } });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };
  const q = (days: number, extra = '') =>
    `/api/v1/analytics/compliance?storage_unit_id=${unitId}&start_date=${new Date(END - days * DAY).toISOString()}&end_date=${new Date(END).toISOString()}${extra}`;
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['SELECT 1 (baseline)', () => db.query('SELECT 1')],
    ['GET /ping (baseline)', () => app.inject({ method: 'GET', url: '/ping' })],
    ['compliance 1 year (rollups)', () => get(q(365))],
    ['compliance 30 days (readings)', () => get(q(30))],
    ['compliance 24 h (readings)', () => get(q(1))],
    ['compliance 1 year, ΔH 100 kJ/mol (readings)', () => get(q(365, '&activation_energy_kj_mol=100'))],
  ];
  const year = await get(q(365));
  const { units: _units, ...figures } = year;
  console.log('\nConditions:');
  console.log(`  PostgreSQL ${v} at ${adminUrl.replace(/\/\/[^@]*@/, '//')}, database tms_bench_compliance`);
  console.log(`  one unit, ${n} readings (1 year of minute data, excursions, gaps, failed reads)`);
  console.log(
    `  node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(`  in-process inject() (no network), ${runs} runs after 3 warm-up runs each\n`);
  console.log('1-year figures:', JSON.stringify(figures));
  console.log('\n| case | median ms | p95 ms |\n|---|---:|---:|');
  for (const [name, fn] of cases) {
    const r = await timeRuns(name.includes('ΔH') ? Math.min(runs, 5) : runs, fn);
    console.log(`| ${name} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} |`);
  }
  await app.close();
  await db.close();
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
