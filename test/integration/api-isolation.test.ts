import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RouteInfo } from '../../src/http/app.ts';
import type { Db } from '../../src/db/types.ts';
import { insertAlarm } from '../support/alarm-fixtures.ts';
import { appendEntry } from '../support/audit-fixtures.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import {
  facilitiesOf,
  insertReadings,
  seedDefaultFleet,
  series,
  tokenFor,
  unitsOf,
} from '../support/factories.ts';

/** A valid body per write route, so that validation passes and ownership is what is tested. */
const BODIES: Record<string, (ids: Record<string, string>) => unknown> = {
  'POST /api/v1/temperature': (ids) => ({
    storage_unit_id: ids.unit_id,
    temperature: -18.5,
    temperature_unit: 'C',
    recorded_at: new Date().toISOString(),
    sensor_id: 's1',
  }),
  'POST /api/v1/temperature/aggregate': (ids) => ({
    group_by: ['day'],
    aggregations: ['avg'],
    facility_id: ids.facility_id,
  }),
  'POST /api/v1/facilities': () => ({ facility_code: `iso_${Date.now()}` }),
  'PUT /api/v1/facilities/:facility_id': () => ({ name: 'hijack' }),
  'POST /api/v1/facilities/:facility_id/units': () => ({
    unit_code: 'u_iso',
    size_value: 10,
    size_unit: 'sqm',
    set_temperature: -18,
    temperature_unit: 'C',
    equipment_type: 'freezer',
  }),
  'PUT /api/v1/units/:unit_id': () => ({ name: 'hijack' }),
  'PUT /api/v1/customers/profile': () => ({ name: 'x' }),
  'POST /api/v1/customers/tokens': () => ({ token_name: 't', permissions: ['read'] }),
  'PUT /api/v1/notification-channels/:channel_id': () => ({ name: 'hijack' }),
  'POST /api/v1/alarms/:alarm_id/acknowledge': () => ({ comment: 'not mine' }),
  'POST /api/v1/alarms/:alarm_id/shelve': () => ({ minutes: 30, reason: 'not mine' }),
  'POST /api/v1/alarms/:alarm_id/unshelve': () => ({}),
  'PUT /api/v1/units/:unit_id/alarm-rules': () => ({
    rules: [{ kind: 'high', severity: 'critical', threshold: 99 }],
  }),
  'PUT /api/v1/alarm-rule-defaults/:equipment_type': () => ({ rules: [] }),
  'POST /api/v1/report-schedules': (ids) => ({ facility_id: ids.facility_id, period: 'monthly' }),
  'PUT /api/v1/report-schedules/:schedule_id': () => ({ enabled: false }),
  'PATCH /api/v1/report-schedules/:schedule_id': () => ({ enabled: false }),
};

/**
 * Path parameters that are names, not ids: another customer's value is the caller's own namesake
 * (an equipment type's defaults are per customer), so there is no foreign resource to hide.
 */
const NAME_PARAMS = /:(key|equipment_type)\b/;

/** Routes whose foreign ids travel in the query or body rather than the path. */
const NON_PATH_IDS: Array<[string, string, (ids: Record<string, string>) => unknown]> = [
  ['POST', '/api/v1/temperature', BODIES['POST /api/v1/temperature']!],
  ['POST', '/api/v1/temperature/aggregate', BODIES['POST /api/v1/temperature/aggregate']!],
  [
    'POST',
    '/api/v1/temperature/aggregate',
    (ids) => ({ group_by: ['day'], aggregations: ['avg'], storage_unit_id: ids.unit_id }),
  ],
  ['POST', '/api/v1/report-schedules', BODIES['POST /api/v1/report-schedules']!],
];
const QUERY_ID_ROUTES = [
  '/api/v1/analytics/temperature/summary',
  '/api/v1/analytics/temperature/trends',
  '/api/v1/analytics/alarms/history',
];

const fill = (url: string, ids: Record<string, string>): string =>
  url.replace(/:(\w+)/g, (_m, name: string) => {
    const id = ids[name];
    if (!id)
      throw new Error(`No foreign id for path parameter '${name}' in ${url}: add it to the isolation matrix`);
    return id;
  });

