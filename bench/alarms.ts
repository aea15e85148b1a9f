/**
 * Alarm benchmark (`npm run bench:alarms`), on embedded PGlite and on PostgreSQL, each figure printed
 * with its conditions and a baseline measured in the same run:
 *   1. ingestion readings/s through the real writer (writeBatch) with alarm evaluation off and on — on:
 *      the alarm worker of the ingest role runs in the process, woken after every commit (as the role
 *      does) or only polling every second (so one pass takes many commits), and the clock stops only
 *      when every unit is evaluated (alarm_pending empty). Baseline: evaluation off (the writer's
 *      alarm_pending upsert is part of its statement and cannot be turned off). Rounds alternate
 *      off/woken/polled over consecutive windows of the default fleet. Target: on ≤ 10 % slower.
 *   2. commit → SMTP: a reading beyond a zero-delay rule is committed, the worker is woken (as the ingest
 *      role does), the notifier (default tuning: polls the outbox every 500 ms) sends the mail through
 *      nodemailer to a real SMTP server (smtp-server) in this process; time until the server accepted
 *      it, p50/p99. Target p99 < 2 s. Baseline: a bare nodemailer send to the same server.
 *   3. the no-data sweep (runNoDataSweep) over 10,000 units: nothing due (the routine pass), 1 % due
 *      (100 no_data alarms opened), and the first pass that checks all 10,000 new units. Target:
 *      routine < 100 ms. Baseline: a SELECT 1 round trip.
 *
 *   npm run bench:alarms -- [--only a|b] [--readings 30000] [--rounds 2] [--mails 50] [--units 10000]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { pino } from 'pino';
import { evaluatePending } from '../src/alarms/evaluator.ts';
import { startNotifier } from '../src/alarms/notifier.ts';
import { runNoDataSweep } from '../src/alarms/sweep-no-data.ts';
import { startAlarmWorker } from '../src/alarms/worker.ts';
import { saveUnitRules } from '../src/db/alarm-rules-repo.ts';
import { claimNoDataDue, createSweepUnitStates } from '../src/db/alarm-state-repo.ts';
import { migrate } from '../src/db/migrate.ts';
import { insertChannel } from '../src/db/notification-repo.ts';
import { openPglite } from '../src/db/pglite.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { seedFleet } from '../src/db/seed-fleet.ts';
import type { Db } from '../src/db/types.ts';
import type { AlarmRule } from '../src/domain/alarms/types.ts';
import type { FleetCustomer } from '../src/domain/fleet.ts';
import type { Reading } from '../src/domain/reading.ts';
import { CodeMapCache, codesOf } from '../src/ingestion/code-map.ts';
import { processRows } from '../src/ingestion/processor.ts';
import type { RawRow } from '../src/ingestion/types.ts';
import { writeBatch } from '../src/ingestion/writer.ts';
import { systemClock } from '../src/lib/clock.ts';
import { MAX_BATCH_READINGS, splitIntoBatches } from '../src/queue/types.ts';
import { loadFleet } from '../src/simulation/fleet.ts';
import { customerReadings } from '../src/simulation/reading-generator.ts';
import { startSmtpServer } from '../test/support/notify-servers.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const only = arg('only', 'ab');
const perRound = Number(arg('readings', '30000'));
const rounds = Number(arg('rounds', '2'));
const mailCount = Number(arg('mails', '50'));
const sweepUnits = Number(arg('units', '10000'));
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const silent = pino({ level: 'silent' });
const HOUR_MS = 3_600_000;

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en');
const loadAverage = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

interface Batch {
  customerId: string;
  readings: Reading[];
}

/**
 * The default fleet's readings from `fromMs` on, an hour of every customer at a time, processed and
 * cut into writer batches, until `target` readings. Done before the clock starts.
 */
