import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { performanceReport } from '../../src/readings/performance.ts';
import { call, testApp } from '../support/api.ts';
import { close, jsStats, loadAnalyticsFixture, NOW } from '../support/analytics-fixture.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { insertReadings, tokenFor, type FactoryReading, type UnitRef } from '../support/factories.ts';

// Split from api-analytics.test.ts (same data set): performance, admin summary, reading pages, CSV export.
describeEachBackend('api readings pages and reports', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let token: string;
  let rows: FactoryReading[];
  let units: UnitRef[];
  let scope: { customerId: string };
  const ctx = () => ({ db, clock: fixedClock(NOW) });

  beforeAll(async () => {
    t = await create();
    db = t.db;
    ({ rows, units, scope, token } = await loadAnalyticsFixture(db));
    app = await testApp(db, fixedClock(NOW));
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('performance: counts equal a recomputation; an empty window is 200 with zeros', async () => {
    const start = new Date('2026-03-26T00:00:00Z');
    const end = new Date('2026-03-29T23:59:59Z');
    const r = await call(
      app,
      'GET',
      `/api/v1/analytics/performance?start_date=${start.toISOString()}&end_date=${end.toISOString()}`,
      token,
    );
    expect(r.status).toBe(200);
    const js = jsStats(rows, start, end);
    const failedGood = rows.filter(
      (x) => x.at >= start && x.at <= end && x.c === null && (x.quality ?? 0) >= 0.8,
    ).length;
    expect(failedGood).toBeGreaterThan(0);
    expect(r.body.data_quality.total_readings).toBe(js.count);
    // A failed read is never a good reading, whatever quality score it carries.
    expect(r.body.data_quality.good_readings).toBe(js.good - failedGood);
    expect(r.body.data_quality.failed_reads).toBe(js.nulls);
    // Every unit reports throughout the 96 hours: 96 expected and covered hours per unit.
    expect(r.body.uptime).toMatchObject({
      expected_hours: 96 * units.length,
      covered_hours: 96 * units.length,
      uptime_percentage: 100,
    });
    const raw = await performanceReport(ctx(), scope, { start, end }, 'C', { raw: true });
    expect(raw.data_quality).toEqual(r.body.data_quality);
    expect(r.body.temperature_deviation.max_deviation).toBeGreaterThan(0);
    const empty = await call(
      app,
      'GET',
      '/api/v1/analytics/performance?start_date=2020-01-01&end_date=2020-01-02',
      token,
    );
    expect(empty.status).toBe(200);
    expect(empty.body.data_quality).toMatchObject({
      total_readings: 0,
      good_readings: 0,
      quality_percentage: 0,
    });
    expect(empty.body.uptime.uptime_percentage).toBe(0);
  });

  it('admin summary per customer equals per-customer stats', async () => {
    const admin = (await tokenFor(db, null)).token;
    const r = await call(app, 'GET', '/api/v1/admin/analytics/temperature/summary', admin);
    expect(r.status).toBe(200);
    const own = await call(
      app,
      'GET',
      '/api/v1/temperature/stats?start_date=2000-01-01&end_date=2100-01-01',
      token,
    );
    const code = Object.entries(r.body).find(
      ([k, v]) => k !== 'system' && (v as { reading_count: number }).reading_count > 0,
    )![0];
    expect(r.body[code].reading_count).toBe(own.body.reading_count);
    close(r.body[code].avg_temperature, own.body.avg_temperature);
    // Statuses and bounds per customer too (they used to be all "normal" and null).
    for (const k of [
      'normal_count',
      'warning_count',
      'error_count',
      'failure_count',
      'maintenance_count',
      'time_range_start',
      'time_range_end',
    ])
      expect(r.body[code][k], k).toEqual(own.body[k]);
    expect(r.body[code].warning_count).toBe(1);
    expect(r.body.system.reading_count).toBe(rows.length);
  });

  it('pages readings with an exact total and the prototype envelope; bounded raw ranges', async () => {
    const start = '2026-03-27T00:00:00Z';
    const end = '2026-03-27T05:59:59Z';
    const js = jsStats(rows, new Date(start), new Date(end));
    const r = await call(
      app,
      'GET',
      `/api/v1/temperature?limit=7&offset=14&start_date=${start}&end_date=${end}`,
      token,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: js.count, page: 3, page_size: 7, pages: Math.ceil(js.count / 7) });
    expect(r.body.items).toHaveLength(7);
    const times = r.body.items.map((i: { recorded_at: string }) => i.recorded_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(r.body.items[0].recorded_at).toMatch(/Z$/);
    expect(typeof r.body.items[0].id).toBe('string');
    const filtered = await call(
      app,
      'GET',
      `/api/v1/temperature?limit=1000&min_quality=0.8&start_date=${start}&end_date=${end}`,
      token,
    );
    expect(filtered.body.total).toBe(js.good);
    expect(
      (await call(app, 'GET', '/api/v1/temperature?start_date=2026-03-01&end_date=2026-02-01', token)).status,
    ).toBe(422);
    const long = await call(
      app,
      'GET',
      '/api/v1/temperature?start_date=2025-01-01&end_date=2026-03-01',
      token,
    );
    expect(long.status).toBe(422);
    expect(long.body.detail).toMatch(/31 days/);
    expect((await call(app, 'GET', '/api/v1/temperature?limit=1001', token)).status).toBe(422);
    const failures = await call(
      app,
      'GET',
      `/api/v1/temperature?equipment_status=failure&start_date=2026-03-26&end_date=2026-03-30`,
      token,
    );
    expect(failures.status).toBe(200);
    for (const item of failures.body.items) expect(item.temperature).toBeNull();
  });

  it('exports CSV with the filters, oldest first, and neutralises formula injection', async () => {
    const unit = units[0]!;
    await db.query('UPDATE storage_units SET name = \'=HYPERLINK("http://evil")\' WHERE id = $1', [unit.id]);
    await insertReadings(db, [{ unit, at: new Date('2026-03-25T01:00:00Z'), c: -5, sensor: '+cmd|calc' }]);
    const res = await app.inject({
      url: `/api/v1/temperature/export.csv?start_date=2026-03-25T00:00:00Z&end_date=2026-03-27T00:00:00Z`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'id,recorded_at,facility_name,unit_code,unit_name,storage_unit_id,sensor_id,temperature,temperature_unit,quality_score,equipment_status',
    );
    const js = jsStats(
      [...rows, { unit, at: new Date('2026-03-25T01:00:00Z'), c: -5 }],
      new Date('2026-03-25T00:00:00Z'),
      new Date('2026-03-27T00:00:00Z'),
    );
    expect(lines.length - 1).toBe(js.count);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(lines[1]).toContain(",'+cmd|calc,");
    expect(lines[1]).toContain(',-5,');
    expect(res.body).not.toMatch(/,=HYPERLINK/);
    const oneUnit = await app.inject({
      url: `/api/v1/temperature/export.csv?start_date=2026-03-25T00:00:00Z&end_date=2026-03-27T00:00:00Z&storage_unit_id=${unit.id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const unitLines = oneUnit.body.trim().split('\r\n').slice(1);
    expect(unitLines.length).toBeGreaterThan(0);
    expect(unitLines.length).toBeLessThan(lines.length - 1);
    for (const l of unitLines) expect(l.split(',')[5]).toBe(unit.id);
    const bad = await app.inject({
      url: '/api/v1/temperature/export.csv?start_date=2020-01-01&end_date=2026-01-01',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.statusCode).toBe(422);
  });
});
