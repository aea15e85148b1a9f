/**
 * REST API benchmark (`npm run bench:api`): loads a year of readings for the default fleet plus
 * synthetic units (≥ 10 M rows) through the ingestion writer into PostgreSQL database `tms_bench`
 * (or an embedded PGlite directory with `--backend pglite`), starts `tms up --roles api` on it, and
 * drives six endpoints with autocannon: a fixed 1,000 requests/s run (latency) and an open run
 * (maximum requests/s). Prints a table and the conditions.
 *
 *   npm run bench:api -- [--backend postgres|pglite] [--readings 10500000] [--duration 10] [--reload]
 *                        [--api-workers 2] [--conditional] [--compressed]
 *
 * --conditional: each connection sends If-None-Match with the ETag of its previous answer (a
 * dashboard polling), so unchanged answers are 304 without a body. --compressed: every request sends
 * Accept-Encoding: gzip. The default run sends neither, as before.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { issueToken } from '../src/auth/tokens.ts';
import { openKeptDatabase } from './lib/kit.ts';
import { migrate } from '../src/db/migrate.ts';
import { openPglite } from '../src/db/pglite.ts';
import { seedFleet } from '../src/db/seed-fleet.ts';
import type { Db } from '../src/db/types.ts';
import type { Reading } from '../src/domain/reading.ts';
import { fromCelsius, toCelsius } from '../src/domain/units.ts';
import { writeBatch } from '../src/ingestion/writer.ts';
import { loadFleet } from '../src/simulation/fleet.ts';
import { startTms, waitForHttp } from '../test/support/cli.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const backend = arg('backend', 'postgres') as 'postgres' | 'pglite';
const target = Number(arg('readings', backend === 'postgres' ? '10500000' : '1000000'));
const duration = Number(arg('duration', '10'));
const rate = Number(arg('rate', '1000'));
const reload = process.argv.includes('--reload');
const apiWorkers = Number(arg('api-workers', '1'));
// bench:scale points this at its own database, loaded already (its readings are not reloaded).
const DATABASE = process.env.TMS_BENCH_API_DATABASE ?? 'tms_bench';
const conditional = process.argv.includes('--conditional');
const compressed = process.argv.includes('--compressed');
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const YEAR_MS = 365 * 86_400_000;
const BATCH = 5000;

const log = (...a: unknown[]) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const openBench = async (): Promise<{ db: Db; env: Record<string, string> }> => {
  if (backend === 'pglite') {
    // The layout `tms up` expects: the database in <TMS_DATA_DIR>/pgdata.
    const dir = path.join(os.tmpdir(), `tms-bench-pglite-${target}`);
    await mkdir(dir, { recursive: true });
    return { db: await openPglite({ dataDir: path.join(dir, 'pgdata') }), env: { TMS_DATA_DIR: dir } };
  }
  const db = await openKeptDatabase(adminUrl, DATABASE, { reload, max: 4 });
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  return { db, env: { DATABASE_URL: url.toString() } };
};

interface LoadUnit {
  id: string;
  facility_id: string;
  customer_id: string;
  temperature_unit: 'C' | 'F';
  set_temperature: number;
  freq: number;
}

/** Default fleet at its cadences over the year ending now, plus synthetic 60-s units to reach the target. */
const load = async (db: Db, end: number): Promise<void> => {
  await migrate(db);
  await seedFleet(db, await loadFleet(), { simHost: '127.0.0.1', simPortStart: 8001 });
  const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')) as [
    { n: number },
  ];
  if (n >= target * 0.95) return log(`reusing ${n} readings already loaded`);
  let units = await db.query<LoadUnit>(
    'SELECT id, facility_id, customer_id, temperature_unit, set_temperature, coalesce(data_frequency_seconds, 300) AS freq FROM storage_units ORDER BY unit_code',
  );
  const fleetRows = units.reduce((a, u) => a + Math.floor(YEAR_MS / 1000 / u.freq), 0);
  const synthetic = Math.max(0, Math.ceil((target - fleetRows) / (YEAR_MS / 60_000)));
  log(
    `default fleet: ${units.length} units, ${fleetRows} readings/year; adding ${synthetic} synthetic 60-s units`,
  );
  if (synthetic > 0) {
    const [c] = await db.query<{ id: string }>(
      `INSERT INTO customers (customer_code, name, data_sharing_method, data_frequency_seconds) VALUES ('SYN', 'Synthetic load', 'api', 60)
       ON CONFLICT (customer_code) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    );
    const [f] = await db.query<{ id: string }>(
      `INSERT INTO facilities (customer_id, facility_code, name) VALUES ($1, 'SYN_1', 'Synthetic facility')
       ON CONFLICT (customer_id, facility_code) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [c!.id],
    );
    for (let i = 0; i < synthetic; i++)
      await db.query(
        `INSERT INTO storage_units (facility_id, customer_id, unit_code, size_value, size_unit, set_temperature, temperature_unit, data_frequency_seconds)
         VALUES ($1, $2, $3, 100, 'sqm', -20, 'C', 60) ON CONFLICT DO NOTHING`,
        [f!.id, c!.id, `SYN_${i}`],
      );
    units = await db.query<LoadUnit>(
      'SELECT id, facility_id, customer_id, temperature_unit, set_temperature, coalesce(data_frequency_seconds, 300) AS freq FROM storage_units ORDER BY unit_code',
    );
  }
  // Smaller targets (the embedded run) keep every cadence and shorten the period instead.
  const periodMs = Math.min(YEAR_MS, Math.floor((YEAR_MS * target) / Math.max(fleetRows, 1)));
  const t0 = Date.now();
  let stored = 0;
  const start = end - periodMs;
  const queue = [...units];
  const worker = async () => {
    for (let u = queue.shift(); u; u = queue.shift()) {
      const setC = toCelsius(u.set_temperature, u.temperature_unit);
      const total = Math.floor(periodMs / 1000 / u.freq);
      for (let i = 0; i < total; i += BATCH) {
        const readings: Reading[] = [];
        for (let k = i; k < Math.min(total, i + BATCH); k++) {
          const t = start + k * u.freq * 1000;
          const c =
            k % 997 === 13
              ? null
              : Math.round((setC + Math.sin(t / 3.6e6) * 1.5 + ((k * 7919) % 100) / 100 - 0.5) * 100) / 100;
          readings.push({
            storageUnitId: u.id,
            facilityId: u.facility_id,
            recordedAtMs: t,
            temperatureC: c,
            sourceValue: c === null ? null : fromCelsius(c, u.temperature_unit),
            sourceUnit: u.temperature_unit,
            sensorId: 'bench',
            qualityScore: 0.7 + ((k * 31) % 30) / 100,
            equipmentStatus: c === null ? 'failure' : 'normal',
          });
        }
        // Awaited first: `stored += await …` would read `stored` before the other worker's update.
        const written = await writeBatch(db, {
          batchId: randomUUID(),
          ingestionLogId: null,
          customerId: u.customer_id,
          readings,
        });
        stored += written.stored;
      }
      if (queue.length % 10 === 0)
        log(`${stored} readings stored (${Math.round(stored / ((Date.now() - t0) / 1000))}/s)`);
    }
  };
  await Promise.all(Array.from({ length: backend === 'postgres' ? 2 : 1 }, worker));
  log(`loaded ${stored} readings in ${((Date.now() - t0) / 1000).toFixed(0)} s; VACUUM ANALYZE`);
  await db.exec('VACUUM ANALYZE');
};

