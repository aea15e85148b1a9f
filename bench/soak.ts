/**
 * Soak test (`npm run bench:soak`): runs the whole system — mock customers, ingestion and the API —
 * with the default fleet sped up, for a while, and samples every interval: RSS and CPU of each tms
 * process, event-loop delay p99, API p99 over a short burst of requests, queue depth, readings stored
 * and ingestion lag. Prints a line per sample, then the table and the least-squares slope per hour
 * of each series (flat lines are the target), and writes bench/results/soak-<backend>-<time>.json|csv.
 *
 *   npm run bench:soak -- [--minutes 60] [--backend pglite|postgres] [--speed 10] [--sample-seconds 60]
 *                         [--burst-seconds 5] [--rate 200] [--warmup-minutes 5] [--keep]
 *
 * pglite: one `tms up` (every role, in-process queue) on a fresh temporary data directory, as
 * `npm start` runs. postgres: `tms up --roles simulator`, `--roles api` and `--roles ingest` as three
 * processes on a fresh database tms_soak and RabbitMQ queues of their own (prefix soak-<pid>-; both
 * removed at the end unless --keep), as README's "Running on PostgreSQL and RabbitMQ" runs them.
 * The simulator has no clock of its own to speed up, so "speed N" is a fleet file with every unit reading N× as often (data_frequency / N) and
 * every customer collected N× as often (polling / CSV update period / N, at least the 10 s the
 * schema allows): N× the readings and N× the collection runs of the real fleet, in real time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import autocannon from 'autocannon';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import type { Db } from '../src/db/types.ts';
import { DEFAULT_FLEET_FILE, parseFleet } from '../src/simulation/fleet.ts';
import { REPO_ROOT, TMS_BIN, randomPortBase, runTms, waitForHttp } from '../test/support/cli.ts';
import { leastSquaresSlope, openKeptDatabase } from './lib/kit.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const positive = (name: string, fallback: string): number => {
  const n = Number(arg(name, fallback));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
};
const backend = arg('backend', 'pglite');
if (backend !== 'pglite' && backend !== 'postgres') throw new Error('--backend must be pglite or postgres');
const minutes = positive('minutes', '60');
const speed = positive('speed', '10');
// Short runs still get about six samples.
const sampleSeconds = positive('sample-seconds', String(Math.min(60, Math.max(5, (minutes * 60) / 6))));
// Two bursts (latest, unit page) per sample: at most half of the interval under load.
const burstSeconds = positive(
  'burst-seconds',
  String(Math.min(5, Math.max(1, Math.floor(sampleSeconds / 4)))),
);
const rate = positive('rate', '200');
// The first start backfills 24 h of readings at N× density; slopes are fitted after this.
const warmupMinutes = Number(arg('warmup-minutes', String(Math.min(5, minutes / 4))));
const keep = process.argv.includes('--keep');
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rabbitUrl = process.env.TMS_BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const SCHEMA_MIN_COLLECT_SECONDS = 10; // customers.data_frequency_seconds CHECK (… BETWEEN 10 AND 86400)

const stamp = () => new Date().toISOString().slice(11, 19);
const log = (...a: unknown[]) => console.log(`[soak ${stamp()}]`, ...a);

// ---------------------------------------------------------------------------------------------
// The fleet at N× speed

interface FleetAtSpeed {
  file: string;
  customers: number;
  units: number;
  /** Readings the fleet produces per second at this speed (nulls included). */
  readingsPerSecond: number;
  /** Customers whose collection period hit the schema's 10 s floor (so got less than N×). */
  clamped: string[];
}

type RawMap = Record<string, unknown>;

