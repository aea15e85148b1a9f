/**
 * Ingestion benchmark (`npm run bench:ingest`): pushes simulator-generated readings of the default fleet
 * through processor → queue → writer (dedupe on, run accounting on) and prints readings/s, p99 batch
 * latency (publish → commit) and peak RSS, for
 *   (a) embedded PGlite (on disk, in a temp dir) + in-process queue, and
 *   (b) PostgreSQL + RabbitMQ (a fresh database and queue names of its own, removed afterwards),
 * and, in the same run, the physical limit they are measured against:
 *   (c) a bare COPY (pg-copy-streams, 10,000 rows per COPY) of the same readings, already processed,
 *       into a PostgreSQL table of the same columns and natural key as `readings` (no partitions,
 *       rollups, run accounting, queue or dedupe work), whose rate each case is printed as a share of.
 * Rows are generated lazily per run window; generation time is excluded from readings/s.
 *
 *   npm run bench:ingest -- [--only a|b|c] [--readings 300000]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { migrate } from '../src/db/migrate.ts';
import { createRunLog, recordProcessed } from '../src/db/ingestion-repo.ts';
import { openPglite } from '../src/db/pglite.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { seedFleet } from '../src/db/seed-fleet.ts';
import type { Db } from '../src/db/types.ts';
import { CodeMapCache, codesOf } from '../src/ingestion/code-map.ts';
import { processRows } from '../src/ingestion/processor.ts';
import type { RawRow } from '../src/ingestion/types.ts';
import { writeBatch } from '../src/ingestion/writer.ts';
import { createInProcessQueue } from '../src/queue/in-process.ts';
import { createRabbitQueue, type RabbitReadingQueue } from '../src/queue/rabbitmq.ts';
import { splitIntoBatches, type ReadingQueue } from '../src/queue/types.ts';
import { type FleetCustomer } from '../src/domain/fleet.ts';
import { loadFleet } from '../src/simulation/fleet.ts';
import { customerReadings } from '../src/simulation/reading-generator.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const only = arg('only', '');
const target = Number(arg('readings', '300000'));
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rabbitUrl = process.env.TMS_BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const RUN_WINDOW_MS = 6 * 3_600_000;
const silent = pino({ level: 'silent' });

interface Run {
  customer: FleetCustomer;
  customerId: string;
  rows: RawRow[];
}

/**
 * Simulator rows for the whole fleet, one 6-hour window per customer at a time, until `target` rows.
 * Generated lazily (as a collector would receive them), so memory holds only what is in flight; the
 * time spent generating is measured and taken out of the figures.
 */
