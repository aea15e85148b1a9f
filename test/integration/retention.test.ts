import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRetention } from '../../src/admin/retention.ts';
import { startRetentionJob } from '../../src/admin/retention-job.ts';
import { cliActor, runAs, systemActor } from '../../src/audit/context.ts';
import { verifyAuditChain } from '../../src/audit/verify.ts';
import type { Db } from '../../src/db/types.ts';
import { updateCustomer } from '../../src/fleet/customers.ts';
import { startZoneRebuilder } from '../../src/fleet/zone-rebuild.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { call, testApp } from '../support/api.ts';
import { temperatureTrends } from '../../src/readings/analytics.ts';
import { complianceReport } from '../../src/readings/compliance.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import {
  customerId,
  insertReadings,
  seedDefaultFleet,
  series,
  tokenFor,
  unitsOf,
  type UnitRef,
} from '../support/factories.ts';

// Retention (issue 12 item 4): raw readings past a customer's retention are deleted in batches, the
// rollups of those periods stay and still answer compliance figures, one audit entry per customer.

const NOW = new Date('2026-06-15T12:00:00Z');
const clock = fixedClock(NOW);
const SYSTEM_CUTOFF = new Date('2026-05-16T00:00:00Z'); // 30 days back, to UTC midnight
const B_CUTOFF = new Date('2026-06-12T00:00:00Z'); // B keeps 3 days
const DAY = 86_400_000;