const writeFleetAtSpeed = async (dir: string): Promise<FleetAtSpeed> => {
  const doc = parse(await readFile(DEFAULT_FLEET_FILE, 'utf8')) as { customers: Record<string, RawMap> };
  const clamped: string[] = [];
  for (const [code, c] of Object.entries(doc.customers)) {
    const cfg = (c.data_config ?? {}) as RawMap;
    const key =
      c.data_sharing_method === 'api' ? 'api_polling_frequency_minutes' : 'csv_update_frequency_minutes';
    const minutesNow = typeof cfg[key] === 'number' && (cfg[key] as number) > 0 ? (cfg[key] as number) : 5;
    const seconds = Math.max(SCHEMA_MIN_COLLECT_SECONDS, Math.round((minutesNow * 60) / speed));
    if (seconds > Math.round((minutesNow * 60) / speed))
      clamped.push(`${code} (${seconds} s, not ${(minutesNow * 60) / speed} s)`);
    c.data_config = { ...cfg, [key]: seconds / 60 };
    for (const f of (c.facilities ?? []) as RawMap[])
      for (const u of (f.units ?? []) as RawMap[])
        u.data_frequency = Math.max(1, Math.round((u.data_frequency as number) / speed));
  }
  const file = path.join(dir, `fleet-x${speed}.yaml`);
  const text = stringify(doc);
  await writeFile(file, text);
  const fleet = parseFleet(text);
  const units = fleet.customers.flatMap((c) => c.facilities.flatMap((f) => f.units));
  return {
    file,
    customers: fleet.customers.length,
    units: units.length,
    readingsPerSecond: units.reduce((a, u) => a + 1 / u.dataFrequencySeconds, 0),
    clamped,
  };
};

// ---------------------------------------------------------------------------------------------
// Processes

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
}

const PROBE = path.join(REPO_ROOT, 'bench', 'lib', 'loop-probe.ts');

/** Node's flags in `npm start` (`node <flags> bin/tms.js up`), so every process runs as it would. */
const START_NODE_FLAGS: string[] = (() => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const m = /^node\s+(.*?)\s*bin\/tms\.js\b/.exec(pkg.scripts.start ?? '');
  return m?.[1] ? m[1].split(/\s+/) : [];
})();