const prepareBatches = async (
  db: Db,
  customers: FleetCustomer[],
  ids: Record<string, string>,
  fromMs: number,
  target: number,
): Promise<{ batches: Batch[]; readings: number; toMs: number }> => {
  const codeMaps = new CodeMapCache(db);
  const batches: Batch[] = [];
  let readings = 0;
  let t = fromMs;
  for (; readings < target; t += HOUR_MS) {
    for (const c of customers) {
      const rows = customerReadings({ seed: 'bench-alarms', customer: c, fromMs: t, toMs: t + HOUR_MS });
      if (rows.length === 0) continue;
      const customerId = ids[c.code]!;
      const raw = rows as unknown as RawRow[];
      const units = await codeMaps.lookupFor(customerId, codesOf(raw));
      const r = processRows({
        rows: raw,
        customerCode: c.code,
        timezone: 'UTC',
        units,
        nowMs: Date.now(),
        futureToleranceMs: 300_000,
      });
      for (const part of splitIntoBatches(r.readings, MAX_BATCH_READINGS))
        batches.push({ customerId, readings: part });
      readings += r.readings.length;
    }
  }
  return { batches, readings, toMs: t };
};

const pendingUnits = async (db: Db): Promise<number> =>
  Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM alarm_pending'))[0]!.n);

/** Evaluates everything pending (untimed housekeeping between rounds). */
const drain = async (db: Db): Promise<void> => {
  for (;;) {
    const r = await evaluatePending(db, systemClock, { batchSize: 100 });
    if (r.units === 0 && !r.more) return;
  }
};

type Mode = 'off' | 'woken' | 'polled';

/**
 * Writes the batches one after another. `woken`: the alarm worker runs and is woken after every commit
 * (the ingest role); `polled`: it runs but only polls (every 1 s), so a pass takes many commits at once.
 * With the worker, the clock stops when every unit is evaluated.
 */
const ingestRound = async (db: Db, batches: Batch[], readings: number, mode: Mode) => {
  const worker =
    mode === 'off' ? null : startAlarmWorker({ db, clock: systemClock, log: silent, pollMs: 1000 });
  const t0 = performance.now();
  for (const b of batches) {
    const w = await writeBatch(db, {
      batchId: randomUUID(),
      ingestionLogId: null,
      customerId: b.customerId,
      readings: b.readings,
    });
    if (w.stored > 0 && mode === 'woken') worker?.wake();
  }
  const writtenMs = performance.now() - t0;
  if (worker) {
    worker.wake();
    while ((await pendingUnits(db)) > 0) await sleep(5);
  }
  const totalMs = performance.now() - t0;
  await worker?.stop();
  return { perSecond: readings / (totalMs / 1000), writtenMs, totalMs };
};

const MODES: Mode[] = ['off', 'woken', 'polled'];

const ingestion = async (db: Db, customers: FleetCustomer[], ids: Record<string, string>) => {
  // Consecutive windows ending about a day ago: each round's readings are newer than the last's.
  const perHour = (await prepareBatches(db, customers, ids, Date.now() - 30 * 86_400_000, 1)).readings;
  const span = Math.ceil(((MODES.length * rounds + 2) * perRound) / Math.max(1, perHour)) * HOUR_MS;
  let fromMs = Math.floor((Date.now() - 86_400_000 - span) / HOUR_MS) * HOUR_MS;
  // Warm-up, untimed: every unit evaluated once (state rows, JIT), so no round pays for a first time.
  const warm = await prepareBatches(db, customers, ids, fromMs, Math.min(perRound, 5000));
  fromMs = warm.toMs;
  await ingestRound(db, warm.batches, warm.readings, 'woken');
  const results: Record<Mode, number[]> = { off: [], woken: [], polled: [] };
  const lag: Record<Mode, number[]> = { off: [], woken: [], polled: [] };
  /** The off rounds' readings evaluated afterwards, 100 units a pass: evaluation alone, in bulk. */
  const backlog: number[] = [];
  for (let k = 0; k < MODES.length * rounds; k++) {
    const mode = MODES[k % MODES.length]!;
    const { batches, readings, toMs } = await prepareBatches(db, customers, ids, fromMs, perRound);
    fromMs = toMs;
    const r = await ingestRound(db, batches, readings, mode);
    results[mode].push(r.perSecond);
    lag[mode].push(r.totalMs - r.writtenMs);
    const t0 = performance.now();
    await drain(db);
    if (mode === 'off') backlog.push(readings / ((performance.now() - t0) / 1000));
  }
  return { results, lag, backlog, lastMs: fromMs };
};

