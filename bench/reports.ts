/**
 * Reports benchmark (`npm run bench:reports`, issue 12), on PostgreSQL database `tms_bench_reports`
 * (kept between runs; `--reload` rebuilds it): a facility of 10 units with minute readings, one of them
 * for a whole year, the others for the last month, and a few acknowledged alarms.
 *
 *   (a) compliance figures of the year-long unit over 1 year (GET /api/v1/analytics/compliance,
 *       in-process inject()): median and p95, against SELECT 1 and GET /ping in the same run.
 *       Target < 100 ms.
 *   (b) the facility's 1-month PDF (renderFacilityReport: figures, charts from hourly rollups, data
 *       hashes, drawing, record and audit entry): median of 5, against the same run's compliance
 *       figures of the facility's month and SELECT 1. Target < 2 s.
 *   (c) audit overhead on write-heavy API use: POST /api/v1/temperature (a manual reading) and
 *       PUT /api/v1/units/{id} (a rename), one audit entry each, with the audit trail on and off
 *       (skipAuditForBenchmark), one and 8 requests in flight, interleaved rounds: time per request
 *       (wall time / requests) and median latency. Target < 5 % slower.
 *
 *   npm run bench:reports -- [--reload] [--runs 30] [--writes 200]
 */
import os from 'node:os';
import { runAs, systemActor } from '../src/audit/context.ts';
import { skipAuditForBenchmark } from '../src/audit/record.ts';
import { issueToken } from '../src/auth/tokens.ts';
import { migrate } from '../src/db/migrate.ts';
import { insertReadingsWithRollups, type NewReading } from '../src/db/readings-query-repo.ts';
import type { Db } from '../src/db/types.ts';
import { buildApp } from '../src/http/app.ts';
import { fixedClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import { complianceReport } from '../src/readings/compliance.ts';
import { renderFacilityReport } from '../src/reports/reports.ts';
import { median, openKeptDatabase, timeRuns } from './lib/kit.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const reload = process.argv.includes('--reload');
const runs = Number(arg('runs', '30'));
const writes = Number(arg('writes', '200'));
const adminUrl = process.env.TMS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'tms_bench_reports';
const MIN = 60_000;
const DAY = 86_400_000;
const END = Date.UTC(2026, 0, 1);
const YEAR_START = END - 365 * DAY;
const MONTH_START = END - 31 * DAY;
const UNITS = 10;
const log = (...a: unknown[]) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const openBench = (): Promise<Db> => openKeptDatabase(adminUrl, DB_NAME, { reload, max: 4 });

/** A fridge at 5 °C with a daily swing and noise, an excursion to ~11 °C every 9 days, 0.1 % failed reads. */
const temperatureAt = (unit: number, i: number): number | null => {
  if ((i + unit * 131) % 997 === 500) return null;
  const day = Math.floor(i / 1440);
  const inExcursion = (day + unit) % 9 === 4 && i % 1440 >= 600 && i % 1440 < 640 + unit * 5;
  const v =
    5 + Math.sin((i / 1440) * 2 * Math.PI) * 0.8 + (inExcursion ? 6 : 0) + (((i + unit) * 7919) % 100) / 500;
  return Math.round(v * 100) / 100;
};

interface Fleet {
  customerId: string;
  facilityId: string;
  unitIds: string[];
}

const load = async (db: Db): Promise<Fleet> => {
  await migrate(db);
  const existing = await db.query<{ id: string; facility_id: string; customer_id: string; n: number }>(
    `SELECT u.id, u.facility_id, u.customer_id,
            (SELECT count(*)::int FROM temperature_readings r WHERE r.storage_unit_id = u.id) AS n
     FROM storage_units u WHERE u.unit_code LIKE 'BR-U%' ORDER BY u.unit_code`,
  );
  if (existing.length === UNITS && existing[0]!.n > 500_000 && existing.every((u) => u.n > 40_000)) {
    log(`reusing ${existing.reduce((a, u) => a + u.n, 0)} readings already loaded`);
    return {
      customerId: existing[0]!.customer_id,
      facilityId: existing[0]!.facility_id,
      unitIds: existing.map((u) => u.id),
    };
  }
  const [c] = await db.query<{ id: string }>(
    `INSERT INTO customers (customer_code, name, data_sharing_method, data_frequency_seconds, timezone)
     VALUES ('BENCHR', 'Reports bench', 'api', 60, 'Europe/London')
     ON CONFLICT (customer_code) DO UPDATE SET name = excluded.name RETURNING id`,
  );
  const [f] = await db.query<{ id: string }>(
    `INSERT INTO facilities (customer_id, facility_code, name) VALUES ($1, 'BR-F', 'Bench vaccine depot')
     ON CONFLICT (customer_id, facility_code) DO UPDATE SET name = excluded.name RETURNING id`,
    [c!.id],
  );
  const unitIds: string[] = [];
  for (let k = 0; k < UNITS; k++) {
    const code = `BR-U${String(k + 1).padStart(2, '0')}`;
    const [u] = await db.query<{ id: string }>(
      `INSERT INTO storage_units (facility_id, customer_id, unit_code, name, size_value, size_unit, set_temperature,
         temperature_unit, equipment_type, alarm_low_limit, alarm_high_limit, data_frequency_seconds)
       VALUES ($1, $2, $3, $4, 1, 'sqm', 5, 'C', 'refrigerator', 2, 8, 60)
       ON CONFLICT (facility_id, unit_code) DO UPDATE SET name = excluded.name RETURNING id`,
      [f!.id, c!.id, code, `Vaccine fridge ${k + 1}`],
    );
    unitIds.push(u!.id);
    const from = k === 0 ? YEAR_START : MONTH_START;
    const total = (END - from) / MIN;
    log(`${code}: loading ${total} minute readings through the writer's rollup SQL`);
    for (let s = 0; s < total; s += 5000) {
      const batch: NewReading[] = [];
      for (let i = s; i < Math.min(total, s + 5000); i++) {
        const t = temperatureAt(k, i);
        batch.push({
          customerId: c!.id,
          facilityId: f!.id,
          unitId: u!.id,
          recordedAt: new Date(from + i * MIN),
          temperatureC: t,
          sourceValue: t,
          sourceUnit: 'C',
          sensorId: 's1',
          qualityScore: 0.95,
          equipmentStatus: t === null ? 'failure' : 'normal',
        });
      }
      await insertReadingsWithRollups(db, batch);
    }
    // Three acknowledged alarms in the month, as a report lists them.
    for (let a = 0; a < 3; a++) {
      const started = new Date(MONTH_START + (a * 9 + 4 + k) * DAY + 600 * MIN);
      await db.query(
        `INSERT INTO alarms (customer_id, facility_id, storage_unit_id, rule_id, kind, severity, rule_snapshot,
           threshold_c, started_at, confirmed_at, detected_at, cleared_at, acknowledged_at, acknowledged_by, comment,
           peak_c, reading_count, time_beyond_seconds, degree_minutes)
         VALUES ($1, $2, $3, 'high-critical', 'high', 'critical', '{"id":"high-critical"}', 8, $4, $4, $4,
           $4::timestamptz + interval '40 minutes', $4::timestamptz + interval '2 hours', 'bench-qa',
           'Door left open during delivery; product quarantined and released after review', 11.2, 40, 2400, 120)`,
        [c!.id, f!.id, u!.id, started],
      );
    }
  }
  await db.query('DELETE FROM alarm_pending');
  await db.query('VACUUM ANALYZE temperature_readings');
  await db.query('VACUUM ANALYZE reading_rollups_hourly');
  return { customerId: c!.id, facilityId: f!.id, unitIds };
};

const main = async () => {
  const db = await openBench();
  const fleet = await load(db);
  const [{ n }] = (await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM temperature_readings WHERE facility_id = $1',
    [fleet.facilityId],
  )) as [{ n: number }];
  const [{ v }] = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")) as [
    { v: string },
  ];
  const stamp = Date.now();
  const read = await issueToken(db, {
    customerCode: 'BENCHR',
    scopes: ['read'],
    name: `bench read ${stamp}`,
  });
  const write = await issueToken(db, {
    customerCode: 'BENCHR',
    scopes: ['read', 'write'],
    name: `bench write ${stamp}`,
    // Thousands of writes in a few seconds: not what the per-token hourly limit is about.
    rateLimitPerHour: 1_000_000,
  });
  const clock = fixedClock(new Date(END + 60 * MIN));
  const app = await buildApp({ db, log: createLogger('silent', false), clock, authCacheTtlMs: 60_000 });
  await app.ready();
  const ctx = { db, clock };
  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${read.token}` } });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };
  const yearUrl = `/api/v1/analytics/compliance?storage_unit_id=${fleet.unitIds[0]}&start_date=${new Date(END - 365 * DAY).toISOString()}&end_date=${new Date(END).toISOString()}`;
  const month = { start: new Date(MONTH_START), end: new Date(END) };

  console.log('\nConditions:');
  console.log(`  PostgreSQL ${v} at ${adminUrl.replace(/\/\/[^@]*@/, '//')}, database ${DB_NAME}`);
  console.log(
    `  one facility, ${UNITS} units, ${n} readings (BR-U01: 1 year of minute data; the others: the last 31 days), 3 acknowledged alarms per unit`,
  );
  console.log(
    `  node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );

  // (a) Compliance figures of one unit over a year.
  console.log(`\n(a) compliance figures, in-process inject(), ${runs} runs after 3 warm-up runs each`);
  console.log('| case | median ms | p95 ms |\n|---|---:|---:|');
  for (const [name, fn] of [
    ['SELECT 1 (baseline)', () => db.query('SELECT 1')],
    ['GET /ping (baseline)', () => app.inject({ method: 'GET', url: '/ping' })],
    ['compliance BR-U01, 1 year (target < 100 ms)', () => get(yearUrl)],
  ] as Array<[string, () => Promise<unknown>]>) {
    const r = await timeRuns(runs, fn);
    console.log(`| ${name} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} |`);
  }

  // (b) The facility's 1-month PDF, and what part of it the figures are.
  console.log(
    '\n(b) 1-month facility PDF (10 units), renderFacilityReport in-process, 5 runs after 1 warm-up',
  );
  console.log('| case | median ms | p95 ms |\n|---|---:|---:|');
  let size = 0;
  for (const [name, fn] of [
    ['SELECT 1 (baseline)', () => db.query('SELECT 1')],
    [
      'compliance figures of the facility, 1 month (part of the report)',
      () => complianceReport(ctx, { customerId: fleet.customerId, facilityId: fleet.facilityId }, month),
    ],
    [
      'facility PDF, 1 month (target < 2 s)',
      async () => {
        const r = await runAs({ actor: systemActor('bench') }, () =>
          renderFacilityReport(ctx, fleet.facilityId, { ...month, format: 'pdf' }),
        );
        size = r.bytes.length;
      },
    ],
  ] as Array<[string, () => Promise<unknown>]>) {
    const r = await timeRuns(5, fn, 1);
    console.log(`| ${name} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} |`);
  }
  console.log(`  PDF size ${(size / 1024).toFixed(0)} KiB`);

  // (c) Audit overhead: the same audited writes with the trail on and off, interleaved rounds.
  let k = 0;
  let minute = 0;
  const readingUnit = fleet.unitIds[2]!;
  const writesOf: Record<string, () => Promise<void>> = {
    // A manual reading: the write-heavy API use (one statement with its audit entry).
    'POST /api/v1/temperature': async () => {
      minute += 1;
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/temperature',
        headers: { authorization: `Bearer ${write.token}` },
        payload: {
          storage_unit_id: readingUnit,
          temperature: 4.5,
          temperature_unit: 'C',
          // Within the loaded month, off the loaded minutes (a millisecond offset of this run): every request stores a new reading.
          recorded_at: new Date(MONTH_START + minute * 1000 + 1 + (stamp % 999)).toISOString(),
          sensor_id: 'bench',
        },
      });
      if (res.statusCode !== 201) throw new Error(`POST temperature: ${res.statusCode} ${res.body}`);
    },
    // An edit of the fleet (a transaction with the audit entry last).
    'PUT /api/v1/units/{id} (rename)': async () => {
      k += 1;
      const res = await app.inject({
        method: 'PUT',
        url: `/api/v1/units/${fleet.unitIds[1]}`,
        headers: { authorization: `Bearer ${write.token}` },
        payload: { name: `Vaccine fridge 2 (${k})` },
      });
      if (res.statusCode !== 200) throw new Error(`PUT unit: ${res.statusCode} ${res.body}`);
    },
  };
  const rounds = 6;
  console.log(
    `\n(c) audit overhead: the trail on and off (skipAuditForBenchmark), ${rounds} interleaved rounds × ${writes} requests per mode, in-process inject()`,
  );
  console.log(
    '| write | concurrency | off: median ms | on: median ms | off: req/s | on: req/s | overhead (time per request) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, write1] of Object.entries(writesOf)) {
    for (const concurrency of [1, 8]) {
      const lat = { on: [] as number[], off: [] as number[] };
      const wall = { on: 0, off: 0 };
      for (let i = 0; i < 20; i++) await write1(); // warm up
      for (let r = 0; r < rounds; r++) {
        for (const mode of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          skipAuditForBenchmark(mode === 'off');
          let left = writes;
          const t0 = performance.now();
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              while (left > 0) {
                left -= 1;
                const t = performance.now();
                await write1();
                lat[mode].push(performance.now() - t);
              }
            }),
          );
          wall[mode] += performance.now() - t0;
        }
      }
      skipAuditForBenchmark(false);
      const n = rounds * writes;
      const perReq = { on: wall.on / n, off: wall.off / n };
      console.log(
        `| ${name} | ${concurrency} | ${median(lat.off).toFixed(2)} | ${median(lat.on).toFixed(2)} | ${(1000 / perReq.off).toFixed(0)} | ${(1000 / perReq.on).toFixed(0)} | ${(((perReq.on - perReq.off) / perReq.off) * 100).toFixed(1)} % |`,
      );
    }
  }
  console.log('  target: < 5 % slower with the trail on');

  await app.close();
  await db.close();
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