/** `tms up …` with exactly the environment given (none of this shell's DATABASE_URL and the like). */
const startUp = (name: string, args: string[], env: Record<string, string>, probeFile?: string): Proc => {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DATABASE_URL|DATABASE_READ_URL|RABBITMQ_URL|TMS_|SIM_|PORT$|HOST$)/.test(k),
    ),
  );
  const execArgs = [...START_NODE_FLAGS, ...(probeFile ? ['--import', 'tsx', '--import', PROBE] : [])];
  const child = spawn(process.execPath, [...execArgs, TMS_BIN, 'up', ...args], {
    cwd: REPO_ROOT,
    env: { ...base, LOG_LEVEL: 'warn', ...env, ...(probeFile ? { TMS_LOOP_PROBE_FILE: probeFile } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last 64 kB of what it printed: enough to say why it died.
  let out = '';
  const keepTail = (d: Buffer) => {
    out = (out + d.toString()).slice(-65_536);
  };
  child.stdout!.on('data', keepTail);
  child.stderr!.on('data', keepTail);
  return { name, child, output: () => out };
};

const stopProc = async (p: Proc): Promise<void> => {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('close', () => r()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
};

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

/** CPU seconds (user + system) the process has used so far. */
const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), here 11 and 12 after pid, comm and state.
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

// ---------------------------------------------------------------------------------------------
// Readings from the running system

/** Sum of the samples of one metric in Prometheus text (all label sets). NaN when absent. */
const metric = (text: string, name: string): number => {
  let sum = NaN;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm')))
    sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[1]);
  return sum;
};

const scrape = async (base: string): Promise<string> => {
  const res = await fetch(`${base}/metrics`);
  if (!res.ok) throw new Error(`/metrics: HTTP ${res.status}`);
  return res.text();
};

/** Asks the loop probe preloaded into `pid` for the delay since its last answer. */
const probeLoop = async (pid: number, file: string): Promise<number> => {
  const asked = Date.now();
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 50; i++) {
    await sleep(20);
    try {
      const f = JSON.parse(await readFile(file, 'utf8')) as { at: number; p99Ms: number };
      if (f.at >= asked) return f.p99Ms;
    } catch {
      // not written yet
    }
  }
  return NaN;
};

/** Until /health answers 200; a failure carries what the processes printed. */
const waitHealthy = async (base: string, procs: Proc[]): Promise<void> => {
  try {
    await waitForHttp(`${base}/health`, 120_000);
  } catch (e) {
    const outputs = procs.map((p) => `--- ${p.name} (exit ${p.child.exitCode ?? 'none'}):\n${p.output()}`);
    throw new Error(`${(e as Error).message}\n${outputs.join('\n')}`);
  }
};

const openChannel = async (rabbit: ChannelModel): Promise<Channel> => {
  const ch = await rabbit.createChannel();
  ch.on('error', () => undefined);
  return ch;
};

/** Until the ingest process has declared its queue (it does so at start). */
const waitForQueue = async (rabbit: ChannelModel, name: string): Promise<void> => {
  for (let i = 0; i < 240; i++) {
    const ch = await openChannel(rabbit);
    try {
      await ch.checkQueue(name);
      await ch.close();
      return;
    } catch {
      await sleep(500);
    }
  }
  throw new Error(`queue ${name} not declared after 120 s`);
};

const burst = async (url: string, token: string, seconds: number) => {
  const r = await autocannon({
    url,
    headers: { authorization: `Bearer ${token}` },
    connections: 16,
    duration: seconds,
    overallRate: rate,
  });
  // No answer within the burst leaves autocannon's histogram empty (p99 0): not a figure.
  const answered = (r.requests.total ?? 1) > 0;
  return {
    p99: answered ? r.latency.p99 : NaN,
    p50: answered ? r.latency.p50 : NaN,
    errors: r.non2xx + r.errors,
    rps: r.requests.average,
  };
};

/** Seconds since each customer's newest stored reading (the lag floor is its collection period + its units' cadence). */
const customerLags = async (
  base: string,
  tokens: Record<string, string>,
): Promise<Record<string, number>> => {
  const now = Date.now();
  const out: Record<string, number> = {};
  await Promise.all(
    Object.entries(tokens).map(async ([code, token]) => {
      const res = await fetch(`${base}/api/v1/temperature/latest?limit=100`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const items = res.ok ? ((await res.json()) as Array<{ recorded_at: string }>) : [];
      const newest = Math.max(...items.map((i) => Date.parse(i.recorded_at)));
      out[code] = Number.isFinite(newest) ? (now - newest) / 1000 : NaN;
    }),
  );
  return out;
};

// ---------------------------------------------------------------------------------------------

interface Sample {
  minute: number;
  rssMb: Record<string, number>;
  cpuPercent: Record<string, number>;
  heapUsedMb: number;
  /** Event-loop delay p99 (ms) of the process serving the API over the interval before the burst. */
  apiLoopP99Ms: number;
  /** The same during the burst. */
  apiLoopP99BurstMs: number;
  /** Event-loop delay p99 (ms) of the separate ingest process (postgres), over the whole interval. */
  ingestLoopP99Ms: number;
  latestP99Ms: number;
  unitPageP99Ms: number;
  /** Requests/s answered during each burst (below --rate: the API could not keep up). */
  latestRps: number;
  unitPageRps: number;
  burstErrors: number;
  queueDepth: number;
  readingsStored: number;
  readingsPerSecond: number;
  lagMaxSeconds: number;
  lagMedianSeconds: number;
  lagByCustomer: Record<string, number>;
  loadAverage1m: number;
}

const main = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tms-soak-'));
  const fleet = await writeFleetAtSpeed(dir);
  const portBase = randomPortBase();
  const apiPort = portBase;
  const simPortStart = portBase + 1;
  const base = `http://127.0.0.1:${apiPort}`;
  const common: Record<string, string> = {
    TMS_DATA_DIR: path.join(dir, 'data'),
    TMS_FLEET_FILE: fleet.file,
    PORT: String(apiPort),
    SIM_PORT_START: String(simPortStart),
  };
  const prefix = `soak-${process.pid}-`;
  const queueName = `${prefix}temperature_readings`;
  let db: Db | undefined;
  let rabbit: ChannelModel | undefined;
  let channel: Channel | undefined;
  const procs: Proc[] = [];
  const ingestProbe = path.join(dir, 'ingest-loop.json');
  const loadStart = os.loadavg();

  log(
    `fleet at ${speed}×: ${fleet.customers} customers, ${fleet.units} units, ${fleet.readingsPerSecond.toFixed(1)} readings/s` +
      (fleet.clamped.length
        ? `; collection period at the schema's 10 s floor: ${fleet.clamped.join(', ')}`
        : ''),
  );
  const t0 = Date.now();
  try {
    if (backend === 'postgres') {
      db = await openKeptDatabase(adminUrl, 'tms_soak', { reload: true, max: 2 });
      const url = new URL(adminUrl);
      url.pathname = '/tms_soak';
      Object.assign(common, {
        DATABASE_URL: url.toString(),
        RABBITMQ_URL: rabbitUrl,
        TMS_QUEUE_PREFIX: prefix,
      });
      procs.push(startUp('simulator', ['--roles', 'simulator'], common));
      // The api process migrates, seeds and writes tokens.json before the ingest one starts.
      procs.push(startUp('api', ['--roles', 'api'], common));
      await waitHealthy(base, procs);
      procs.push(startUp('ingest', ['--roles', 'ingest'], common, ingestProbe));
      rabbit = await connect(rabbitUrl);
      // A check of a queue not declared yet closes the channel with an error event: expected here.
      rabbit.on('error', () => undefined);
      await waitForQueue(rabbit, queueName);
    } else {
      procs.push(startUp('tms', [], common));
    }
    await waitHealthy(base, procs);
    log(
      `healthy ${((Date.now() - t0) / 1000).toFixed(1)} s after the first start (${procs.map((p) => `${p.name} pid ${p.child.pid}`).join(', ')})`,
    );

    const tokensFile = JSON.parse(await readFile(path.join(common.TMS_DATA_DIR!, 'tokens.json'), 'utf8')) as {
      customers: Record<string, { token: string }>;
    };
    const customerTokens = Object.fromEntries(
      Object.entries(tokensFile.customers).map(([c, t]) => [c, t.token]),
    );
    const created = await runTms(
      [
        'tokens',
        'create',
        '--customer',
        'A',
        '--scopes',
        'read',
        '--name',
        'soak',
        '--rate-limit',
        '2000000000',
        '--json',
      ],
      common,
    );
    if (created.code !== 0) throw new Error(`tokens create failed: ${created.stderr}`);
    const benchToken = (JSON.parse(created.stdout) as { token: string }).token;
    const auth = { authorization: `Bearer ${benchToken}` };
    const facilities = (await (await fetch(`${base}/api/v1/facilities`, { headers: auth })).json()) as {
      items: Array<{ id: string }>;
    };
    const units = (await (
      await fetch(`${base}/api/v1/facilities/${facilities.items[0]!.id}/units`, { headers: auth })
    ).json()) as { items: Array<{ id: string }> };
    const unitPage = `${base}/api/v1/temperature/unit/${units.items[0]!.id}`;

    const samples: Sample[] = [];
    const total = Math.floor((minutes * 60) / sampleSeconds);
    let prevCpu = Object.fromEntries(procs.map((p) => [p.name, cpuSeconds(p.child.pid!)]));
    let prevAt = Date.now();
    let prevStored = 0;
    // Starts the apiLoopP99 window and the probe's.
    await scrape(base);
    let lastScrapeAt = Date.now();
    if (backend === 'postgres')
      await probeLoop(procs.find((p) => p.name === 'ingest')!.child.pid!, ingestProbe);
    console.log(
      `\n${'min'.padStart(6)} ${procs.map((p) => `${p.name} RSS`.padStart(11)).join(' ')} ${'loop p99'.padStart(9)} ${backend === 'postgres' ? `${'ingest lp'.padStart(9)} ` : ''}${'latest p99'.padStart(10)} ${'unit p99'.padStart(9)} ${'queue'.padStart(6)} ${'readings'.padStart(9)} ${'rd/s'.padStart(6)} ${'lag s'.padStart(6)}`,
    );
    const startedAt = Date.now();
    for (let k = 0; k <= total; k++) {
      const due = startedAt + k * sampleSeconds * 1000;
      if (Date.now() < due) await sleep(due - Date.now());
      const dead = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
      if (dead)
        throw new Error(
          `${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}):\n${dead.output()}`,
        );
      const now = Date.now();
      const rss = Object.fromEntries(procs.map((p) => [p.name, rssMb(p.child.pid!)]));
      const cpuNow = Object.fromEntries(procs.map((p) => [p.name, cpuSeconds(p.child.pid!)]));
      const cpuPercent = Object.fromEntries(
        procs.map((p) => [p.name, (100 * (cpuNow[p.name]! - prevCpu[p.name]!)) / ((now - prevAt) / 1000)]),
      );
      prevCpu = cpuNow;
      const before = await scrape(base);
      // A window under a second (a sample that overran its interval) holds no delay figure.
      const loopWindowMs = Date.now() - lastScrapeAt;
      const ingestLoop =
        backend === 'postgres'
          ? await probeLoop(procs.find((p) => p.name === 'ingest')!.child.pid!, ingestProbe)
          : NaN;
      let queueDepth = metric(before, 'tms_queue_depth');
      let stored = metric(before, 'tms_readings_stored_total');
      if (backend === 'postgres') {
        try {
          channel ??= await openChannel(rabbit!);
          queueDepth = (await channel.checkQueue(queueName)).messageCount;
        } catch {
          channel = undefined; // the queue is not declared yet: the channel was closed
          queueDepth = NaN;
        }
        const [counted] = await db!.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM temperature_readings',
        );
        stored = counted!.n;
      }
      const lags = await customerLags(base, customerTokens);
      const lagValues = Object.values(lags)
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      const latest = await burst(`${base}/api/v1/temperature/latest`, benchToken, burstSeconds);
      const page = await burst(unitPage, benchToken, burstSeconds);
      const after = await scrape(base);
      lastScrapeAt = Date.now();
      const s: Sample = {
        minute: (now - startedAt) / 60_000,
        rssMb: rss,
        cpuPercent: k === 0 ? Object.fromEntries(procs.map((p) => [p.name, NaN])) : cpuPercent,
        heapUsedMb: metric(before, 'tms_nodejs_heap_size_used_bytes') / 2 ** 20,
        apiLoopP99Ms:
          loopWindowMs < 1000 ? NaN : metric(before, 'tms_nodejs_eventloop_lag_p99_seconds') * 1000,
        apiLoopP99BurstMs: metric(after, 'tms_nodejs_eventloop_lag_p99_seconds') * 1000,
        ingestLoopP99Ms: ingestLoop,
        latestP99Ms: latest.p99,
        unitPageP99Ms: page.p99,
        latestRps: latest.rps,
        unitPageRps: page.rps,
        burstErrors: latest.errors + page.errors,
        queueDepth,
        readingsStored: stored,
        readingsPerSecond: k === 0 ? NaN : (stored - prevStored) / ((now - prevAt) / 1000),
        lagMaxSeconds: lagValues.length ? lagValues[lagValues.length - 1]! : NaN,
        lagMedianSeconds: lagValues.length ? lagValues[Math.floor(lagValues.length / 2)]! : NaN,
        lagByCustomer: lags,
        loadAverage1m: os.loadavg()[0]!,
      };
      prevAt = now;
      prevStored = stored;
      samples.push(s);
      console.log(row(s, procs));
    }

    report(samples, procs, fleet, loadStart);
    await writeResults(samples, procs, fleet);
  } finally {
    for (const p of [...procs].reverse()) await stopProc(p);
    if (rabbit) {
      try {
        const ch = await openChannel(rabbit);
        await ch.deleteQueue(queueName);
        await ch.deleteQueue(`${prefix}temperature_readings.dlq`);
        await ch.deleteExchange(`${prefix}temperature_data`);
        await ch.deleteExchange(`${prefix}temperature_readings.dlx`);
      } finally {
        await rabbit.close().catch(() => undefined);
      }
    }
    await db?.close();
    if (keep) log(`kept ${dir}${backend === 'postgres' ? ' and database tms_soak' : ''}`);
    else {
      await rm(dir, { recursive: true, force: true });
      if (db) {
        const admin = new pg.Client({ connectionString: adminUrl });
        await admin.connect();
        await admin.query('DROP DATABASE IF EXISTS tms_soak WITH (FORCE)').finally(() => admin.end());
      }
    }
  }
};

