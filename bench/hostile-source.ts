/**
 * Hostile-source benchmark (`npm run bench:hostile`): does one broken or hostile customer source
 * hurt the API when both run in one process, as in `tms up`?
 *
 * Starts the ingest and api roles in this process on a fresh embedded PGlite (or, with
 * `--db postgres`, a fresh PostgreSQL database) with one customer (A of the default fleet, collected
 * every 10 s). A separate poller process requests GET /health every 250 ms (10 s timeout each)
 *   1. baseline: the customer's source answers an empty readings array;
 *   2. hostile:  the source streams a 64 MB JSON array of `{}` (about 22 million rows).
 * Prints per phase the requests, p50 / p99 / max latency, timeouts and errors, the ratio
 * hostile / baseline, the collection runs and how they ended, and the peak heap and RSS.
 *
 *   npm run bench:hostile -- [--seconds 60] [--db pglite|postgres]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseConfig } from '../src/config/config.ts';
import { openDb } from '../src/db/open.ts';
import { seedFleet } from '../src/db/seed-fleet.ts';
import type { Db } from '../src/db/types.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import { startApi } from '../src/roles/api.ts';
import { startIngest } from '../src/roles/ingest.ts';
import type { RoleContext } from '../src/roles/types.ts';
import { loadFleet } from '../src/simulation/fleet.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const seconds = Number(arg('seconds', '60'));
const backend = arg('db', 'pglite');
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Just under the default TMS_FETCH_MAX_BYTES (64 MiB), so the size limit alone does not stop it. */
const HOSTILE_BYTES = 64 * 1024 * 1024 - 1024;
const MB = 1024 * 1024;

/** The customer's source: `/empty` (baseline) or `/hostile` (64 MB of `[{},{},…]`, streamed). */
const startSource = async (): Promise<{ base: string; server: http.Server; bytesSent: () => number }> => {
  let sent = 0;
  const chunk = Buffer.from('{},'.repeat(21_845));
  const server = http.createServer((req, res) => {
    if (!req.url!.startsWith('/hostile')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"readings":[]}');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    let body = 0;
    const pump = () => {
      while (body + chunk.length <= HOSTILE_BYTES && !res.destroyed) {
        body += chunk.length;
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end('{}]');
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    bytesSent: () => sent,
  };
};

const freePort = async (): Promise<number> => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
};

/** The poller runs in its own process, so its timing does not depend on the event loop under test. */
const POLLER = `
const [url, seconds] = process.argv.slice(1);
const latencies = []; let timeouts = 0; let errors = 0; const pending = [];
const end = Date.now() + Number(seconds) * 1000;
while (Date.now() < end) {
  const t0 = performance.now();
  pending.push(fetch(url, { signal: AbortSignal.timeout(10000) }).then(async (r) => {
    await r.arrayBuffer();
    if (r.status === 200) latencies.push(performance.now() - t0); else errors++;
  }, (e) => { if (e.name === 'TimeoutError') timeouts++; else errors++; }));
  await new Promise((r) => setTimeout(r, 250));
}
await Promise.all(pending);
console.log(JSON.stringify({ latencies, timeouts, errors }));
`;

interface PollResult {
  latencies: number[];
  timeouts: number;
  errors: number;
}

const poll = (url: string): Promise<PollResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', POLLER, url, String(seconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as PollResult) : reject(new Error(`poller exit ${code}`)),
    );
  });

const pct = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

interface PhaseResult {
  name: string;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  timeouts: number;
  errors: number;
  peakHeapMb: number;
  peakRssMb: number;
  runs: string;
}

