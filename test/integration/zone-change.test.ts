import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aggregateReadings } from '../../src/db/analytics-repo.ts';
import { writeReadingBatch } from '../../src/db/readings-repo.ts';
import type { Db } from '../../src/db/types.ts';
import { rebuildZoneChunk, listPendingRebuilds } from '../../src/db/zone-rebuild-repo.ts';
import type { Reading } from '../../src/domain/reading.ts';
import { startZoneRebuilder, type ZoneRebuilder } from '../../src/fleet/zone-rebuild.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { call } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { waitUntil } from '../support/wait.ts';
import {
  insertReadings,
  seedDefaultFleet,
  series,
  tokenFor,
  unitsOf,
  type UnitRef,
} from '../support/factories.ts';

const log = createLogger('silent', false);
const START = new Date('2026-01-01T00:00:00Z');
const DAYS = 60;

/** Daily rows as stored and as recomputed from raw readings, for the zones kept for `customerId`. */
const dailyVsRaw = async (db: Db, customerId: string) => {
  const norm = (rows: Array<Record<string, unknown>>) =>
    rows.map((r) => ({
      ...r,
      time_zone: String(r.time_zone),
      sum_c: Math.round(Number(r.sum_c) * 1000) / 1000,
    }));
  const stored = await db.query(
    `SELECT storage_unit_id, time_zone, day::text AS day, reading_count, null_count, sum_c, min_c, max_c,
            good_quality_count
     FROM reading_rollups_daily WHERE customer_id = $1 ORDER BY 1, 2, 3`,
    [customerId],
  );
  const raw = await db.query(
    `SELECT r.storage_unit_id, z.tz AS time_zone, ((r.recorded_at AT TIME ZONE z.tz)::date)::text AS day,
            count(*)::int AS reading_count, (count(*) FILTER (WHERE r.temperature_c IS NULL))::int AS null_count,
            coalesce(sum(r.temperature_c), 0) AS sum_c, min(r.temperature_c) AS min_c, max(r.temperature_c) AS max_c,
            (count(*) FILTER (WHERE r.quality_score >= 0.8))::int AS good_quality_count
     FROM temperature_readings r JOIN customers c ON c.id = r.customer_id
     CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['UTC', c.timezone]::text[])) z(tz)
     WHERE r.customer_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [customerId],
  );
  return { stored: norm(stored), raw: norm(raw) };
};

/** One writer batch (the ingestion writer's own statement) of readings for `unit`. */
const writerBatch = (unit: UnitRef, from: Date, count: number) => ({
  batchId: randomUUID(),
  customerId: unit.customer_id,
  ingestionLogId: null,
  readings: series(unit, from, 60, count, 7).map((r): Reading => ({
    storageUnitId: unit.id,
    facilityId: unit.facility_id,
    recordedAtMs: r.at.getTime(),
    temperatureC: r.c,
    sourceValue: r.c,
    sourceUnit: 'C',
    sensorId: 's1',
    qualityScore: r.quality ?? 0.9,
    equipmentStatus: r.c === null ? 'failure' : 'normal',
  })),
});

describeEachBackend('zone change', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let now = new Date('2026-03-10T12:00:00Z');
  const clock: Clock = { now: () => new Date(now) };
  let unitsA: UnitRef[];
  let unitsB: UnitRef[];
  let customerA: string;
  let writeA: string;
  const apps: FastifyInstance[] = [];
  const rebuilders: ZoneRebuilder[] = [];

  const appWith = async (zoneRebuilds?: ZoneRebuilder) => {
    const app = await buildApp({ db, log, clock, authCacheTtlMs: 0, zoneRebuilds });
    apps.push(app);
    await app.ready();
    return app;
  };
  const rebuilder = () => {
    const r = startZoneRebuilder({ db, log });
    rebuilders.push(r);
    return r;
  };
  const pending = async () => (await listPendingRebuilds(db)).filter((p) => p.customer_id === customerA);

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    unitsA = (await unitsOf(db, 'A')).slice(0, 6);
    unitsB = await unitsOf(db, 'B');
    customerA = unitsA[0]!.customer_id;
    // Customer A: 6 units × 60 days every 10 min (51,840 readings; 54 rebuild chunks of 7 days).
    for (const [i, u] of unitsA.entries()) await insertReadings(db, series(u, START, 600, DAYS * 144, i + 1));
    writeA = (await tokenFor(db, 'A', ['read', 'write'])).token;
  }, 120_000);
  afterAll(async () => {
    for (const r of rebuilders) await r.stop();
    for (const a of apps) await a.close();
    await t?.drop();
  });

  it("a zone change returns at once; another customer's writer commits while the rebuild runs, and the daily rows then equal a raw recomputation", async () => {
    const r = rebuilder();
    const app = await appWith(r);
    const writeB = async (hoursAgo: number) => {
      const w0 = performance.now();
      const written = await writeReadingBatch(
        db,
        writerBatch(unitsB[0]!, new Date(now.getTime() - hoursAgo * 3_600_000), 60),
      );
      expect(written.stored).toBe(60);
      return performance.now() - w0;
    };
    const idleLatencies = [await writeB(10), await writeB(11), await writeB(12)];
    const t0 = performance.now();
    const put = await call(app, 'PUT', '/api/v1/customers/profile', writeA, { timezone: 'Asia/Kolkata' });
    const putMs = performance.now() - t0;
    expect(put.status).toBe(200);
    expect(put.body.timezone).toBe('Asia/Kolkata');
    // The rebuild has started (its cursor moved) but is far from done when B's batches are written.
    await waitUntil(
      'the rebuild to start',
      async () =>
        (await db.query('SELECT 1 FROM daily_rollup_rebuilds WHERE unit_id IS NOT NULL')).length > 0,
      30_000,
      5,
    );
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) {
      latencies.push(await writeB(i + 1));
      // Committed while customer A's rebuild is still pending: B's writer did not wait for it.
      expect(await pending()).toHaveLength(1);
    }
    await r.idle();
    const rebuildMs = performance.now() - t0;
    expect(await pending()).toHaveLength(0);
    const { stored, raw } = await dailyVsRaw(db, customerA);
    expect(new Set(stored.map((x) => x.time_zone))).toEqual(new Set(['UTC', 'Asia/Kolkata']));
    expect(stored).toEqual(raw);
    console.log(
      `${db.backend}: PUT ${putMs.toFixed(0)} ms, rebuild of 51,840 readings done after ${rebuildMs.toFixed(0)} ms`,
    );
    console.log(
      `${db.backend}: another customer's writer batch (60 readings): ${idleLatencies.map((l) => l.toFixed(1)).join(', ')} ms without a rebuild, ${latencies.map((l) => l.toFixed(1)).join(', ')} ms during it`,
    );
  }, 120_000);

  it('answers stay exact while a rebuild is pending, and a rebuild left by a stopped process resumes at start', async () => {
    now = new Date(now.getTime() + 11 * 60_000);
    // An API without a rebuilder: the change is recorded, nothing rebuilds it yet (a "crash").
    const app = await appWith();
    expect(
      (await call(app, 'PUT', '/api/v1/customers/profile', writeA, { timezone: 'America/New_York' })).status,
    ).toBe(200);
    const [p] = await pending();
    expect(p!.time_zone).toBe('America/New_York');
    for (let i = 0; i < 5; i++) expect(await rebuildZoneChunk(db, p!)).toBe('progress');
    // Half-rebuilt, plus readings written after the switch.
    await writeReadingBatch(db, writerBatch(unitsA[0]!, new Date('2026-01-20T03:00:00Z'), 300));
    const spec = {
      scope: { customerId: customerA },
      start: START,
      end: new Date('2026-03-05T00:00:00Z'),
      groupBy: ['day', 'unit'] as const,
      tz: 'America/New_York',
    };
    const viaRollups = await aggregateReadings(db, spec);
    const viaRaw = await aggregateReadings(db, { ...spec, raw: true });
    expect(viaRollups.length).toBeGreaterThan(DAYS * 6 - 12);
    expect(viaRollups.map((x) => ({ ...x, sum_c: Math.round(x.sum_c! * 1000) }))).toEqual(
      viaRaw.map((x) => ({ ...x, sum_c: Math.round(x.sum_c! * 1000) })),
    );
    // "Restart": a new rebuilder picks the pending rebuild up where it stopped.
    const r = rebuilder();
    await r.idle();
    expect(await pending()).toHaveLength(0);
    const { stored, raw } = await dailyVsRaw(db, customerA);
    expect(new Set(stored.map((x) => x.time_zone))).toEqual(new Set(['UTC', 'America/New_York']));
    expect(stored).toEqual(raw);
    // Afterwards the writer keeps the new zone's rows exact.
    await writeReadingBatch(db, writerBatch(unitsA[1]!, new Date('2026-03-01T04:30:00Z'), 200));
    const after = await dailyVsRaw(db, customerA);
    expect(after.stored).toEqual(after.raw);
  }, 120_000);

  it("the customer's own writers racing the rebuild lose nothing (a raced chunk is run again)", async () => {
    now = new Date(now.getTime() + 11 * 60_000);
    const r = rebuilder();
    const app = await appWith(r);
    const put = await call(app, 'PUT', '/api/v1/customers/profile', writeA, {
      timezone: 'Australia/Adelaide',
    });
    expect(put.status).toBe(200);
    let done = false;
    const idle = r.idle().then(() => (done = true));
    // Two writers of A's readings spread over the 60 days (at :30 s, so all new), while chunks run.
    let batches = 0;
    const writer = async (lane: number) => {
      for (let k = lane; !done && k < 400; k += 2) {
        const hour = (k * 7919) % (DAYS * 24);
        const from = new Date(START.getTime() + hour * 3_600_000 + 30_000);
        await writeReadingBatch(db, writerBatch(unitsA[k % unitsA.length]!, from, 30));
        batches++;
      }
    };
    await Promise.all([writer(0), writer(1), idle]);
    expect(batches).toBeGreaterThan(0);
    console.log(
      `${db.backend}: ${batches} batches of A written during its rebuild; ${r.counts.chunks} chunks, ${r.counts.raced} run again after a race`,
    );
    const { stored, raw } = await dailyVsRaw(db, customerA);
    expect(new Set(stored.map((x) => x.time_zone))).toEqual(new Set(['UTC', 'Australia/Adelaide']));
    expect(stored).toEqual(raw);
  }, 120_000);

  it('refuses the current zone again (409) and more than one change per 10 minutes (429, Retry-After); admins may', async () => {
    now = new Date(now.getTime() + 11 * 60_000);
    const app = await appWith();
    const [{ tz }] = (await db.query<{ tz: string }>('SELECT timezone AS tz FROM customers WHERE id = $1', [
      customerA,
    ])) as [{ tz: string }];
    const same = await call(app, 'PUT', '/api/v1/customers/profile', writeA, { timezone: tz });
    expect(same.status).toBe(409);
    expect(same.body.detail).toMatch(/already/);
    expect(await pending()).toHaveLength(0);
    expect(
      (await call(app, 'PUT', '/api/v1/customers/profile', writeA, { timezone: 'Europe/Paris' })).status,
    ).toBe(200);
    now = new Date(now.getTime() + 4 * 60_000);
    const again = await call(app, 'PUT', '/api/v1/customers/profile', writeA, { timezone: 'Europe/Berlin' });
    expect(again.status).toBe(429);
    expect(Number(again.headers['retry-after'])).toBe(6 * 60);
    expect(again.body.detail).toMatch(/once every 10 minutes/);
    // A rename is not a zone change and is not limited.
    expect((await call(app, 'PUT', '/api/v1/customers/profile', writeA, { name: 'Renamed A' })).status).toBe(
      200,
    );
    // An admin may correct the zone at once; its current value again is simply no change.
    const admin = (await tokenFor(db, null)).token;
    const byAdmin = await call(app, 'PUT', `/api/v1/admin/customers/${customerA}`, admin, {
      timezone: 'Europe/Berlin',
    });
    expect(byAdmin.status).toBe(200);
    expect((await pending())[0]!.time_zone).toBe('Europe/Berlin');
    expect(
      (
        await call(app, 'PUT', `/api/v1/admin/customers/${customerA}`, admin, {
          timezone: 'Europe/Berlin',
          name: 'A',
        })
      ).status,
    ).toBe(200);
    // Every change counts, an admin's too: the customer waits 10 minutes from the admin's.
    now = new Date(now.getTime() + 10 * 60_000);
    expect(
      (await call(app, 'PUT', '/api/v1/customers/profile', writeA, { timezone: 'Europe/Madrid' })).status,
    ).toBe(200);
    const r = rebuilder();
    await r.idle();
    const { stored, raw } = await dailyVsRaw(db, customerA);
    expect(stored).toEqual(raw);
  }, 120_000);
});