const f = (x: number, digits = 1, width = 0) =>
  (Number.isFinite(x) ? x.toFixed(digits) : '—').padStart(width);

const row = (s: Sample, procs: Proc[]): string =>
  `${f(s.minute, 2, 6)} ${procs.map((p) => f(s.rssMb[p.name]!, 1, 11)).join(' ')} ${f(s.apiLoopP99Ms, 1, 9)} ${backend === 'postgres' ? `${f(s.ingestLoopP99Ms, 1, 9)} ` : ''}${f(s.latestP99Ms, 1, 10)} ${f(s.unitPageP99Ms, 1, 9)} ${f(s.queueDepth, 0, 6)} ${String(s.readingsStored).padStart(9)} ${f(s.readingsPerSecond, 1, 6)} ${f(s.lagMaxSeconds, 0, 6)}${s.burstErrors ? `  ${s.burstErrors} errors` : ''}`;

interface Series {
  name: string;
  unit: string;
  values: (s: Sample) => number;
}

const seriesOf = (procs: Proc[]): Series[] => [
  ...procs.map((p) => ({ name: `${p.name} RSS`, unit: 'MB', values: (s: Sample) => s.rssMb[p.name]! })),
  ...procs.map((p) => ({ name: `${p.name} CPU`, unit: '%', values: (s: Sample) => s.cpuPercent[p.name]! })),
  { name: 'API heap used', unit: 'MB', values: (s) => s.heapUsedMb },
  {
    name: `${procs.length > 1 ? 'api' : 'tms'} loop p99 (between bursts)`,
    unit: 'ms',
    values: (s) => s.apiLoopP99Ms,
  },
  {
    name: `${procs.length > 1 ? 'api' : 'tms'} loop p99 (during burst)`,
    unit: 'ms',
    values: (s) => s.apiLoopP99BurstMs,
  },
  ...(backend === 'postgres'
    ? [{ name: 'ingest loop p99', unit: 'ms', values: (s: Sample) => s.ingestLoopP99Ms }]
    : []),
  { name: 'API p99 /temperature/latest', unit: 'ms', values: (s) => s.latestP99Ms },
  { name: 'API p99 /temperature/unit/{id}', unit: 'ms', values: (s) => s.unitPageP99Ms },
  { name: 'API req/s answered /temperature/latest', unit: 'req/s', values: (s) => s.latestRps },
  { name: 'API req/s answered /temperature/unit/{id}', unit: 'req/s', values: (s) => s.unitPageRps },
  { name: 'queue depth', unit: 'batches', values: (s) => s.queueDepth },
  { name: 'readings stored/s', unit: '/s', values: (s) => s.readingsPerSecond },
  { name: 'ingestion lag (max over customers)', unit: 's', values: (s) => s.lagMaxSeconds },
];