/** Zero-delay rule on `mailCount` units, an e-mail channel per customer, one committed reading each. */
const commitToMail = async (db: Db) => {
  const smtp = await startSmtpServer();
  const mailFrom = 'tms@bench.invalid';
  // Baseline: nodemailer straight to the same server.
  const transport = nodemailer.createTransport(smtp.url);
  const bare: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = Date.now();
    await transport.sendMail({ from: mailFrom, to: 'ops@bench.invalid', subject: 'baseline', text: 'x' });
    bare.push(Date.now() - t0);
  }
  transport.close();
  smtp.mails.length = 0;

  const units = await db.query<{ id: string; facility_id: string; customer_id: string }>(
    'SELECT id, facility_id, customer_id FROM storage_units ORDER BY unit_code LIMIT $1',
    [mailCount],
  );
  const rule: AlarmRule = {
    id: 'bench-zero-delay',
    kind: 'high',
    severity: 'critical',
    threshold_c: -1000,
    delay_seconds: 0,
    deadband_c: 0,
    clear_delay_seconds: 0,
    enabled: true,
  };
  for (const u of units) await saveUnitRules(db, u.id, [rule]);
  // Critical only: the no_data warnings of the other units (silent since the ingestion rounds) stay out.
  for (const customerId of new Set(units.map((u) => u.customer_id)))
    await insertChannel(db, customerId, {
      type: 'email',
      target: 'ops@bench.invalid',
      secret: null,
      min_severity: 'critical',
      escalate_after_seconds: 0,
    });
  const worker = startAlarmWorker({ db, clock: systemClock, log: silent });
  const notifier = startNotifier({
    db,
    clock: systemClock,
    log: silent,
    settings: { smtpUrl: smtp.url, mailFrom, publicUrl: 'http://127.0.0.1:8000' },
  });
  const latencies: number[] = [];
  let lost = 0;
  try {
    // Let the first pass (rule changes, the sweep over the silent units) finish before measuring.
    await sleep(2000);
    for (const u of units) {
      const before = smtp.mails.length;
      await writeBatch(db, {
        batchId: randomUUID(),
        ingestionLogId: null,
        customerId: u.customer_id,
        readings: [
          {
            storageUnitId: u.id,
            facilityId: u.facility_id,
            recordedAtMs: Date.now() - 1000,
            temperatureC: 4,
            sourceValue: 4,
            sourceUnit: 'C',
            sensorId: null,
            qualityScore: 1,
            equipmentStatus: 'normal',
          },
        ],
      });
      const committedAt = Date.now();
      worker.wake();
      const deadline = committedAt + 15_000;
      while (smtp.mails.length === before && Date.now() < deadline) await sleep(2);
      const mail = smtp.mails[before];
      if (mail) latencies.push(mail.acceptedAtMs - committedAt);
      else lost++;
      // Spread the commits over the notifier's 500 ms poll cycle (a fixed pause would lock onto its phase).
      await sleep((latencies.length * 137) % 500);
    }
  } finally {
    await worker.stop();
    await notifier.stop();
    await smtp.close();
  }
  return { latencies, bare, lost, extra: smtp.mails.length - latencies.length };
};

