import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import { activationKelvin, meanKineticTemperature } from '../../src/domain/mkt.ts';
import { fromCelsius, toCelsius } from '../../src/domain/units.ts';
import { call, fixedClock, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import {
  insertReadings,
  seedDefaultFleet,
  tokenFor,
  unitsOf,
  type FactoryReading,
  type UnitRef,
} from '../support/factories.ts';

// Issue 12 item 2 through the API: GET /api/v1/analytics/compliance. One day of a fridge (limits
// 2–8 °C, a reading every 5 min) with a known excursion, gap and failed read gives hand-computed
// figures; any other window equals a computation from the raw readings written here, independently
// of src/domain/compliance.ts; tenants and unit-limited tokens see only their own units.

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const D0 = Date.UTC(2026, 4, 10);
const NOW = new Date(D0 + 3 * DAY + 7 * HOUR);
const STEP = 5 * MIN;
/** The default rules' no-data limit for a 300 s unit: max(15 min, 3 × 5 min). */
const MAX_GAP = 15 * MIN;

const EXCURSION = { from: D0 + DAY + 10 * HOUR, to: D0 + DAY + 10 * HOUR + 25 * MIN };
const GAP = { after: D0 + DAY + 15 * HOUR, before: D0 + DAY + 17 * HOUR };
const FAILED_AT = D0 + DAY + 5 * HOUR;

/** The fridge's day: 5 °C every 5 min; 12 °C for 30 min; no data 15:00–17:00; one failed read. */
const fridgeReadings = (unit: UnitRef): FactoryReading[] => {
  const out: FactoryReading[] = [];
  for (let t = D0; t <= NOW.getTime(); t += STEP) {
    if (t > GAP.after && t < GAP.before) continue;
    const c =
      t === FAILED_AT ? null : t >= EXCURSION.from && t <= EXCURSION.to ? 12 : 5 + ((t / STEP) % 3) * 0.1;
    out.push({ unit, at: new Date(t), c });
  }
  return out;
};

/**
 * The figures from raw rows, written out plainly: each reading with a temperature holds until the
 * next one, at most MAX_GAP; the newest holds one interval.
 */
const fromRaw = (
  rows: Array<{ t: number; c: number }>,
  start: number,
  end: number,
  lim: [number, number],
) => {
  const inWindow = rows.filter((r) => r.t >= start && r.t < end);
  const samples: Array<{ celsius: number; weight: number }> = [];
  let excursionMs = 0;
  let degreeMs = 0;
  let excursions = 0;
  let longestGap = 0;
  inWindow.forEach((r, i) => {
    const next = rows.find((x) => x.t > r.t);
    const hold = Math.min(next ? next.t - r.t : STEP, MAX_GAP);
    samples.push({ celsius: r.c, weight: hold });
    const out = r.c < lim[0] || r.c > lim[1];
    const prev = inWindow[i - 1];
    if (prev) longestGap = Math.max(longestGap, r.t - prev.t);
    if (out) {
      excursionMs += hold;
      degreeMs += hold * (r.c > lim[1] ? r.c - lim[1] : lim[0] - r.c);
      if (!prev || (prev.c >= lim[0] && prev.c <= lim[1]) || r.t - prev.t > MAX_GAP) excursions++;
    }
  });
  const until = Math.min(end, NOW.getTime());
  longestGap = Math.max(longestGap, inWindow[0]!.t - start, until - inWindow.at(-1)!.t);
  const total = samples.reduce((a, s) => a + s.weight, 0);
  return {
    mkt_c: meanKineticTemperature(samples)!,
    mean_c: samples.reduce((a, s) => a + s.celsius * s.weight, 0) / total,
    time_in_range_pct: Math.round(((total - excursionMs) / total) * 10_000) / 100,
    excursions,
    excursion_minutes: excursionMs / MIN,
    degree_minutes: degreeMs / MIN,
    readings: inWindow.length,
    expected_readings: Math.round((until - start) / STEP),
    longest_gap_minutes: longestGap / MIN,
  };
};

describeEachBackend('api compliance', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let fridge: UnitRef;
  let other: UnitRef;
  let facilityId: string;
  let raw: Array<{ t: number; c: number }>;
  const tokens: Record<string, string> = {};
  const get = async (query: string, who = 'a') =>
    call(app, 'GET', `/api/v1/analytics/compliance?${query}`, tokens[who]);
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    const units = await unitsOf(db, 'A');
    fridge = units[0]!;
    other = units.find((u) => u.facility_id === fridge.facility_id && u.id !== fridge.id)!;
    facilityId = fridge.facility_id;
    const own = (c: number) => fromCelsius(c, fridge.temperature_unit);
    await db.query(
      'UPDATE storage_units SET alarm_low_limit = $2, alarm_high_limit = $3, data_frequency_seconds = 300 WHERE id = $1',
      [fridge.id, own(2), own(8)],
    );
    await db.query(
      'UPDATE storage_units SET data_frequency_seconds = 300, mkt_activation_energy_kj_mol = 100 WHERE id = $1',
      [other.id],
    );
    const setOther = toCelsius(other.set_temperature, other.temperature_unit);
    const otherRows: FactoryReading[] = [];
    for (let ms = D0; ms <= NOW.getTime(); ms += STEP)
      otherRows.push({ unit: other, at: new Date(ms), c: setOther });
    await insertReadings(db, [...fridgeReadings(fridge), ...otherRows]);
    raw = (
      await db.query<{ t: Date; c: number }>(
        'SELECT recorded_at AS t, temperature_c AS c FROM temperature_readings WHERE storage_unit_id = $1 AND temperature_c IS NOT NULL ORDER BY 1',
        [fridge.id],
      )
    ).map((r) => ({ t: r.t.getTime(), c: r.c }));
    tokens.a = (await tokenFor(db, 'A')).token;
    tokens.b = (await tokenFor(db, 'B')).token;
    tokens.onlyOther = (await tokenFor(db, 'A', ['read'], { accessibleUnits: [other.id] })).token;
    tokens.admin = (await tokenFor(db, null)).token;
    app = await testApp(db, fixedClock(NOW));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('gives the hand-computed figures of a day with a 30-min excursion at 12 °C, a 2 h gap and a failed read', async () => {
    const r = await get(
      `storage_unit_id=${fridge.id}&start_date=${iso(D0 + DAY)}&end_date=${iso(D0 + 2 * DAY)}`,
    );
    expect(r.status).toBe(200);
    // 288 expected; 23 lost in the gap, 1 failed read. Holds: 5 min each, but the reading before
    // the failed read holds 10 and the one before the gap 15 (the max gap), not 120.
    const monitored = 264 * 5 + 5 + 10;
    expect(r.body).toMatchObject({
      basis: 'readings',
      approximate: false,
      activation_energy_kj_mol: 83.144,
      max_c: 12,
      excursions: 1,
      excursion_minutes: 30,
      degree_minutes: 120,
      monitored_minutes: monitored,
      time_in_range_minutes: monitored - 30,
      time_in_range_pct: Math.round(((monitored - 30) / monitored) * 10_000) / 100,
      readings: 264,
      expected_readings: 288,
      completeness_pct: 91.67,
      longest_gap_minutes: 120,
    });
    expect(r.body.units).toHaveLength(1);
    expect(r.body.units[0]).toMatchObject({
      storage_unit_id: fridge.id,
      limits: { low_c: 2, high_c: 8 },
      expected_interval_seconds: 300,
      max_gap_minutes: 15,
    });
    expect(r.body.min_c).toBeCloseTo(5, 6);
    // MKT above the mean (the excursion weighs more than linearly), both close to the hand values.
    const expectedMkt = fromRaw(raw, D0 + DAY, D0 + 2 * DAY, [2, 8]).mkt_c;
    expect(r.body.mkt_c).toBeCloseTo(expectedMkt, 3);
    expect(r.body.mkt_c).toBeGreaterThan(r.body.mean_c);
  });

  it('equals a computation from the raw readings over other windows, edges off the hour', async () => {
    const windows = [
      [D0 + 3 * HOUR + 7 * MIN + 13_000, D0 + 2 * DAY + 11 * MIN],
      [D0 + DAY + 9 * HOUR + 58 * MIN, D0 + DAY + 10 * HOUR + 12 * MIN],
      [D0 + DAY + 14 * HOUR, D0 + DAY + 18 * HOUR + 1],
      [D0 + 2 * DAY + 20 * HOUR, NOW.getTime() + 5 * HOUR],
    ] as const;
    for (const [s, e] of windows) {
      const r = await get(`storage_unit_id=${fridge.id}&start_date=${iso(s)}&end_date=${iso(e)}`);
      expect(r.status).toBe(200);
      const want = fromRaw(raw, s, e, [2, 8]);
      const { mkt_c, mean_c, ...rest } = want;
      expect(r.body).toMatchObject({
        ...rest,
        excursion_minutes: expect.closeTo(rest.excursion_minutes, 2),
        degree_minutes: expect.closeTo(rest.degree_minutes, 2),
      });
      expect(r.body.mkt_c).toBeCloseTo(mkt_c, 3);
      expect(r.body.mean_c).toBeCloseTo(mean_c, 3);
    }
  });

  it('takes the rolling USP windows back from end_date or now', async () => {
    const day = await get(`storage_unit_id=${fridge.id}&window=24h`);
    expect(day.status).toBe(200);
    expect(day.body.window).toEqual({
      start_date: iso(NOW.getTime() - DAY),
      end_date: iso(NOW.getTime()),
      window: '24h',
    });
    const month = await get(`storage_unit_id=${fridge.id}&window=30d&end_date=${iso(D0 + 2 * DAY)}`);
    expect(month.body.window.start_date).toBe(iso(D0 + 2 * DAY - 30 * DAY));
    // Nothing before D0: the gap from the window start to the first reading is the longest.
    expect(month.body.longest_gap_minutes).toBe((28 * DAY) / MIN);
    expect((await get(`storage_unit_id=${fridge.id}&window=24h&start_date=${iso(D0)}`)).status).toBe(422);
    expect((await get(`storage_unit_id=${fridge.id}&window=7d`)).status).toBe(422);
  });

  it('uses a custom ΔH (per unit, or per request) from every reading, and the rollups beyond 31 days otherwise', async () => {
    const range = `start_date=${iso(NOW.getTime() - 40 * DAY)}&end_date=${iso(NOW.getTime())}`;
    const long = await get(`storage_unit_id=${fridge.id}&${range}`);
    const beforeNow = raw.filter((x) => x.t < NOW.getTime()).length;
    expect(long.body).toMatchObject({
      basis: 'rollups',
      approximate: true,
      excursions: 1,
      readings: beforeNow,
    });
    const custom = await get(`storage_unit_id=${fridge.id}&${range}&activation_energy_kj_mol=100`);
    expect(custom.body).toMatchObject({ basis: 'readings', activation_energy_kj_mol: 100 });
    const samples = raw
      .map((x, i) => ({
        celsius: x.c,
        weight: Math.min(i + 1 < raw.length ? raw[i + 1]!.t - x.t : STEP, MAX_GAP),
      }))
      .slice(0, beforeNow);
    expect(custom.body.mkt_c).toBeCloseTo(meanKineticTemperature(samples, activationKelvin(100))!, 3);
    expect(custom.body.mkt_c).toBeGreaterThan(long.body.mkt_c);
    // The other unit stores ΔH = 100 kJ/mol: its own figures use it; a facility mixing ΔH has no single MKT.
    const facility = await get(`facility_id=${facilityId}&${range}`);
    expect(facility.status).toBe(200);
    expect(facility.body).toMatchObject({ basis: 'mixed', activation_energy_kj_mol: null, mkt_c: null });
    const mine = facility.body.units.find((u: { storage_unit_id: string }) => u.storage_unit_id === other.id);
    expect(mine).toMatchObject({ basis: 'readings', activation_energy_kj_mol: 100 });
    const n = facility.body.units.reduce((a: number, u: { readings: number }) => a + u.readings, 0);
    expect(facility.body.readings).toBe(n);
    expect((await get(`storage_unit_id=${fridge.id}&activation_energy_kj_mol=-3`)).status).toBe(422);
    expect(
      (await get(`storage_unit_id=${fridge.id}&start_date=${iso(D0 + DAY)}&end_date=${iso(D0)}`)).status,
    ).toBe(422);
  });

  it("answers 404 for another customer's unit or facility, and a unit-limited token sees only its units", async () => {
    for (const q of [`storage_unit_id=${fridge.id}`, `facility_id=${facilityId}`]) {
      const r = await get(q, 'b');
      expect({ q, status: r.status }).toEqual({ q, status: 404 });
    }
    expect((await get(`storage_unit_id=${fridge.id}`, 'onlyOther')).status).toBe(404);
    const limited = await get(`facility_id=${facilityId}&window=24h`, 'onlyOther');
    expect(limited.status).toBe(200);
    expect(limited.body.units.map((u: { storage_unit_id: string }) => u.storage_unit_id)).toEqual([other.id]);
    const all = await get('window=24h', 'b');
    expect(all.status).toBe(200);
    expect(JSON.stringify(all.body)).not.toContain(fridge.id);
  });

  it("gives the admin any customer's figures, and 404 for an unknown customer", async () => {
    const range = `start_date=${iso(D0 + DAY)}&end_date=${iso(D0 + 2 * DAY)}`;
    const admin = (q: string) => call(app, 'GET', `/api/v1/admin/analytics/compliance?${q}`, tokens.admin);
    const mine = await get(`storage_unit_id=${fridge.id}&${range}`);
    const r = await admin(`customer_id=${fridge.customer_id}&storage_unit_id=${fridge.id}&${range}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(mine.body);
    const whole = await admin(`customer_id=${fridge.customer_id}&${range}`);
    expect(whole.body.units.length).toBeGreaterThan(2);
    expect(whole.body.excursions).toBeGreaterThanOrEqual(1);
    expect((await admin(`customer_id=00000000-0000-4000-8000-000000000000&${range}`)).status).toBe(404);
    const bUnit = (await unitsOf(db, 'B'))[0]!;
    expect((await admin(`customer_id=${fridge.customer_id}&storage_unit_id=${bUnit.id}`)).status).toBe(404);
    const asCustomer = await call(
      app,
      'GET',
      `/api/v1/admin/analytics/compliance?customer_id=${fridge.customer_id}`,
      tokens.a,
    );
    expect(asCustomer.status).toBe(403);
  });
});
