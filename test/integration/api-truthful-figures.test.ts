import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
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

// Issue 10 items 2-4: uptime from each unit's first reading, exact max deviation whatever the
// range, failed reads counted against data quality. Each figure is read through one unit-limited
// token, so one unit's data is the whole answer.
const NOW = new Date('2026-06-15T12:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const setC = (u: UnitRef) =>
  u.temperature_unit === 'F' ? ((u.set_temperature - 32) * 5) / 9 : u.set_temperature;

/** Readings every `stepMs` from `from` up to and including `to`, at `value(t)` °C. */
const every = (
  unit: UnitRef,
  from: number,
  to: number,
  stepMs: number,
  value: (t: number) => number | null,
  quality = 0.9,
): FactoryReading[] => {
  const out: FactoryReading[] = [];
  for (let t = from; t <= to; t += stepMs) out.push({ unit, at: new Date(t), c: value(t), quality });
  return out;
};

describeEachBackend('truthful figures: performance', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let units: UnitRef[];
  const tokens: Record<string, string> = {};
  const perf = async (who: string, days: number, unit = 'C') => {
    const start = new Date(NOW.getTime() - days * DAY).toISOString();
    const r = await call(
      app,
      'GET',
      `/api/v1/analytics/performance?start_date=${start}&end_date=${NOW.toISOString()}&unit=${unit}`,
      tokens[who],
    );
    expect(r.status).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    units = await unitsOf(db, 'A');
    const [fresh, spiky, gappy, failing, slow] = units as [UnitRef, UnitRef, UnitRef, UnitRef, UnitRef];
    // A unit that reads only every 3 hours, on schedule for the last 24 hours.
    await db.query('UPDATE storage_units SET data_frequency_seconds = 10800 WHERE id = $1', [slow.id]);
    const now = NOW.getTime();
    const rows = [
      // Monitored for 10 hours only, without a gap, up to 2 minutes ago.
      ...every(fresh, now - 10 * HOUR + 3 * MIN, now - 2 * MIN, 5 * MIN, () => setC(fresh)),
      // 45 days at the set point ± 0.25 °C every 30 minutes, one spike of +4.2 °C 20 days ago.
      ...every(spiky, now - 45 * DAY + 2 * MIN, now - 2 * MIN, 30 * MIN, (x) =>
        x === now - 45 * DAY + 2 * MIN + 1200 * 30 * MIN
          ? setC(spiky) + 4.2
          : setC(spiky) + (Math.floor(x / (30 * MIN)) % 2 ? 0.25 : -0.25),
      ),
      // 24 hours ago to 6 hours ago (then silent: overdue), with a 3-hour gap 20 to 17 hours ago.
      ...every(gappy, now - 24 * HOUR, now - 6 * HOUR - 5 * MIN, 5 * MIN, () => setC(gappy)).filter(
        (r) => r.at.getTime() < now - 20 * HOUR || r.at.getTime() >= now - 17 * HOUR,
      ),
      // 100 readings, the last 10 of them failed reads that still carry a good quality score.
      ...every(slow, now - 24 * HOUR + 30 * MIN, now - 30 * MIN, 3 * HOUR, () => setC(slow)),
      ...every(failing, now - 100 * 10 * MIN, now - 10 * MIN, 10 * MIN, (x) =>
        x > now - 11 * 10 * MIN ? null : setC(failing),
      ).map((r) => ({ ...r, quality: 0.95 })),
    ];
    await insertReadings(db, rows);
    const limited = async (name: string, u: UnitRef) =>
      (tokens[name] = (await tokenFor(db, 'A', ['read'], { accessibleUnits: [u.id] })).token);
    await limited('fresh', fresh);
    await limited('spiky', spiky);
    await limited('gappy', gappy);
    await limited('failing', failing);
    await limited('slow', slow);
    app = await testApp(db, fixedClock(NOW));
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  describe('uptime', () => {
    it('a unit collected without a gap since its first reading is at 100 %, whatever the window', async () => {
      for (const days of [7, 90]) {
        const { uptime } = await perf('fresh', days);
        expect(uptime).toEqual({
          uptime_percentage: 100,
          covered_hours: 10,
          expected_hours: 10,
          hours_with_readings: 10,
          total_hours: 10,
          units_measured: 1,
          uptime_basis: 'from first reading to now, per unit',
        });
      }
    });

    it('counts a gap and the hours a silent unit is overdue as missing, not hours before it began', async () => {
      const { uptime } = await perf('gappy', 7);
      // 24 expected hours (first reading → now less the time its data may still be in transit);
      // covered: the 18 hours with data minus the 3-hour gap.
      expect(uptime.expected_hours).toBe(24);
      expect(uptime.covered_hours).toBe(15);
      expect(uptime.uptime_percentage).toBe(62.5);
    });

    it('a unit that reads every 3 hours is expected in every third hour only', async () => {
      const { uptime } = await perf('slow', 7);
      expect(uptime).toMatchObject({ expected_hours: 8, covered_hours: 8, uptime_percentage: 100 });
    });

    it('a window that ends before now ends there; one that ends before the first reading is empty', async () => {
      const end = new Date(NOW.getTime() - 5 * HOUR).toISOString();
      const r = await call(
        app,
        'GET',
        `/api/v1/analytics/performance?start_date=2026-06-01T00:00:00Z&end_date=${end}`,
        tokens.fresh,
      );
      expect(r.body.uptime).toMatchObject({ expected_hours: 5, covered_hours: 5, uptime_percentage: 100 });
      const before = await call(
        app,
        'GET',
        '/api/v1/analytics/performance?start_date=2026-06-01T00:00:00Z&end_date=2026-06-02T00:00:00Z',
        tokens.fresh,
      );
      expect(before.body.uptime).toMatchObject({
        expected_hours: 0,
        units_measured: 0,
        uptime_percentage: 0,
      });
    });
  });

  describe('max deviation', () => {
    it('is the same exact extreme over 30 and 90 days; only average and min are marked approximate', async () => {
      const week = (await perf('spiky', 7)).temperature_deviation;
      const month = (await perf('spiky', 30)).temperature_deviation;
      const quarter = (await perf('spiky', 90)).temperature_deviation;
      expect(week.max_deviation).toBe(0.25);
      expect(month.max_deviation).toBe(4.2);
      // Hourly means halve the spike (two readings an hour): the old report said about 2 °C here.
      expect(quarter.max_deviation).toBe(4.2);
      expect(month).toMatchObject({ approximate: false, basis: 'readings' });
      expect(quarter).toMatchObject({
        approximate: true,
        basis: 'hourly_means',
        max_deviation_basis: 'readings_extremes',
      });
      expect(quarter.note).toMatch(/approximate/);
      expect((await perf('spiky', 90, 'F')).temperature_deviation.max_deviation).toBe(7.56);
    });
  });

  describe('data quality', () => {
    it('counts failed reads against quality and reports them as their own figure', async () => {
      const { data_quality, status_distribution } = await perf('failing', 7);
      expect(data_quality).toEqual({
        total_readings: 100,
        good_readings: 90,
        quality_percentage: 90,
        good_quality_threshold: 0.8,
        failed_reads: 10,
        failed_reads_percentage: 10,
      });
      expect(status_distribution).toEqual(
        expect.arrayContaining([{ equipment_status: 'failure', count: 10, percentage: 10 }]),
      );
    });
  });
});
