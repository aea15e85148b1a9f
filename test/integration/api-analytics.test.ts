import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { aggregateTemperatures, temperatureStats, temperatureTrends } from '../../src/readings/analytics.ts';
import { call, testApp } from '../support/api.ts';
import { close, FROM, jsStats, loadAnalyticsFixture, NOW, toF } from '../support/analytics-fixture.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import type { FactoryReading, UnitRef } from '../support/factories.ts';

describeEachBackend('api analytics', ({ create }) => {
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

  it('stats from rollups equal the raw recomputation (unaligned range, °C and °F)', async () => {
    const start = new Date('2026-03-26T05:31:07Z');
    const end = new Date('2026-03-28T22:03:59Z');
    const js = jsStats(rows, start, end);
    const r = await call(
      app,
      'GET',
      `/api/v1/temperature/stats?start_date=${start.toISOString()}&end_date=${end.toISOString()}`,
      token,
    );
    expect(r.status).toBe(200);
    const raw = await temperatureStats(ctx(), scope, { start, end }, 'C', { raw: true });
    expect(r.body.reading_count).toBe(js.count);
    expect(raw.reading_count).toBe(js.count);
    close(r.body.min_temperature, js.min);
    close(r.body.max_temperature, js.max);
    close(r.body.avg_temperature, js.avg);
    close(raw.avg_temperature, js.avg);
    expect(r.body.warning_count).toBe(1);
    expect(r.body.maintenance_count).toBe(1);
    expect(r.body.failure_count).toBe(js.nulls);
    expect(r.body.normal_count).toBe(js.count - js.nulls - 2);
    expect(r.body.unit_count).toBe(units.length);
    expect(r.body.temperature_unit).toBe('C');
    const f = await call(
      app,
      'GET',
      `/api/v1/temperature/stats?unit=F&start_date=${start.toISOString()}&end_date=${end.toISOString()}`,
      token,
    );
    close(f.body.avg_temperature, toF(js.avg!));
    close(f.body.max_temperature, toF(js.max!));
    expect(f.body.temperature_unit).toBe('F');
  });

  it('trends in a DST zone (local midnight) equal the raw path and a JS recomputation', async () => {
    const start = new Date('2026-03-26T00:00:00Z');
    const end = new Date('2026-03-30T00:00:00Z');
    const q = `interval=day&tz=Europe/London&start_date=${start.toISOString()}&end_date=${end.toISOString()}`;
    const r = await call(app, 'GET', `/api/v1/analytics/temperature/trends?${q}`, token);
    expect(r.status).toBe(200);
    const raw = await temperatureTrends(
      ctx(),
      scope,
      { start, end, interval: 'day', tz: 'Europe/London' },
      { raw: true },
    );
    expect(r.body).toHaveLength(raw.length);
    for (const [i, b] of (
      r.body as Array<{ group_key: { day: string }; metrics: Record<string, number> }>
    ).entries()) {
      expect(b.group_key.day).toBe(raw[i]!.group_key.day);
      expect(b.metrics.reading_count).toBe(raw[i]!.metrics.reading_count);
      close(b.metrics.avg_temperature, raw[i]!.metrics.avg_temperature);
      close(b.metrics.min_temperature, raw[i]!.metrics.min_temperature);
    }
    // London midnight: 00:00Z before 29 March (GMT), 23:00Z the day before after it (BST).
    const keys = (r.body as Array<{ group_key: { day: string } }>).map((b) => b.group_key.day);
    expect(keys).toContain('2026-03-28T00:00:00.000Z');
    expect(keys).toContain('2026-03-29T23:00:00.000Z');
    const day = jsStats(rows, new Date('2026-03-28T00:00:00Z'), new Date('2026-03-28T23:59:59.999Z'));
    const b28 = (r.body as Array<{ group_key: { day: string }; metrics: Record<string, number> }>).find(
      (b) => b.group_key.day === '2026-03-28T00:00:00.000Z',
    )!;
    expect(b28.metrics.reading_count).toBe(day.count);
    close(b28.metrics.avg_temperature, day.avg);
  });

  it('trends in a half-hour zone fall back to raw rows and still bucket at local midnight', async () => {
    const start = new Date('2026-03-26T00:00:00Z');
    const end = new Date('2026-03-29T00:00:00Z');
    const r = await call(
      app,
      'GET',
      `/api/v1/analytics/temperature/trends?interval=day&tz=Asia/Kolkata&unit=F&start_date=${start.toISOString()}&end_date=${end.toISOString()}`,
      token,
    );
    expect(r.status).toBe(200);
    expect(r.body[0].group_key.day).toMatch(/T18:30:00.000Z$/);
    const day = jsStats(rows, new Date('2026-03-26T18:30:00Z'), new Date('2026-03-27T18:29:59.999Z'));
    const b = r.body.find(
      (x: { group_key: { day: string } }) => x.group_key.day === '2026-03-26T18:30:00.000Z',
    );
    expect(b.metrics.reading_count).toBe(day.count);
    close(b.metrics.avg_temperature, toF(day.avg!));
    const tooLong = await call(
      app,
      'GET',
      '/api/v1/analytics/temperature/trends?interval=day&tz=Asia/Kolkata&start_date=2025-01-01&end_date=2026-01-01',
      token,
    );
    expect(tooLong.status).toBe(422);
  });

  it('aggregate by hour and unit equals the raw path; sensor grouping works; empty lists are 422', async () => {
    const body = {
      group_by: ['hour', 'unit'],
      aggregations: ['avg', 'min', 'max', 'count'],
      start_date: '2026-03-27T03:20:00Z',
      end_date: '2026-03-27T09:40:00Z',
    };
    const r = await call(app, 'POST', '/api/v1/temperature/aggregate', token, body);
    expect(r.status).toBe(200);
    const raw = await aggregateTemperatures(
      ctx(),
      scope,
      {
        start: new Date(body.start_date),
        end: new Date(body.end_date),
        group_by: ['hour', 'unit'],
        aggregations: ['avg', 'min', 'max', 'count'],
      },
      { raw: true },
    );
    expect(r.body.map((x: { metrics: { reading_count: number } }) => x.metrics.reading_count)).toEqual(
      raw.map((x) => x.metrics.reading_count),
    );
    r.body.forEach((x: { metrics: { avg_temperature: number } }, i: number) =>
      close(x.metrics.avg_temperature, raw[i]!.metrics.avg_temperature),
    );
    expect(r.body[0].group_key).toHaveProperty('unit_name');
    const sensors = await call(app, 'POST', '/api/v1/temperature/aggregate', token, {
      ...body,
      group_by: ['sensor'],
      aggregations: ['count'],
    });
    expect(sensors.status).toBe(200);
    expect(sensors.body.length).toBe(units.length);
    expect(
      (
        await call(app, 'POST', '/api/v1/temperature/aggregate', token, {
          group_by: [],
          aggregations: ['avg'],
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await call(app, 'POST', '/api/v1/temperature/aggregate', token, {
          group_by: ['day'],
          aggregations: [],
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await call(app, 'POST', '/api/v1/temperature/aggregate', token, {
          group_by: ['bogus'],
          aggregations: ['avg'],
        })
      ).status,
    ).toBe(422);
  });

  type Bucket = { group_key: Record<string, string>; metrics: Record<string, number> };
  const sameBuckets = (
    api: Bucket[],
    raw: Array<{ group_key: Record<string, unknown>; metrics: Record<string, unknown> }>,
  ) => {
    expect(api.map((b) => b.group_key)).toEqual(raw.map((b) => b.group_key));
    api.forEach((b, i) => {
      const r = raw[i]!.metrics as Record<string, number | null>;
      expect(b.metrics.reading_count).toBe(r.reading_count);
      close(b.metrics.avg_temperature, r.avg_temperature);
      close(b.metrics.min_temperature, r.min_temperature);
      close(b.metrics.max_temperature, r.max_temperature);
    });
  };

  it('day, week and month buckets equal the raw path in UTC, the customer zone and a zone it does not keep', async () => {
    const [{ tz }] = (await db.query<{ tz: string }>('SELECT timezone AS tz FROM customers WHERE id = $1', [
      scope.customerId,
    ])) as [{ tz: string }];
    const days = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM reading_rollups_daily WHERE customer_id = $1 AND time_zone = $2',
      [scope.customerId, tz],
    );
    expect(days[0]!.n).toBeGreaterThan(0); // the customer's own zone is kept
    const start = new Date('2026-03-26T03:17:00Z');
    const end = new Date('2026-03-29T20:41:00Z');
    for (const zone of ['UTC', tz, 'America/New_York', 'Asia/Tokyo'])
      for (const interval of ['day', 'week', 'month'] as const) {
        const q = `interval=${interval}&tz=${zone}&start_date=${start.toISOString()}&end_date=${end.toISOString()}`;
        const r = await call(app, 'GET', `/api/v1/analytics/temperature/trends?${q}`, token);
        expect(r.status, `${zone} ${interval}`).toBe(200);
        const raw = await temperatureTrends(ctx(), scope, { start, end, interval, tz: zone }, { raw: true });
        expect(raw.length, `${zone} ${interval}`).toBeGreaterThan(0);
        sameBuckets(r.body as Bucket[], raw);
      }
    // Stats over whole days (served by the UTC daily rows) equal the raw path too.
    const stats = await temperatureStats(ctx(), scope, { start: FROM, end: NOW }, 'C');
    const rawStats = await temperatureStats(ctx(), scope, { start: FROM, end: NOW }, 'C', { raw: true });
    expect(stats.reading_count).toBe(rawStats.reading_count);
    close(stats.avg_temperature, rawStats.avg_temperature);
  });

  it('any range, bucket and zone: the rollup plan (days, hours, edge minutes) equals the raw path', async () => {
    const lo = Date.parse('2026-03-25T18:00:00Z');
    const span = Date.parse('2026-03-31T06:00:00Z') - lo;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: span }),
        fc.integer({ min: 0, max: span }),
        fc.constantFrom('hour', 'day', 'week', 'month'),
        fc.constantFrom('UTC', 'Europe/London', 'America/New_York', 'Asia/Tokyo', 'Pacific/Chatham'),
        fc.boolean(),
        async (a, b, interval, tz, whole) => {
          // Whole minutes half the time, so starts and ends often fall exactly on hours and midnights.
          const at = (x: number) => new Date(lo + (whole ? Math.floor(x / 900_000) * 900_000 : x));
          const [start, end] = a <= b ? [at(a), at(b)] : [at(b), at(a)];
          const input = { start, end, interval, tz };
          const planned = await temperatureTrends(ctx(), scope, input);
          const raw = await temperatureTrends(ctx(), scope, input, { raw: true });
          sameBuckets(planned as Bucket[], raw);
          const stats = await temperatureStats(ctx(), scope, { start, end }, 'C');
          const rawStats = await temperatureStats(ctx(), scope, { start, end }, 'C', { raw: true });
          expect(stats.reading_count).toBe(rawStats.reading_count);
          close(stats.min_temperature, rawStats.min_temperature);
          close(stats.avg_temperature, rawStats.avg_temperature);
        },
      ),
      { numRuns: 40 },
    );
  });
});