function* generateRuns(
  customers: FleetCustomer[],
  ids: Record<string, string>,
  clock: { genMs: number },
): Generator<Run> {
  let total = 0;
  // End well in the past so the future-timestamp check never interferes.
  for (let end = Date.now() - 86_400_000; total < target; end -= RUN_WINDOW_MS) {
    for (const c of customers) {
      const t0 = performance.now();
      const rows = customerReadings({
        seed: 'bench',
        customer: c,
        fromMs: end - RUN_WINDOW_MS,
        toMs: end,
      }) as unknown as RawRow[];
      clock.genMs += performance.now() - t0;
      if (rows.length === 0) continue;
      const take = rows.slice(0, target - total);
      total += take.length;
      yield { customer: c, customerId: ids[c.code]!, rows: take };
      if (total >= target) return;
    }
  }
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

interface Result {
  readings: number;
  stored: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  batches: number;
  peakRssMb: number;
}

/** processor → queue → writer for all runs; returns when every batch is committed. */
const pump = async (
  db: Db,
  queue: ReadingQueue,
  runs: Iterable<Run>,
  gen: { genMs: number },
): Promise<Result> => {
  const codeMaps = new CodeMapCache(db);
  const publishedAt = new Map<string, number>();
  const latencies: number[] = [];
  let stored = 0;
  let committed = 0;
  let expected = 0;
  let producing = true;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await queue.consume(async (b) => {
    const w = await writeBatch(db, b);
    stored += w.stored;
    latencies.push(performance.now() - publishedAt.get(b.batchId)!);
    committed++;
    if (!producing && committed === expected) done();
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  let readings = 0;
  let inFlight: Promise<unknown>[] = [];
  for (const run of runs) {
    const logId = await createRunLog(db, { customerId: run.customerId, type: 'api', sourceUrl: 'bench' });
    const units = await codeMaps.lookupFor(run.customerId, codesOf(run.rows));
    const r = processRows({
      rows: run.rows,
      customerCode: run.customer.code,
      timezone: 'UTC',
      units,
      nowMs: Date.now(),
      futureToleranceMs: 300_000,
    });
    await recordProcessed(db, logId, {
      processed: run.rows.length,
      rejected: r.rejected,
      rejections: r.rejections,
      accepted: r.readings.length,
    });
    readings += r.readings.length;
    for (const batch of splitIntoBatches(r.readings, queue.maxBatchReadings)) {
      const batchId = randomUUID();
      publishedAt.set(batchId, performance.now());
      expected++;
      inFlight.push(
        queue.publish({ batchId, ingestionLogId: logId, customerId: run.customerId, readings: batch }),
      );
    }
    // Keep a bounded number of unconfirmed publishes (pipelined confirms, bounded memory).
    if (inFlight.length >= 32) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  producing = false;
  if (committed === expected) done();
  await finished;
  const seconds = (performance.now() - t0 - gen.genMs) / 1000;
  clearInterval(sampler);
  return {
    readings,
    stored,
    seconds,
    perSecond: readings / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    batches: latencies.length,
    peakRssMb: Math.max(peakRss, process.memoryUsage().rss) / 1024 / 1024,
  };
};

const print = (name: string, r: Result, conditions: string) => {
  // The parent process reads this line to put the cases side by side.
  console.log(`RESULT ${JSON.stringify({ case: name.slice(0, 1), perSecond: r.perSecond })}`);
  console.log(`\n(${name})`);
  console.log(
    `  ${Math.round(r.perSecond).toLocaleString('en')} readings/s end to end  (${r.readings.toLocaleString('en')} readings, ${r.stored.toLocaleString('en')} stored, ${r.seconds.toFixed(1)} s)`,
  );
  console.log(
    `  batch latency publish→commit: p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms over ${r.batches} batches`,
  );
  console.log(`  peak RSS of this process: ${r.peakRssMb.toFixed(0)} MB`);
  console.log(`  conditions: ${conditions}`);
};

/**
 * CPU seconds used so far by the processes of each name (PostgreSQL's backends, RabbitMQ's Erlang VM,
 * this process), from /proc: where a case's time goes between them. Linux only; empty elsewhere.
 */
const cpuByProcess = async (): Promise<Record<string, number>> => {
  const { readdir, readFile } = await import('node:fs/promises');
  const hz = 100; // USER_HZ
  const out: Record<string, number> = {};
  let pids: string[] = [];
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime
      const key = Number(pid) === process.pid ? 'bench (node)' : name === 'beam.smp' ? 'rabbitmq' : name;
      if (key === 'postgres' || key === 'rabbitmq' || key === 'bench (node)')
        out[key] = (out[key] ?? 0) + ticks / hz;
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
};

const printCpu = (before: Record<string, number>, after: Record<string, number>, readings: number) => {
  const parts = Object.keys(after)
    .map((k) => [k, (after[k]! - (before[k] ?? 0)) / (readings / 100_000)] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = parts.reduce((s, [, v]) => s + v, 0);
  console.log(
    `  CPU per 100k readings: ${parts.map(([k, v]) => `${k} ${v.toFixed(2)} s (${((100 * v) / total).toFixed(0)} %)`).join(', ')}`,
  );
};

const setup = async (db: Db, customers: FleetCustomer[]) => {
  await seedFleet(db, { customers }, { simHost: '127.0.0.1', simPortStart: 1, timezone: 'UTC' });
  const rows = await db.query<{ id: string; customer_code: string }>(
    'SELECT id, customer_code FROM customers',
  );
  return Object.fromEntries(rows.map((r) => [r.customer_code, r.id]));
};

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}`;
const fleet = await loadFleet();
if (!only)
  console.log(
    `bench:ingest — ${target.toLocaleString('en')} simulator readings per case, default fleet (10 customers, 94 units), dedupe on`,
  );
if (only) console.log(`machine: ${machine}`);

// Each case in a process of its own, so peak RSS is that case's (WASM memory is never given back).
if (!only) {
  const { execFileSync } = await import('node:child_process');
  const rates: Record<string, number> = {};
  for (const c of ['c', 'a', 'b']) {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, process.argv[1]!, '--only', c, '--readings', String(target)],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
    );
    for (const line of out.split('\n')) {
      if (!line.startsWith('RESULT ')) {
        if (line) console.log(line);
        continue;
      }
      const r = JSON.parse(line.slice(7)) as { case: string; perSecond: number };
      rates[r.case] = r.perSecond;
    }
  }
  console.log('\nShare of the bare COPY measured in this run (targets: b ≥ 50 %, a ≥ 25 %):');
  for (const c of ['a', 'b'])
    console.log(
      `  (${c}) ${Math.round(rates[c]!).toLocaleString('en')} / ${Math.round(rates.c!).toLocaleString('en')} readings/s = ${((100 * rates[c]!) / rates.c!).toFixed(0)} %`,
    );
}

if (only.includes('c')) {
  const name = `tms_bench_copy_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const db = await openPostgres({ url: url.toString(), max: 2 });
    await migrate(db);
    const ids = await setup(db, fleet.customers);
    const keys = new Map(
      (await db.query<{ id: string; k: number }>('SELECT id, reading_key AS k FROM storage_units')).map(
        (u) => [u.id, u.k],
      ),
    );
    // The same readings as the cases, processed beforehand: only the COPY is timed.
    const codeMaps = new CodeMapCache(db);
    const lines: string[] = [];
    for (const run of generateRuns(fleet.customers, ids, { genMs: 0 })) {
      const units = await codeMaps.lookupFor(run.customerId, codesOf(run.rows));
      const r = processRows({
        rows: run.rows,
        customerCode: run.customer.code,
        timezone: 'UTC',
        units,
        nowMs: Date.now(),
        futureToleranceMs: 300_000,
      });
      for (const x of r.readings)
        lines.push(
          `${new Date(x.recordedAtMs).toISOString()}\t${x.temperatureC ?? '\\N'}\t1\t${keys.get(x.storageUnitId)}\t1\t${x.qualityScore}\t${x.equipmentStatus === 'failure' ? 'f' : 'n'}\t${x.sourceUnit}\n`,
        );
    }
    await db.close();
    await client.query(`CREATE TABLE copy_baseline (
      recorded_at timestamptz NOT NULL, temperature_c double precision, batch_key bigint NOT NULL,
      unit_key integer NOT NULL, sensor_key integer NOT NULL, quality_score real NOT NULL,
      status "char" NOT NULL, source_unit "char" NOT NULL,
      UNIQUE (unit_key, recorded_at) WITH (fillfactor = 100))`);
    const { from: copyFrom } = await import('pg-copy-streams');
    const { pipeline } = await import('node:stream/promises');
    const { Readable } = await import('node:stream');
    const cpuFrom = await cpuByProcess();
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i += 10_000)
      await pipeline(
        Readable.from([lines.slice(i, i + 10_000).join('')]),
        client.query(copyFrom('COPY copy_baseline FROM STDIN')),
      );
    const seconds = (performance.now() - t0) / 1000;
    printCpu(cpuFrom, await cpuByProcess(), lines.length);
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!
      .server_version;
    print(
      'c: bare COPY into a table of the same columns and natural key (the physical limit)',
      {
        readings: lines.length,
        stored: lines.length,
        seconds,
        perSecond: lines.length / seconds,
        p50Ms: 0,
        p99Ms: 0,
        batches: Math.ceil(lines.length / 10_000),
        peakRssMb: process.memoryUsage().rss / 1048576,
      },
      `PostgreSQL ${version} (synchronous_commit on), pg-copy-streams, one COPY (own transaction) per 10,000 rows, 1 connection`,
    );
  } finally {
    await client.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

if (only.includes('a')) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tms-bench-ingest-'));
  const db = await openPglite({ dataDir: dir });
  await migrate(db);
  const ids = await setup(db, fleet.customers);
  const gen = { genMs: 0 };
  const runs = generateRuns(fleet.customers, ids, gen);
  const queue = createInProcessQueue({ log: silent, concurrency: 1 });
  const cpuFrom = await cpuByProcess();
  const r = await pump(db, queue, runs, gen);
  printCpu(cpuFrom, await cpuByProcess(), r.readings);
  const version = (await db.query<{ server_version: string }>('SHOW server_version'))[0]!.server_version;
  await queue.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
  print(
    'a: embedded PGlite + in-process queue',
    r,
    `PGlite ${version} on disk (fsync off), in-process queue bounded at 50,000 readings, batches of ≤5,000, 1 writer; RSS includes PGlite (WASM PostgreSQL in this process)`,
  );
}

if (only.includes('b')) {
  const name = `tms_bench_ingest_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres({ url: url.toString(), max: 8 });
  let queue: RabbitReadingQueue | undefined;
  try {
    await migrate(db);
    const ids = await setup(db, fleet.customers);
    const gen = { genMs: 0 };
    const runs = generateRuns(fleet.customers, ids, gen);
    const prefix = `bench_${randomUUID().slice(0, 8)}.`;
    queue = await createRabbitQueue({ url: rabbitUrl, prefix, log: silent, prefetch: 16, concurrency: 4 });
    const lsn = async () => (await db.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l'))[0]!.l;
    const walFrom = await lsn();
    const cpuFrom = await cpuByProcess();
    const r = await pump(db, queue, runs, gen);
    printCpu(cpuFrom, await cpuByProcess(), r.readings);
    // WAL of the whole server over the run (this database is the only writer on a quiet machine).
    const [wal] = await db.query<{ bytes: number }>(
      'SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::float8 AS bytes',
      [await lsn(), walFrom],
    );
    console.log(`  WAL written during the run: ${(wal!.bytes / r.readings).toFixed(0)} bytes per reading`);
    const version = (await db.query<{ server_version: string }>('SHOW server_version'))[0]!.server_version;
    const ch = await (await import('amqplib')).connect(rabbitUrl);
    const c = await ch.createChannel();
    for (const q of [queue.names.queue, queue.names.deadLetterQueue]) await c.deleteQueue(q);
    for (const e of [queue.names.exchange, queue.names.deadLetterExchange]) await c.deleteExchange(e);
    await ch.close();
    print(
      'b: PostgreSQL + RabbitMQ',
      r,
      `PostgreSQL ${version} (synchronous_commit on) and RabbitMQ on this machine; quorum queue, messages of ≤500 readings (compact JSON), persistent, publisher confirms, prefetch 16, 4 concurrent writer transactions`,
    );
  } finally {
    await queue?.close();
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