describeEachBackend('api tenant isolation', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let routes: RouteInfo[];
  let foreign: Record<string, string>;
  let tokens: { aRead: string; aWrite: string; admin: string };

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    const bUnits = await unitsOf(db, 'B');
    await insertReadings(db, series(bUnits[0]!, new Date(Date.now() - 3_600_000), 60, 30));
    const bToken = await tokenFor(db, 'B', ['read', 'write']);
    const [bChannel] = await db.query<{ id: string }>(
      `INSERT INTO notification_channels (customer_id, type, target) VALUES ($1, 'email', 'b@example.com') RETURNING id`,
      [bUnits[0]!.customer_id],
    );
    const bFacility = (await facilitiesOf(db, 'B'))[0]!;
    const [bSchedule] = await db.query<{ id: string }>(
      `INSERT INTO report_schedules (customer_id, facility_id, period, tz, period_end_at, next_run_at)
       VALUES ($1, $2, 'monthly', 'UTC', now() + interval '1 day', now() + interval '1 day') RETURNING id`,
      [bUnits[0]!.customer_id, bFacility],
    );
    foreign = {
      facility_id: bFacility,
      schedule_id: bSchedule!.id,
      unit_id: bUnits[0]!.id,
      token_id: bToken.id,
      channel_id: bChannel!.id,
      alarm_id: await insertAlarm(db, { unit: bUnits[0]!, startedAt: new Date(Date.now() - 3_600_000) }),
      equipment_type: 'freezer',
    };
    // An audit entry of B's, about its unit: never in A's /audit.
    await appendEntry(db, { customerId: bUnits[0]!.customer_id, entityId: bUnits[0]!.id, action: 'update' });
    tokens = {
      aRead: (await tokenFor(db, 'A')).token,
      aWrite: (await tokenFor(db, 'A', ['read', 'write'])).token,
      admin: (await tokenFor(db, null)).token,
    };
    app = await testApp(db);
    await app.ready();
    routes = app.routeList.filter((r) => !r.url.startsWith('/docs'));
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('registers every prototype operation (and a scope for each)', () => {
    const api = routes.filter((r) => r.url.startsWith('/api/v1'));
    expect(api.length).toBeGreaterThanOrEqual(38);
    // The only routes without a token: health, docs, metrics and the dashboard's static files.
    const allowed = ['/', '/health', '/metrics', '/openapi.json', '/ping', '/assets/*'];
    for (const r of routes.filter((x) => x.scope === 'public')) expect(allowed).toContain(r.url);
  });

  it("answers 404 for another customer's id on every customer route that takes one", async () => {
    const withIds = routes.filter(
      (r) => (r.scope === 'read' || r.scope === 'write') && r.url.includes(':') && !NAME_PARAMS.test(r.url),
    );
    expect(withIds.length).toBeGreaterThanOrEqual(10);
    for (const r of withIds) {
      const body = BODIES[`${r.method} ${r.url}`]?.(foreign);
      const res = await call(app, r.method, fill(r.url, foreign), tokens.aWrite, body);
      expect({ route: `${r.method} ${r.url}`, status: res.status }).toEqual({
        route: `${r.method} ${r.url}`,
        status: 404,
      });
      expect(res.body).toHaveProperty('detail');
    }
    for (const [method, url, body] of NON_PATH_IDS) {
      const res = await call(app, method, url, tokens.aWrite, body(foreign));
      expect({ route: `${method} ${url}`, status: res.status }).toEqual({
        route: `${method} ${url}`,
        status: 404,
      });
    }
    for (const url of QUERY_ID_ROUTES) {
      for (const q of [`facility_id=${foreign.facility_id}`, `unit_id=${foreign.unit_id}`]) {
        const res = await call(app, 'GET', `${url}?${q}`, tokens.aRead);
        expect({ url, q, status: res.status }).toEqual({ url, q, status: 404 });
      }
    }
    for (const q of [`facility_id=${foreign.facility_id}`, `storage_unit_id=${foreign.unit_id}`]) {
      const res = await call(app, 'GET', `/api/v1/temperature/export.csv?${q}`, tokens.aRead);
      expect({ q, status: res.status }).toEqual({ q, status: 404 });
    }
    for (const q of [`facility_id=${foreign.facility_id}`, `storage_unit_id=${foreign.unit_id}`]) {
      const res = await call(app, 'GET', `/api/v1/analytics/compliance?${q}`, tokens.aRead);
      expect({ q, status: res.status }).toEqual({ q, status: 404 });
    }
    for (const q of [`facility_id=${foreign.facility_id}`, `storage_unit_id=${foreign.unit_id}`]) {
      const res = await call(app, 'GET', `/api/v1/alarms?${q}`, tokens.aRead);
      expect({ q, status: res.status }).toEqual({ q, status: 404 });
    }
    // Reports: a valid window changes nothing (the scope is checked before the query).
    const window = `start_date=${new Date(Date.now() - 86_400_000).toISOString()}&end_date=${new Date().toISOString()}`;
    for (const url of [
      `/api/v1/reports/unit/${foreign.unit_id}.pdf`,
      `/api/v1/reports/unit/${foreign.unit_id}.csv`,
      `/api/v1/reports/facility/${foreign.facility_id}.pdf`,
      `/api/v1/reports/facility/${foreign.facility_id}.csv`,
    ]) {
      const res = await call(app, 'GET', `${url}?${window}`, tokens.aRead);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
    }
    const b = await call(app, 'GET', `/api/v1/temperature/unit/${foreign.unit_id}`, tokens.aRead);
    expect(b.body).toEqual({ detail: 'Storage unit not found', code: 'NOT_FOUND' });
  });

  it("never lists another customer's data", async () => {
    const lists = [
      '/api/v1/temperature',
      '/api/v1/temperature/latest',
      '/api/v1/facilities',
      '/api/v1/customers/tokens',
      '/api/v1/analytics/compliance',
      '/api/v1/alarms',
      '/api/v1/analytics/alarms/history',
      '/api/v1/audit',
      '/api/v1/report-schedules',
    ];
    for (const url of lists) {
      const res = await call(app, 'GET', url, tokens.aRead);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(foreign.unit_id);
      expect(JSON.stringify(res.body)).not.toContain(foreign.facility_id);
      expect(JSON.stringify(res.body)).not.toContain(foreign.token_id);
      expect(JSON.stringify(res.body)).not.toContain(foreign.alarm_id);
    }
    const stats = await call(app, 'GET', '/api/v1/temperature/stats', tokens.aRead);
    expect(stats.body.reading_count).toBe(0);
  });

  it('answers 403 on every write route for a read token', async () => {
    const writes = routes.filter((r) => r.scope === 'write');
    expect(writes.length).toBeGreaterThanOrEqual(8);
    for (const r of writes) {
      const res = await call(
        app,
        r.method,
        fill(r.url, foreign),
        tokens.aRead,
        BODIES[`${r.method} ${r.url}`]?.(foreign),
      );
      expect({ route: `${r.method} ${r.url}`, status: res.status }).toEqual({
        route: `${r.method} ${r.url}`,
        status: 403,
      });
    }
  });

  it('answers 401 on every non-public route without a token, and 403 on admin routes for customer tokens', async () => {
    for (const r of routes.filter((x) => x.scope !== 'public')) {
      const res = await call(
        app,
        r.method,
        fill(r.url, { ...foreign, customer_id: foreign.unit_id!, key: 'k' }),
      );
      expect({ route: `${r.method} ${r.url}`, status: res.status }).toEqual({
        route: `${r.method} ${r.url}`,
        status: 401,
      });
      if (r.scope === 'admin') {
        const c = await call(
          app,
          r.method,
          fill(r.url, { ...foreign, customer_id: foreign.unit_id!, key: 'k' }),
          tokens.aWrite,
          {},
        );
        expect({ route: `${r.method} ${r.url}`, status: c.status }).toEqual({
          route: `${r.method} ${r.url}`,
          status: 403,
        });
      }
    }
  });

  it('answers 422 (never 500) for a path id that is not a UUID', async () => {
    for (const r of routes.filter((x) => x.url.includes(':') && x.scope !== 'public')) {
      const res = await call(
        app,
        r.method,
        r.url.replace(/:(\w+)/g, (_m, n: string) => (n === 'key' ? 'k' : 'not-a-uuid')),
        r.scope === 'admin' ? tokens.admin : tokens.aWrite,
        BODIES[`${r.method} ${r.url}`]?.(foreign),
      );
      if (NAME_PARAMS.test(r.url)) continue;
      expect({ route: `${r.method} ${r.url}`, status: res.status }).toEqual({
        route: `${r.method} ${r.url}`,
        status: 422,
      });
      expect(Array.isArray(res.body.detail)).toBe(true);
    }
  });
});