const main = async () => {
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const { db, env } = await openBench();
  await load(db, end);
  const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')) as [
    { n: number },
  ];
  const [unit] = await db.query<{ id: string; facility_id: string; code: string }>(
    `SELECT u.id, u.facility_id, c.customer_code AS code FROM storage_units u JOIN customers c ON c.id = u.customer_id
     WHERE c.customer_code = 'A' ORDER BY u.unit_code LIMIT 1`,
  );
  const token = await issueToken(db, {
    customerCode: unit!.code,
    scopes: ['read'],
    name: 'bench',
    rateLimitPerHour: 2_000_000_000,
  });
  await db.close();

  const port = 28_000 + Math.floor(Math.random() * 1000);
  const api = startTms(['up', '--roles', 'api'], {
    ...env,
    PORT: String(port),
    LOG_LEVEL: 'error',
    TMS_API_WORKERS: String(apiWorkers),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/health`, 120_000);
    const iso = (ms: number) => new Date(ms).toISOString();
    const endpoints: Array<[string, string]> = [
      ['/temperature/latest', '/api/v1/temperature/latest'],
      [
        '/temperature/stats (24 h)',
        `/api/v1/temperature/stats?start_date=${iso(end - 86_400_000)}&end_date=${iso(end)}`,
      ],
      [
        '/analytics/temperature/trends (7 d hourly, 1 unit)',
        `/api/v1/analytics/temperature/trends?interval=hour&unit_id=${unit!.id}&start_date=${iso(end - 7 * 86_400_000)}&end_date=${iso(end)}`,
      ],
      [
        '/analytics/temperature/trends (1 y daily, 1 unit)',
        `/api/v1/analytics/temperature/trends?interval=day&unit_id=${unit!.id}&start_date=${iso(end - YEAR_MS)}&end_date=${iso(end)}`,
      ],
      ['/temperature/unit/{id} (one page of 100)', `/api/v1/temperature/unit/${unit!.id}`],
      ['/facilities/{id}/units', `/api/v1/facilities/${unit!.facility_id}/units`],
    ];
    const headers: Record<string, string> = {
      authorization: `Bearer ${token.token}`,
      ...(compressed ? { 'accept-encoding': 'gzip' } : {}),
    };
    type Ctx = { etag?: string };
    type Req = { headers?: Record<string, string> };
    // Per connection: the ETag of its last 200, sent back as If-None-Match (autocannon's `requests` hooks).
    const revalidate = {
      requests: [
        {
          setupRequest: (r: Req, ctx: Ctx) =>
            ctx.etag ? { ...r, headers: { ...r.headers, 'if-none-match': ctx.etag } } : r,
          onResponse: (status: number, _body: unknown, ctx: Ctx, h: Record<string, string>) => {
            if (status === 200 && h.etag) ctx.etag = h.etag;
          },
        },
      ],
    };
    const run = async (url: string, fixed: boolean) => {
      const opts = {
        url: `${base}${url}`,
        headers,
        connections: fixed ? 64 : 32,
        duration,
        ...(fixed ? { overallRate: rate } : {}),
        ...(conditional ? revalidate : {}),
      };
      const r = await autocannon(opts);
      // A 304 is the answer a conditional client wants, not an error.
      const stats = (r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats;
      return { ...r, non2xx: r.non2xx - (stats?.['304']?.count ?? 0) };
    };
    const table: string[][] = [];
    for (const [name, url] of endpoints) {
      const check = await fetch(`${base}${url}`, { headers });
      if (check.status !== 200) throw new Error(`${name}: HTTP ${check.status} ${await check.text()}`);
      await run(url, false); // warm-up
      const fixed = await run(url, true);
      const open = await run(url, false);
      const errors = fixed.non2xx + fixed.errors + open.non2xx + open.errors;
      table.push([
        name,
        String(Math.round(fixed.requests.average)),
        fixed.latency.p50.toFixed(1),
        fixed.latency.p99.toFixed(1),
        String(Math.round(open.requests.average)),
        open.latency.p50.toFixed(1),
        open.latency.p99.toFixed(1),
        String(errors),
      ]);
      log(name, table[table.length - 1]!.slice(1).join(' | '));
    }
    const head = [
      'endpoint',
      `req/s @${rate}`,
      'p50 ms',
      'p99 ms',
      'max req/s',
      'p50 ms',
      'p99 ms',
      'errors',
    ];
    console.log(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
    for (const r of table) console.log(`| ${r.join(' | ')} |`);
    console.log(
      `\nConditions: ${backend === 'postgres' ? `PostgreSQL (${DATABASE})` : 'embedded PGlite'}, ${n} readings, ` +
        `${os.cpus().length} vCPU (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, one \`tms up --roles api\` process${apiWorkers > 1 ? ` with ${apiWorkers} API workers` : ''}; ` +
        `autocannon in this process on the same machine; fixed run: ${rate} req/s over 64 connections for ${duration} s; ` +
        `open run: 32 connections for ${duration} s; customer A read token (cache 1 s), load average ${os
          .loadavg()
          .map((x) => x.toFixed(1))
          .join('/')}` +
        `${conditional ? '; clients send If-None-Match of their previous answer (304s counted as answers)' : ''}` +
        `${compressed ? '; clients send Accept-Encoding: gzip' : ''}.`,
    );
  } finally {
    await api.stop();
  }
};

await main();
