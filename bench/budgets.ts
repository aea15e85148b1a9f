/**
 * Request budgets benchmark (`npm run bench:budgets`): does one tenant's heavy traffic slow another
 * tenant's cheap requests? On a temporary PostgreSQL database (created, seeded through the ingestion
 * writer, dropped at the end) it starts `tms up --roles api` and measures customer B's
 * `/temperature/latest` p99 with autocannon at a fixed rate: alone (baseline), then while customer
 * A's token keeps many heavy requests going (30-day CSV exports, hourly trends, stats). It does so
 * once with the per-token heavy-request limit in force (TMS_HEAVY_CONCURRENCY_PER_TOKEN=2, the
 * default) and once with it lifted (100), and prints p99s and ratios to the same run's baseline.
 *
 *   npm run bench:budgets -- [--days 30] [--duration 15] [--rate 200] [--heavy 16]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { issueToken } from '../src/auth/tokens.ts';
import { migrate } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { seedFleet } from '../src/db/seed-fleet.ts';
import { celsiusSql } from '../src/db/sql-units.ts';
import type { Db } from '../src/db/types.ts';
import type { Reading } from '../src/domain/reading.ts';
import { writeBatch } from '../src/ingestion/writer.ts';
import { loadFleet } from '../src/simulation/fleet.ts';
import { startTms, waitForHttp } from '../test/support/cli.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const days = Number(arg('days', '30'));
const duration = Number(arg('duration', '15'));
const rate = Number(arg('rate', '200'));
const heavyWorkers = Number(arg('heavy', '16'));
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DAY_MS = 86_400_000;

const log = (...a: unknown[]) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** Customer A's units every 60 s, B's every 5 min, over `days` ending at `end`, through the writer. */
const load = async (db: Db, end: number): Promise<number> => {
  const units = await db.query<{
    id: string;
    facility_id: string;
    customer_id: string;
    code: string;
    set_c: number;
  }>(
    `SELECT u.id, u.facility_id, u.customer_id, c.customer_code AS code,
       ${celsiusSql('u.set_temperature', 'u.temperature_unit')}::float8 AS set_c
     FROM storage_units u JOIN customers c ON c.id = u.customer_id WHERE c.customer_code IN ('A', 'B')`,
  );
  let stored = 0;
  for (const u of units) {
    const stepMs = u.code === 'A' ? 60_000 : 300_000;
    const total = Math.floor((days * DAY_MS) / stepMs);
    for (let i = 0; i < total; i += 5000) {
      const readings: Reading[] = [];
      for (let k = i; k < Math.min(total, i + 5000); k++) {
        const c = Math.round((u.set_c + Math.sin(k / 60) * 1.5) * 100) / 100;
        readings.push({
          storageUnitId: u.id,
          facilityId: u.facility_id,
          recordedAtMs: end - (total - k) * stepMs,
          temperatureC: c,
          sourceValue: c,
          sourceUnit: 'C',
          sensorId: 'bench',
          qualityScore: 0.9,
          equipmentStatus: 'normal',
        });
      }
      stored += (
        await writeBatch(db, {
          batchId: randomUUID(),
          ingestionLogId: null,
          customerId: u.customer_id,
          readings,
        })
      ).stored;
    }
  }
  await db.exec('VACUUM ANALYZE');
  return stored;
};

interface HeavyStats {
  done: number;
  refused: number;
  failed: number;
}

/** `heavyWorkers` loops of A's heavy requests until `signal` aborts; a 429 waits its Retry-After. */
const heavyLoad = (base: string, token: string, end: number, signal: AbortSignal): Promise<HeavyStats> => {
  const from = new Date(end - days * DAY_MS).toISOString();
  const urls = [
    `/api/v1/temperature/export.csv?start_date=${from}`,
    `/api/v1/analytics/temperature/trends?interval=hour&start_date=${from}`,
    `/api/v1/temperature/stats?start_date=${from}`,
  ];
  const stats: HeavyStats = { done: 0, refused: 0, failed: 0 };
  const worker = async (w: number) => {
    for (let i = w; !signal.aborted; i++) {
      try {
        const res = await fetch(`${base}${urls[i % urls.length]}`, {
          headers: { authorization: `Bearer ${token}` },
          signal,
        });
        if (res.status === 429) {
          stats.refused++;
          await res.arrayBuffer();
          await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000, undefined, { signal });
          continue;
        }
        const reader = res.body!.getReader(); // read and drop: the export streams
        while (!(await reader.read()).done);
        if (res.status === 200) stats.done++;
        else stats.failed++;
      } catch {
        if (!signal.aborted) stats.failed++;
      }
    }
  };
  return Promise.all(Array.from({ length: heavyWorkers }, (_, w) => worker(w))).then(() => stats);
};