const count = async (db: Db, unit: UnitRef, before?: Date, from?: Date): Promise<number> =>
  (
    await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM temperature_readings WHERE storage_unit_id = $1
         AND ($2::timestamptz IS NULL OR recorded_at < $2) AND ($3::timestamptz IS NULL OR recorded_at >= $3)`,
      [unit.id, before ?? null, from ?? null],
    )
  )[0]!.n;

const rollups = (db: Db, unit: UnitRef) =>
  Promise.all([
    db.query('SELECT * FROM reading_rollups_hourly WHERE storage_unit_id = $1 ORDER BY bucket_start', [
      unit.id,
    ]),
    db.query('SELECT * FROM reading_rollups_daily WHERE storage_unit_id = $1 ORDER BY time_zone, day', [
      unit.id,
    ]),
  ]);

const retentionEntries = (db: Db) =>
  db.query<{
    customer_id: string;
    actor_name: string;
    changes: { _details: Record<string, unknown> };
    reason: string;
  }>(
    "SELECT customer_id, actor_name, changes, reason FROM audit_log WHERE entity_type = 'readings' AND action = 'retention' ORDER BY seq",
  );

describeEachBackend('retention', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let a: UnitRef;
  let b: UnitRef;
  let c: UnitRef;
  const before: Record<string, number> = {};

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    await db.query("UPDATE system_config SET value = '30' WHERE key = 'data_retention_days'");
    a = (await unitsOf(db, 'A'))[0]!;
    b = (await unitsOf(db, 'B'))[0]!;
    c = (await unitsOf(db, 'C'))[0]!;
    // A: every 10 min from 10 May to 20 May (6 days before the system cutoff, 4 after).
    await insertReadings(db, series(a!, new Date('2026-05-10T00:00:00Z'), 600, 10 * 144, 1));
    // B: from 8 June to 14 June; its own retention of 3 days cuts at 12 June.
    await insertReadings(db, series(b!, new Date('2026-06-08T00:00:00Z'), 600, 6 * 144, 2));
    // C: only recent readings.
    await insertReadings(db, series(c!, new Date('2026-06-01T00:00:00Z'), 600, 5 * 144, 3));
    before.aOld = await count(db, a!, SYSTEM_CUTOFF);
    before.aNew = await count(db, a!, undefined, SYSTEM_CUTOFF);
    before.bOld = await count(db, b!, B_CUTOFF);
    before.bNew = await count(db, b!, undefined, B_CUTOFF);
    before.c = await count(db, c!);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("a customer's retention is set through the customer verb, with a reason, and audited", async () => {
    const ctx = { db, clock };
    const bId = await customerId(db, 'B');
    await expect(
      runAs({ actor: cliActor('ops') }, () => updateCustomer(ctx, bId, { data_retention_days: 3 })),
    ).rejects.toThrow(/reason is required/);
    expect((await db.query('SELECT data_retention_days FROM customers WHERE id = $1', [bId]))[0]).toEqual({
      data_retention_days: null,
    });
    const detail = await runAs({ actor: cliActor('ops'), reason: 'contract: 3 days' }, () =>
      updateCustomer(ctx, bId, { data_retention_days: 3 }),
    );
    expect(detail.data_retention_days).toBe(3);
    const [entry] = await db.query<{ changes: Record<string, unknown>; reason: string }>(
      "SELECT changes, reason FROM audit_log WHERE entity_type = 'customer' AND entity_id = $1 ORDER BY seq DESC LIMIT 1",
      [bId],
    );
    expect(entry).toEqual({
      changes: { data_retention_days: { old: null, new: 3 } },
      reason: 'contract: 3 days',
    });
    await expect(
      db.query('UPDATE customers SET data_retention_days = 0 WHERE id = $1', [bId]),
    ).rejects.toThrow(/check/i);
  });

  it("the admin API creates and changes a customer's retention (a change needs a reason); the profile shows it", async () => {
    const app = await testApp(db, clock);
    try {
      const admin = await tokenFor(db, null);
      const created = await call(app, 'POST', '/api/v1/admin/customers', admin.token, {
        customer_code: 'RET1',
        name: 'Retention test',
        data_sharing_method: 'csv',
        data_frequency_seconds: 60,
        data_retention_days: 90,
      });
      expect(created.status).toBe(201);
      expect(created.body.data_retention_days).toBe(90);
      const url = `/api/v1/admin/customers/${created.body.id}`;
      const noReason = await call(app, 'PUT', url, admin.token, { data_retention_days: 10 });
      expect(noReason.status).toBe(422);
      expect(noReason.body.detail).toMatch(/reason is required/);
      expect((await call(app, 'GET', url, admin.token)).body.data_retention_days).toBe(90);
      const zero = await call(app, 'PUT', url, admin.token, { data_retention_days: 0, reason: 'x' });
      expect(zero.status).toBe(422);
      const changed = await call(app, 'PUT', url, admin.token, {
        data_retention_days: 10,
        reason: 'contract',
      });
      expect(changed.status).toBe(200);
      expect(changed.body.data_retention_days).toBe(10);
      // A name change alone needs no reason and leaves the retention as it is.
      const renamed = await call(app, 'PUT', url, admin.token, { name: 'Renamed' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.data_retention_days).toBe(10);
      const cleared = await call(app, 'PUT', url, admin.token, {
        data_retention_days: null,
        reason: 'back to default',
      });
      expect(cleared.status).toBe(200);
      expect(cleared.body.data_retention_days).toBeNull();
      const entries = await db.query<{ changes: Record<string, unknown>; reason: string | null }>(
        "SELECT changes, reason FROM audit_log WHERE entity_type = 'customer' AND entity_id = $1 ORDER BY seq",
        [created.body.id],
      );
      expect(entries.map((e) => [e.changes.data_retention_days ?? null, e.reason])).toEqual([
        [{ new: 90 }, null],
        [{ old: 90, new: 10 }, 'contract'],
        [null, null],
        [{ old: 10, new: null }, 'back to default'],
      ]);
      const reader = await tokenFor(db, 'C');
      const profile = await call(app, 'GET', '/api/v1/customers/profile', reader.token);
      expect(profile.status).toBe(200);
      expect(profile.body).toHaveProperty('data_retention_days', null);
      const doc = (await call(app, 'GET', '/openapi.json')).body;
      expect(JSON.stringify(doc.paths['/api/v1/admin/customers/{customer_id}'].put)).toMatch(
        /data_retention_days.*A change needs a reason/,
      );
      await db.query('DELETE FROM customers WHERE id = $1', [created.body.id]);
    } finally {
      await app.close();
    }
  });

  it('a dry run counts per customer and deletes and writes nothing', async () => {
    const seqBefore = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'))[0]!.n;
    const r = await runRetention({ db, clock }, { dryRun: true });
    const byCode = Object.fromEntries(r.customers.map((x) => [x.customer_code, x]));
    expect(byCode.A).toMatchObject({
      expired: before.aOld,
      deleted: 0,
      retention_days: 30,
      source: 'system',
    });
    expect(byCode.A!.cutoff).toEqual(SYSTEM_CUTOFF);
    expect(byCode.B).toMatchObject({
      expired: before.bOld,
      deleted: 0,
      retention_days: 3,
      source: 'customer',
    });
    expect(byCode.C).toMatchObject({ expired: 0 });
    expect(r.total).toBe(before.aOld! + before.bOld!);
    expect(await count(db, a!, SYSTEM_CUTOFF)).toBe(before.aOld);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'))[0]!.n).toBe(seqBefore);
  });

  it('a DELETE outside retention or db clean is still refused', async () => {
    await expect(
      db.query('DELETE FROM temperature_readings WHERE storage_unit_id = $1', [a!.id]),
    ).rejects.toThrow(/deleted only by db clean or retention/);
    expect(await count(db, a!)).toBe(before.aOld! + before.aNew!);
  });

  it('deletes what is past each retention in batches, keeps the rest and the rollups, one entry per customer', async () => {
    const ctx = { db, clock };
    const unitScope = { unitId: a!.id };
    const oldWindow = { start: new Date('2026-05-11T00:00:00Z'), end: new Date('2026-05-14T00:00:00Z') };
    const straddling = { start: new Date('2026-05-14T00:00:00Z'), end: new Date('2026-05-19T00:00:00Z') };
    const exactOld = await complianceReport(ctx, unitScope, oldWindow, { basis: 'rollups' });
    const exactStraddling = await complianceReport(ctx, unitScope, straddling, { basis: 'rollups' });
    const [hourly, daily] = await rollups(db, a!);
    const [bHourly] = await rollups(db, b!);

    const trends = () =>
      Promise.all(
        ['UTC', 'Europe/London'].map((tz) =>
          temperatureTrends(
            ctx,
            { customerId: a.customer_id },
            {
              interval: 'day',
              start: new Date('2026-05-10T00:00:00Z'),
              end: new Date('2026-05-15T00:00:00Z'),
              tz,
            },
          ),
        ),
      );
    const trendsBefore = await trends();
    expect(trendsBefore[0]!.length).toBeGreaterThanOrEqual(5);

    const r = await runRetention({ db, clock }, { batchSize: 100, actor: systemActor('retention') });
    const byCode = Object.fromEntries(r.customers.map((x) => [x.customer_code, x]));
    expect(byCode.A).toMatchObject({ expired: before.aOld, deleted: before.aOld });
    expect(byCode.A!.batches).toBe(Math.ceil(before.aOld! / 100));
    expect(byCode.A!.batches).toBeGreaterThan(5);
    expect(byCode.B).toMatchObject({ deleted: before.bOld });
    expect(byCode.C).toMatchObject({ deleted: 0 });

    // Raw readings: gone before each cutoff, kept after; another customer untouched.
    expect(await count(db, a!, SYSTEM_CUTOFF)).toBe(0);
    expect(await count(db, a!, undefined, SYSTEM_CUTOFF)).toBe(before.aNew);
    expect(await count(db, b!, B_CUTOFF)).toBe(0);
    expect(await count(db, b!, undefined, B_CUTOFF)).toBe(before.bNew);
    expect(await count(db, c!)).toBe(before.c);

    // The rollups of the deleted periods are all still there, unchanged.
    expect(await rollups(db, a!)).toEqual([hourly, daily]);
    expect((await rollups(db, b!))[0]).toEqual(bHourly);

    // Exactly one entry per customer that lost readings, by the job, with the counts; the chain holds.
    const entries = await retentionEntries(db);
    expect(entries.map((e) => e.customer_id).sort()).toEqual([a!.customer_id, b!.customer_id].sort());
    const entryA = entries.find((e) => e.customer_id === a!.customer_id)!;
    expect(entryA.actor_name).toBe('system:retention');
    expect(entryA.reason).toMatch(/data_retention_days = 30/);
    expect(entryA.changes._details).toMatchObject({
      customer: 'A',
      cutoff: SYSTEM_CUTOFF.toISOString(),
      retention_days: 30,
      retention_source: 'system',
      deleted: before.aOld,
      oldest_recorded_at: '2026-05-10T00:00:00.000Z',
      newest_recorded_at: new Date(SYSTEM_CUTOFF.getTime() - 600_000).toISOString(),
    });
    expect(entries.find((e) => e.customer_id === b!.customer_id)!.changes._details).toMatchObject({
      retention_days: 3,
      retention_source: 'customer',
      deleted: before.bOld,
    });
    expect((await verifyAuditChain(db)).ok).toBe(true);

    // Compliance of the deleted period is answered from the rollups: the same MKT, mean, extremes and
    // readings as the rollup path gave before; excursions bounded on the safe side.
    const old = await complianceReport(ctx, unitScope, oldWindow);
    expect(old.readings_deleted_before).toEqual(SYSTEM_CUTOFF);
    expect(old.basis).toBe('rollups');
    expect(old.readings).toBe(exactOld.readings);
    expect(old.readings).toBeGreaterThan(3 * 140);
    expect(old.mkt_c).toBeCloseTo(exactOld.mkt_c!, 6);
    expect(old.mean_c).toBeCloseTo(exactOld.mean_c!, 6);
    expect([old.min_c, old.max_c]).toEqual([exactOld.min_c, exactOld.max_c]);
    expect(old.completeness_pct).toBe(exactOld.completeness_pct);
    expect(old.excursion_minutes).toBeGreaterThanOrEqual(exactOld.excursion_minutes);
    expect(old.degree_minutes).toBeGreaterThanOrEqual(exactOld.degree_minutes - 1e-6);
    expect(old.time_in_range_pct!).toBeLessThanOrEqual(exactOld.time_in_range_pct!);
    expect(old.note).toMatch(/deleted by retention/);

    // A window across the cutoff: rollups before it, every reading after (duration-weighted, so MKT
    // differs from the all-rollup figure by the failed reads' holds only); the totals still add up.
    const across = await complianceReport(ctx, unitScope, straddling);
    expect(across.readings).toBe(exactStraddling.readings);
    expect(across.mkt_c).toBeCloseTo(exactStraddling.mkt_c!, 1);
    expect([across.min_c, across.max_c]).toEqual([exactStraddling.min_c, exactStraddling.max_c]);

    // Daily summaries of the deleted days come from the daily rollups: unchanged, in UTC and in the
    // zone. Only the last bucket differs: it holds the reading at the (inclusive) end instant, which
    // is read raw, and is gone (in UTC that bucket held nothing else).
    const trendsAfter = await trends();
    const total = (x: typeof trendsAfter) =>
      x.map((z) => z.reduce((n, b) => n + b.metrics.reading_count!, 0));
    for (const [k, zone] of trendsBefore.entries())
      expect(trendsAfter[k]!.slice(0, zone.length - 1)).toEqual(zone.slice(0, -1));
    expect(total(trendsAfter)).toEqual(total(trendsBefore).map((n) => n - 1));

    // A window after the cutoff is not affected.
    const recent = await complianceReport(ctx, unitScope, {
      start: SYSTEM_CUTOFF,
      end: new Date(SYSTEM_CUTOFF.getTime() + 2 * DAY),
    });
    expect(recent.readings_deleted_before).toBeNull();
    expect(recent.basis).toBe('readings');

    // A custom activation energy needs the raw readings.
    await expect(
      complianceReport(ctx, unitScope, { ...oldWindow, activationEnergyKjMol: 100 }),
    ).rejects.toThrow(/deleted by retention/);
  });

  it('a second run finds nothing and writes no entry; the daily job runs once a day across workers', async () => {
    const n = (await retentionEntries(db)).length;
    const again = await runRetention({ db, clock });
    expect(again.total).toBe(0);
    expect((await retentionEntries(db)).length).toBe(n);

    // New old readings for A (a late import), then two "workers": only one runs, and it writes one entry.
    await insertReadings(db, series(a!, new Date('2026-05-01T00:00:00Z'), 600, 10, 9));
    await db.query("DELETE FROM job_runs WHERE job = 'retention'");
    const log = createLogger('silent', false);
    const w1 = startRetentionJob({ db, clock, log, firstCheckMs: 3_600_000 });
    const w2 = startRetentionJob({ db, clock, log, firstCheckMs: 3_600_000 });
    try {
      const [r1, r2] = await Promise.all([w1.check(), w2.check()]);
      const ran = [r1, r2].filter((r) => r !== null);
      expect(ran).toHaveLength(1);
      expect(ran[0]!.total).toBe(10);
      // Not due again the same day.
      expect(await w1.check()).toBeNull();
      expect(await w2.check()).toBeNull();
    } finally {
      await w1.stop();
      await w2.stop();
    }
    const entries = await retentionEntries(db);
    expect(entries).toHaveLength(n + 1);
    expect(entries.at(-1)!.changes._details).toMatchObject({ deleted: 10, customer: 'A' });
    expect(await count(db, a!, SYSTEM_CUTOFF)).toBe(0);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it("a zone change keeps the deleted days' daily rollups (rebuilt from the hourly ones)", async () => {
    const ctx = { db, clock };
    const zoneTotals = (zone: string) =>
      db.query<{ n: number; before: number }>(
        `SELECT coalesce(sum(reading_count), 0)::int AS n,
                coalesce(sum(reading_count) FILTER (WHERE day < '2026-05-15'), 0)::int AS before
         FROM reading_rollups_daily WHERE storage_unit_id = $1 AND time_zone = $2`,
        [a.id, zone],
      );
    const [hourly] = await db.query<{ n: number }>(
      'SELECT sum(reading_count)::int AS n FROM reading_rollups_hourly WHERE storage_unit_id = $1',
      [a.id],
    );
    expect((await zoneTotals('UTC'))[0]!.n).toBe(hourly!.n);
    await runAs({ actor: cliActor('ops') }, () =>
      updateCustomer(ctx, a.customer_id, { timezone: 'America/New_York' }),
    );
    const r = startZoneRebuilder({ db, log: createLogger('silent', false), pollMs: 50 });
    try {
      await r.idle();
    } finally {
      await r.stop();
    }
    const [ny] = await zoneTotals('America/New_York');
    // Every reading the hourly rollups hold, deleted or not, is on one New York day.
    expect(ny!.n).toBe(hourly!.n);
    expect(ny!.before).toBeGreaterThan(4 * 140);
    const summary = await complianceReport(
      ctx,
      { unitId: a.id },
      {
        start: new Date('2026-05-11T04:00:00Z'),
        end: new Date('2026-05-13T04:00:00Z'),
      },
    );
    expect(summary.readings).toBeGreaterThan(2 * 140);
  });
});