const report = (samples: Sample[], procs: Proc[], fleet: FleetAtSpeed, loadStart: number[]): void => {
  const series = seriesOf(procs);
  const fitted = samples.filter((s) => s.minute >= warmupMinutes);
  console.log(
    `\n| min | ${series.map((x) => `${x.name} (${x.unit})`).join(' | ')} | readings | burst errors |`,
  );
  console.log(`|${['', ...series, '', ''].map(() => '---').join('|')}|`);
  for (const s of samples)
    console.log(
      `| ${s.minute.toFixed(1)} | ${series.map((x) => f(x.values(s), x.unit === 'batches' ? 0 : 1)).join(' | ')} | ${s.readingsStored} | ${s.burstErrors} |`,
    );
  console.log(
    `\nLeast-squares slope per hour over the ${fitted.length} samples from minute ${warmupMinutes.toFixed(1)} on (first and last value in brackets):`,
  );
  for (const x of series) {
    const ys = fitted.map(x.values);
    const slope = leastSquaresSlope(
      fitted.map((s) => s.minute / 60),
      ys,
    );
    console.log(
      `  ${x.name.padEnd(38)} ${f(slope, 2, 10)} ${x.unit}/h   (${f(ys[0] ?? NaN, 1)} → ${f(ys[ys.length - 1] ?? NaN, 1)} ${x.unit})`,
    );
  }
  const cpu = os.cpus();
  console.log(
    `\nConditions: ${backend === 'postgres' ? 'PostgreSQL (fresh database tms_soak) + RabbitMQ, three processes (simulator, api, ingest)' : 'embedded PGlite (fresh temporary data directory) + in-process queue, one `tms up` process'}, Node flags of \`npm start\`: ${START_NODE_FLAGS.join(' ') || 'none'}; ` +
      `default fleet (${fleet.customers} customers, ${fleet.units} units) at ${speed}× (units read ${speed}× as often, customers collected ${speed}× as often${fleet.clamped.length ? `, except ${fleet.clamped.join(', ')}` : ''}): ${fleet.readingsPerSecond.toFixed(1)} readings/s; ` +
      `first start backfills 24 h at that density; ${minutes} min, a sample every ${sampleSeconds} s; per sample a burst of ${burstSeconds} s at ${rate} req/s (16 connections, autocannon in the benchmark process) on each of /temperature/latest and one unit's page (customer A token); ` +
      `loop p99 from /metrics (prom-client, reset at each scrape)${backend === 'postgres' ? ' and, for the ingest process, the same perf_hooks histogram preloaded by bench/lib/loop-probe.ts' : ''}; ` +
      `queue depth ${backend === 'postgres' ? 'RabbitMQ messages ready (checkQueue)' : 'tms_queue_depth (batches pending in the in-process queue)'}; ` +
      `${cpu.length} vCPU (${cpu[0]?.model ?? '?'}), Node ${process.version}, load average ${loadStart.map((x) => x.toFixed(1)).join('/')} at start, ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join('/')} at end (the machine may be shared: figures are noisy).`,
  );
};