interface Phase {
  perToken: number;
  baseline: { p50: number; p99: number; non2xx: number };
  loaded: { p50: number; p99: number; non2xx: number };
  heavy: HeavyStats;
}

const measure = async (base: string, token: string) => {
  const r = await autocannon({
    url: `${base}/api/v1/temperature/latest`,
    headers: { authorization: `Bearer ${token}` },
    connections: 10,
    duration,
    overallRate: rate,
  });
  return { p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors };
};

const runPhase = async (
  env: Record<string, string>,
  perToken: number,
  tokens: { a: string; b: string },
  end: number,
): Promise<Phase> => {
  const port = 29_000 + Math.floor(Math.random() * 1000);
  const api = startTms(['up', '--roles', 'api'], {
    ...env,
    PORT: String(port),
    LOG_LEVEL: 'error',
    TMS_HEAVY_CONCURRENCY_PER_TOKEN: String(perToken),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/health`, 120_000);
    await measure(base, tokens.b); // warm-up
    const baseline = await measure(base, tokens.b);
    const stop = new AbortController();
    const heavy = heavyLoad(base, tokens.a, end, stop.signal);
    await sleep(3_000); // let the heavy requests reach the database
    const loaded = await measure(base, tokens.b);
    stop.abort();
    const phase = { perToken, baseline, loaded, heavy: await heavy };
    log(`per-token limit ${perToken}:`, JSON.stringify(phase));
    return phase;
  } finally {
    await api.stop();
  }
};

const main = async () => {
  const name = `tms_bench_budgets_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    const db = await openPostgres({ url: url.toString(), max: 4 });
    await migrate(db);
    await seedFleet(db, await loadFleet(), { simHost: '127.0.0.1', simPortStart: 8001 });
    const t0 = Date.now();
    const stored = await load(db, end);
    log(`loaded ${stored} readings in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const issue = (customerCode: string) =>
      issueToken(db, { customerCode, scopes: ['read'], name: 'bench', rateLimitPerHour: 1_000_000_000 });
    const tokens = { a: (await issue('A')).token, b: (await issue('B')).token };
    await db.close();

    const env = { DATABASE_URL: url.toString() };
    const phases = [await runPhase(env, 2, tokens, end), await runPhase(env, 100, tokens, end)];

    const ratio = (p: Phase) => (p.loaded.p99 / Math.max(p.baseline.p99, 0.1)).toFixed(1);
    const head = [
      'A heavy requests in flight (per-token limit)',
      'B p50 alone',
      'B p99 alone',
      'B p50 under A',
      'B p99 under A',
      'p99 ratio',
      'B non-2xx',
      'A heavy done / 429',
    ];
    console.log(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
    for (const p of phases)
      console.log(
        `| ${p.perToken === 100 ? `up to ${heavyWorkers} (limit lifted)` : `${p.perToken} (limit in force)`} | ` +
          `${p.baseline.p50} ms | ${p.baseline.p99} ms | ${p.loaded.p50} ms | ${p.loaded.p99} ms | ${ratio(p)}× | ` +
          `${p.baseline.non2xx + p.loaded.non2xx} | ${p.heavy.done} / ${p.heavy.refused} |`,
      );
    console.log(
      `\nConditions: PostgreSQL at ${url.host} (temporary database ${name}), ${stored} readings over ${days} days ` +
        `(customer A every 60 s, B every 5 min); one \`tms up --roles api\` process (API pool 10 connections, ` +
        `statement_timeout 30 s); customer B: autocannon, ${rate} req/s over 10 connections for ${duration} s on ` +
        `/api/v1/temperature/latest; customer A: ${heavyWorkers} concurrent loops of ${days}-day CSV export, hourly ` +
        `trends and stats (a 429 waits its Retry-After); load generators in this process; ${os.cpus().length} vCPU ` +
        `(${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${os
          .loadavg()
          .map((x) => x.toFixed(1))
          .join('/')}.`,
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
};

await main();
