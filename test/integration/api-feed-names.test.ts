import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import { call, fixedClock, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import {
  customerId,
  insertReadings,
  seedDefaultFleet,
  tokenFor,
  unitsOf,
  type UnitRef,
} from '../support/factories.ts';

// Issue 10 items 5, 6 and 11 (server side): every reading row is named; the customer's feed and
// each unit's newest reading say whether the data is current; an empty name is a 422.
const NOW = new Date('2026-06-15T12:00:00Z');
const MIN = 60_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const setC = (u: UnitRef) =>
  u.temperature_unit === 'F' ? ((u.set_temperature - 32) * 5) / 9 : u.set_temperature;

describeEachBackend('truthful figures: feed, overdue, names', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let a: UnitRef[];
  let b: UnitRef[];
  const tok: Record<string, string> = {};
  const get = (who: string, url: string) => call(app, 'GET', url, tok[who]);

  const run = async (code: string, status: string, startedAgoMs: number, error: string | null = null) =>
    db.query(
      `INSERT INTO ingestion_logs (customer_id, ingestion_type, status, start_time, end_time, error_message)
       VALUES ($1, 'api', $2::varchar, $3, CASE WHEN $2::varchar = 'running' THEN NULL ELSE $3::timestamptz + interval '1 second' END, $4)`,
      [await customerId(db, code), status, ago(startedAgoMs), error],
    );

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    a = await unitsOf(db, 'A');
    b = await unitsOf(db, 'B');
    const c = await unitsOf(db, 'C');
    const d = await unitsOf(db, 'D');
    const [a1, a2, a3] = a as [UnitRef, UnitRef, UnitRef];
    await insertReadings(db, [
      // A (collected every minute; its units read every 67-229 s): current, silent, in excursion.
      { unit: a1, at: ago(2 * MIN), c: setC(a1) },
      { unit: a2, at: ago(60 * MIN), c: setC(a2) },
      { unit: a3, at: ago(3 * MIN), c: setC(a3) + 6 }, // alarm band: set point ± 5 °C
      // B (CSV, no unit or facility names in its fleet): one reading a minute ago.
      { unit: b[0]!, at: ago(MIN), c: setC(b[0]!) },
      // C (collected every 11 min): newest reading 2 hours old.
      { unit: c[0]!, at: ago(120 * MIN), c: setC(c[0]!) },
      // D: fresh data, but its latest finished run failed.
      { unit: d[0]!, at: ago(MIN), c: setC(d[0]!) },
    ]);
    await run('D', 'success', 30 * MIN);
    await run('D', 'failure', 10 * MIN, 'connect ECONNREFUSED 127.0.0.1:8004');
    await run('D', 'running', MIN); // still open: says nothing yet
    await run('A', 'failure', 30 * MIN, 'old failure');
    await run('A', 'success', 5 * MIN);
    for (const code of ['A', 'B', 'C', 'D', 'E']) tok[code] = (await tokenFor(db, code)).token;
    tok.Awrite = (await tokenFor(db, 'A', ['read', 'write'])).token;
    app = await testApp(db, fixedClock(NOW));
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  describe('feed on the profile', () => {
    it('is live, stale, failing or unknown by the age of the newest reading and the latest run', async () => {
      const feed = async (code: string) => {
        const r = await get(code, '/api/v1/customers/profile');
        expect(r.status).toBe(200);
        return r.body.feed;
      };
      expect(await feed('A')).toEqual({
        status: 'live',
        newest_reading_at: ago(2 * MIN).toISOString(),
        collection_period_minutes: 1,
        overdue_after_minutes: 7,
        last_run_at: ago(5 * MIN).toISOString(),
        last_run_status: 'success',
        last_error: null,
      });
      // 2 h old against 2 × 11 + 5 = 27 min.
      expect(await feed('C')).toMatchObject({ status: 'stale', overdue_after_minutes: 27 });
      expect(await feed('D')).toMatchObject({
        status: 'failing',
        last_run_status: 'failure',
        last_error: 'connect ECONNREFUSED 127.0.0.1:8004',
      });
      expect(await feed('E')).toMatchObject({
        status: 'unknown',
        newest_reading_at: null,
        last_run_at: null,
      });
    });

    it('is on the admin customer list and detail too', async () => {
      const admin = (await tokenFor(db, null)).token;
      const list = await call(app, 'GET', '/api/v1/admin/customers?limit=100', admin);
      expect(list.status).toBe(200);
      const byCode = Object.fromEntries(
        list.body.items.map((c: { customer_code: string; feed: { status: string } }) => [
          c.customer_code,
          c.feed.status,
        ]),
      );
      expect(byCode).toMatchObject({ A: 'live', C: 'stale', D: 'failing', E: 'unknown' });
      const one = await call(app, 'GET', `/api/v1/admin/customers/${await customerId(db, 'D')}`, admin);
      expect(one.body.feed.status).toBe('failing');
    });
  });

  describe('latest readings', () => {
    it('flag overdue units and readings outside the alarm band', async () => {
      const r = await get('A', '/api/v1/temperature/latest?limit=100');
      expect(r.status).toBe(200);
      const by = Object.fromEntries(
        r.body.map((x: { unit_code: string; overdue: boolean; excursion: boolean }) => [
          x.unit_code,
          { overdue: x.overdue, excursion: x.excursion },
        ]),
      );
      expect(by).toEqual({
        [a[0]!.unit_code]: { overdue: false, excursion: false },
        // 60 min against 2 × its own 201 s period + 5 min.
        [a[1]!.unit_code]: { overdue: true, excursion: false },
        [a[2]!.unit_code]: { overdue: false, excursion: true },
      });
    });
  });

  describe('facility units listing', () => {
    it('says overdue and shows such a unit offline, by the same rule as the latest readings', async () => {
      const r = await get('A', `/api/v1/facilities/${a[0]!.facility_id}/units?limit=100`);
      expect(r.status).toBe(200);
      const by = Object.fromEntries(
        r.body.items.map((u: { unit_code: string; overdue: boolean; temperature_status: string }) => [
          u.unit_code,
          { overdue: u.overdue, temperature_status: u.temperature_status },
        ]),
      );
      expect(by[a[0]!.unit_code]).toEqual({ overdue: false, temperature_status: 'normal' });
      // 60 min old: the old rule (3 × its period, at least 1 h) still called it current.
      expect(by[a[1]!.unit_code]).toEqual({ overdue: true, temperature_status: 'offline' });
      expect(by[a[2]!.unit_code]).toEqual({ overdue: false, temperature_status: 'critical' });
    });
  });

  describe('names', () => {
    it('every reading row of a customer without names carries the codes instead, never null', async () => {
      const unit = b[0]!;
      const [names] = await db.query<{ u: string | null; f: string | null; fc: string }>(
        `SELECT u.name AS u, f.name AS f, f.facility_code AS fc FROM storage_units u
         JOIN facilities f ON f.id = u.facility_id WHERE u.id = $1`,
        [unit.id],
      );
      expect(names).toMatchObject({ u: null, f: null }); // as the fleet defines it
      const want = { unit_name: unit.unit_code, facility_name: names!.fc, facility_code: names!.fc };
      const latest = await get('B', '/api/v1/temperature/latest');
      expect(latest.body[0]).toMatchObject(want);
      const range = `start_date=${ago(60 * MIN).toISOString()}&end_date=${NOW.toISOString()}`;
      for (const url of [
        `/api/v1/temperature?${range}`,
        `/api/v1/temperature/unit/${unit.id}?${range}`,
        `/api/v1/temperature/facility/${unit.facility_id}?${range}`,
      ]) {
        const page = await get('B', url);
        expect(page.status).toBe(200);
        expect(page.body.items[0]).toMatchObject(want);
      }
      const csv = await get('B', `/api/v1/temperature/export.csv?${range}`);
      const [header, row] = csv.text.trim().split('\r\n');
      const cells = Object.fromEntries(header!.split(',').map((h, i) => [h, row!.split(',')[i]]));
      expect(cells).toMatchObject({ unit_name: unit.unit_code, facility_name: names!.fc });
      const trend = await call(app, 'POST', '/api/v1/temperature/aggregate', tok.B, {
        group_by: ['unit', 'facility'],
        aggregations: ['count'],
        start_date: ago(60 * MIN).toISOString(),
      });
      expect(trend.body[0].group_key).toMatchObject({ unit_name: unit.unit_code, facility_name: names!.fc });
    });
  });

  describe('profile name', () => {
    it('an empty or blank name is a 422, not silently ignored; null still means unchanged', async () => {
      for (const name of ['', '   ']) {
        const r = await call(app, 'PUT', '/api/v1/customers/profile', tok.Awrite, { name });
        expect(r.status).toBe(422);
        expect(r.body.detail).toBeDefined();
      }
      const unchanged = await call(app, 'PUT', '/api/v1/customers/profile', tok.Awrite, { name: null });
      expect(unchanged.status).toBe(200);
      expect(unchanged.body.name).toBe('Pharma Corp A');
    });
  });
});