/** `sweepUnits` more units (100 a customer), then the sweep: first pass, routine passes, 1 % due. */
const sweep = async (db: Db) => {
  const perCustomer = 100;
  const customers = Math.ceil(sweepUnits / perCustomer);
  await db.query(
    `INSERT INTO customers (customer_code, name, data_sharing_method, data_frequency_seconds)
     SELECT 'SWEEP' || i, 'Sweep ' || i, 'api', 300 FROM generate_series(1, $1::int) i`,
    [customers],
  );
  await db.query(
    `INSERT INTO facilities (customer_id, facility_code, name)
     SELECT id, 'F1', 'Sweep facility' FROM customers WHERE customer_code LIKE 'SWEEP%'`,
  );
  await db.query(
    `INSERT INTO storage_units (facility_id, customer_id, unit_code, size_value, size_unit,
                                set_temperature, temperature_unit, equipment_type, data_frequency_seconds)
     SELECT f.id, f.customer_id, 'U' || n, 10, 'sqm', 5, 'C', 'refrigerator', 300
     FROM facilities f JOIN customers c ON c.id = f.customer_id AND c.customer_code LIKE 'SWEEP%'
     CROSS JOIN generate_series(1, $1::int) n`,
    [perCustomer],
  );
  const total = Number(
    (await db.query<{ n: string }>('SELECT count(*) AS n FROM storage_units WHERE is_active'))[0]!.n,
  );
  // The worker's passes: every 30 s without looking for new units (createStates false), every 5 min with.
  const timed = async (createStates: boolean) => {
    const t0 = performance.now();
    const r = await runNoDataSweep(db, new Date(), { log: silent, createStates });
    return { ms: performance.now() - t0, ...r };
  };
  const first = await timed(true);
  const routine: number[] = [];
  const withNewUnits: number[] = [];
  let routineDue = 0;
  for (let i = 0; i < 20; i++) {
    const r = await timed(false);
    routine.push(r.ms);
    routineDue += r.due;
    if (i % 4 === 0) withNewUnits.push((await timed(true)).ms);
  }
  // Where a routine pass spends its time: creating missing state rows, and the due-unit query.
  const creating: number[] = [];
  const claiming: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t0 = performance.now();
    await createSweepUnitStates(db);
    creating.push(performance.now() - t0);
    t0 = performance.now();
    await db.transaction((tx) => claimNoDataDue(tx, new Date(), 500));
    claiming.push(performance.now() - t0);
  }
  // 1 % of the new units fell silent two hours ago.
  await db.query(
    `UPDATE alarm_unit_state SET last_reading_at = now() - interval '2 hours',
            no_data_due_at = now() - interval '1 hour'
     WHERE storage_unit_id IN (SELECT u.id FROM storage_units u JOIN customers c ON c.id = u.customer_id
                               WHERE c.customer_code LIKE 'SWEEP%' ORDER BY u.id LIMIT $1)`,
    [Math.round(sweepUnits / 100)],
  );
  const onePercent = await timed(false);
  const roundTrip: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await db.query('SELECT 1');
    roundTrip.push(performance.now() - t0);
  }
  return { total, first, routine, withNewUnits, routineDue, creating, claiming, onePercent, roundTrip };
};