const openBenchDb = async (): Promise<{
  config: ReturnType<typeof parseConfig>;
  db: Db;
  cleanup: () => Promise<void>;
}> => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tms-bench-hostile-'));
  let databaseUrl: string | undefined;
  let dropDb = async () => undefined as void;
  if (backend === 'postgres') {
    const name = `tms_bench_hostile_${randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${name}`);
    dropDb = async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const config = parseConfig({
    TMS_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    LOG_LEVEL: 'silent',
    TMS_ROLES: 'ingest,api',
  });
  const db = await openDb(config, { holder: 'bench' });
  return {
    config,
    db,
    cleanup: async () => {
      await db.close();
      await dropDb();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};

const main = async () => {
  const source = await startSource();
  const { config, db, cleanup } = await openBenchDb();
  const fleet = await loadFleet();
  await seedFleet(
    db,
    { customers: fleet.customers.filter((c) => c.code === 'A') },
    {
      simHost: '127.0.0.1',
      simPortStart: 1,
    },
  );
  await db.query(
    "UPDATE customers SET api_url = $1, data_sharing_method = 'api', data_frequency_seconds = 10",
    [`${source.base}/empty`],
  );
  const ctx: RoleContext = {
    config,
    log: createLogger('silent', false),
    clock: systemClock,
    db,
    services: {},
  };
  const ingest = await startIngest(ctx);
  const api = await startApi(ctx);
  const health = `http://127.0.0.1:${config.port}/health`;
  const units = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM storage_units'))[0]!.n;
  console.log(
    `hostile-source bench: ${backend}, api+ingest in one process, customer A (${units} units, every 10 s), ${seconds} s per phase, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`,
  );

  const phase = async (name: string, url: string): Promise<PhaseResult> => {
    await db.query('UPDATE customers SET api_url = $1', [url]);
    await db.query('UPDATE ingestion_schedule SET next_run_at = now(), consecutive_failures = 0');
    const since = new Date();
    let peakHeap = 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 100);
    const r = await poll(health);
    clearInterval(sampler);
    const lat = [...r.latencies].sort((a, b) => a - b);
    const runs = await db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM ingestion_logs WHERE start_time >= $1 GROUP BY status ORDER BY status',
      [since],
    );
    return {
      name,
      requests: r.latencies.length + r.timeouts + r.errors,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      max: lat.at(-1) ?? NaN,
      timeouts: r.timeouts,
      errors: r.errors,
      peakHeapMb: peakHeap / MB,
      peakRssMb: peakRss / MB,
      runs: runs.map((x) => `${x.n} ${x.status}`).join(', ') || 'none',
    };
  };

  const results = [
    await phase('baseline', `${source.base}/empty`),
    await phase('hostile', `${source.base}/hostile`),
  ];
  const [lastRun] = await db.query<{ error_message: string | null }>(
    "SELECT error_message FROM ingestion_logs WHERE status = 'failure' ORDER BY start_time DESC LIMIT 1",
  );
  await api.stop();
  await ingest.stop();
  source.server.closeAllConnections();
  source.server.close();
  await cleanup();

  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.table(
    results.map((r) => ({
      phase: r.name,
      requests: r.requests,
      p50: ms(r.p50),
      p99: ms(r.p99),
      max: ms(r.max),
      timeouts: r.timeouts,
      errors: r.errors,
      'peak heap': `${r.peakHeapMb.toFixed(0)} MB`,
      'peak RSS': `${r.peakRssMb.toFixed(0)} MB`,
      runs: r.runs,
    })),
  );
  const [b, h] = results as [PhaseResult, PhaseResult];
  console.log(
    `ratio hostile/baseline: p50 ${(h.p50 / b.p50).toFixed(2)}x, p99 ${(h.p99 / b.p99).toFixed(2)}x, max ${(h.max / b.max).toFixed(2)}x`,
  );
  console.log(
    `hostile source: ${(source.bytesSent() / MB).toFixed(1)} MB sent in all (of ${(HOSTILE_BYTES / MB).toFixed(1)} MB per run) before the collector cut it off`,
  );
  if (lastRun?.error_message) console.log(`last hostile run: ${lastRun.error_message}`);
};

await main();