const writeResults = async (samples: Sample[], procs: Proc[], fleet: FleetAtSpeed): Promise<void> => {
  const outDir = path.join(REPO_ROOT, 'bench', 'results');
  await mkdir(outDir, { recursive: true });
  const name = `soak-${backend}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
  const series = seriesOf(procs);
  const fitted = samples.filter((s) => s.minute >= warmupMinutes);
  const slopes = Object.fromEntries(
    series.map((x) => [
      `${x.name} (${x.unit}/h)`,
      leastSquaresSlope(
        fitted.map((s) => s.minute / 60),
        fitted.map(x.values),
      ),
    ]),
  );
  const conditions = {
    backend,
    minutes,
    speed,
    sampleSeconds,
    burstSeconds,
    rate,
    warmupMinutes,
    fleet: {
      customers: fleet.customers,
      units: fleet.units,
      readingsPerSecond: fleet.readingsPerSecond,
      clamped: fleet.clamped,
    },
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    node: process.version,
    nodeFlags: START_NODE_FLAGS,
  };
  await writeFile(
    path.join(outDir, `${name}.json`),
    JSON.stringify({ conditions, slopes, samples }, null, 2),
  );
  const head = [
    'minute',
    ...series.map((x) => `${x.name} (${x.unit})`),
    'readings stored',
    'burst errors',
    'load 1m',
  ];
  const csv = [
    head.map((h) => `"${h}"`).join(','),
    ...samples.map((s) =>
      [
        s.minute.toFixed(3),
        ...series.map((x) => x.values(s)),
        s.readingsStored,
        s.burstErrors,
        s.loadAverage1m,
      ]
        .map((v) => (typeof v === 'number' && !Number.isFinite(v) ? '' : String(v)))
        .join(','),
    ),
  ].join('\n');
  await writeFile(path.join(outDir, `${name}.csv`), `${csv}\n`);
  log(`wrote bench/results/${name}.json and .csv`);
};

await main();