const runBackend = async (name: string, db: Db, conditions: string) => {
  const fleet = await loadFleet();
  await migrate(db);
  await seedFleet(
    db,
    { customers: fleet.customers },
    { simHost: '127.0.0.1', simPortStart: 1, timezone: 'UTC' },
  );
  const ids = Object.fromEntries(
    (await db.query<{ id: string; customer_code: string }>('SELECT id, customer_code FROM customers')).map(
      (r) => [r.customer_code, r.id],
    ),
  );
  const version = (await db.query<{ server_version: string }>('SHOW server_version'))[0]!.server_version;
  console.log(`\n(${name}) ${conditions.replace('%v', version)}; load average ${loadAverage()}`);

  const ing = await ingestion(db, fleet.customers, ids);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = mean(ing.results.off);
  const rounded = (xs: number[]) => xs.map(fmt).join(', ');
  const after = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  const slower = (x: number) => `${(((off - x) / off) * 100).toFixed(1)} % slower than off`;
  console.log(
    `  1. ingestion through writeBatch, ${fmt(perRound)} readings a round (rounds alternate off/woken/polled), ` +
      `batches of ≤${MAX_BATCH_READINGS}, 1 writer, default rules (8 a unit), ${Object.keys(ids).length} customers:`,
  );
  console.log(
    `     evaluation off   : ${fmt(off)} readings/s (baseline, mean; rounds: ${rounded(ing.results.off)})`,
  );
  for (const [mode, label] of [
    ['woken', 'on, worker woken after every commit (the ingest role)'],
    ['polled', 'on, worker polling every 1 s (not woken)'],
  ] as const)
    console.log(
      `     evaluation ${label}: ${fmt(mean(ing.results[mode]))} readings/s, ${slower(mean(ing.results[mode]))} ` +
        `(target ≤ 10 %; rounds: ${rounded(ing.results[mode])}; all evaluated ${after(ing.lag[mode])} ms after the last commit)`,
    );
  console.log(
    `     evaluation alone, the off rounds' backlog afterwards (evaluatePending, 100 units a pass): ` +
      `${rounded(ing.backlog)} readings/s`,
  );

  const m = await commitToMail(db);
  console.log(
    `  2. commit → SMTP server accepted the mail, zero-delay critical rule, ${mailCount} alarms one at a time:`,
  );
  console.log(
    `     p50 ${percentile(m.latencies, 50).toFixed(0)} ms, p99 ${percentile(m.latencies, 99).toFixed(0)} ms, ` +
      `max ${Math.max(...m.latencies).toFixed(0)} ms over ${m.latencies.length} mails (target p99 < 2,000 ms)` +
      `${m.lost > 0 ? `; ${m.lost} NOT received within 15 s` : ''}${m.extra > 0 ? `; ${m.extra} other mails` : ''}`,
  );
  console.log(
    `     baseline: a bare nodemailer send to the same server p50 ${percentile(m.bare, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(m.bare, 99).toFixed(0)} ms; worker woken after the commit (as the ingest role does), ` +
      `notifier polling the outbox every 500 ms (default tuning)`,
  );

  const s = await sweep(db);
  console.log(`  3. no-data sweep (runNoDataSweep) over ${fmt(s.total)} active units:`);
  console.log(
    `     routine pass (every 30 s), nothing due: p50 ${percentile(s.routine, 50).toFixed(1)} ms, max ${Math.max(...s.routine).toFixed(1)} ms ` +
      `over ${s.routine.length} passes (target < 100 ms; ${s.routineDue} units due in them)`,
  );
  console.log(
    `     the 5-minutely pass that also looks for new units (none): p50 ${percentile(s.withNewUnits, 50).toFixed(1)} ms ` +
      `over ${s.withNewUnits.length} passes`,
  );
  console.log(
    `       looking for new units (createSweepUnitStates) alone p50 ${percentile(s.creating, 50).toFixed(1)} ms, ` +
      `the due-unit query (claimNoDataDue, in its transaction) alone p50 ${percentile(s.claiming, 50).toFixed(1)} ms`,
  );
  console.log(
    `     1 % due: ${s.onePercent.ms.toFixed(0)} ms, ${s.onePercent.due} units checked, ${s.onePercent.opened} no_data alarms opened`,
  );
  console.log(
    `     first pass over ${fmt(s.first.created)} units never seen (state rows created, all checked): ${s.first.ms.toFixed(0)} ms`,
  );
  console.log(
    `     baseline: SELECT 1 round trip p50 ${percentile(s.roundTrip, 50).toFixed(2)} ms, p99 ${percentile(s.roundTrip, 99).toFixed(2)} ms`,
  );
};

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}`;
console.log(`bench:alarms — default fleet, default alarm rules; machine: ${machine}`);

if (only.includes('a')) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tms-bench-alarms-'));
  const db = await openPglite({ dataDir: dir });
  try {
    await runBackend('a: embedded PGlite', db, 'PGlite %v on disk (fsync off), one connection');
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (only.includes('b')) {
  const name = `tms_bench_alarms_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres({ url: url.toString(), max: 8 });
  try {
    await runBackend('b: PostgreSQL', db, 'PostgreSQL %v on this machine (synchronous_commit on), pool of 8');
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
