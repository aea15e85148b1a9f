import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomPortBase, runTms, startTms, waitForHttp, type RunningTms } from '../support/cli.ts';

/** Python's datetime.now().isoformat(): naive, microseconds (what the prototype's smoke script sends). */
const naive = (d: Date): string => `${d.toISOString().replace('Z', '')}123`;

const PAGE_KEYS = ['items', 'page', 'page_size', 'pages', 'total'];

/**
 * The prototype's smoke sequence (seed-system.md §8, `test_all_endpoints.py --all`), step by step,
 * against `tms up --roles api`, asserting the statuses and shapes of api-contract.md.
 */
describe('prototype smoke sequence against a running tms', () => {
  let dataDir: string;
  let up: RunningTms;
  let base: string;
  let env: Record<string, string>;
  let tokens: { admin: { token: string }; customers: Record<string, { token: string }> };
  const writeTokens: Record<string, string> = {};

  const req = async (method: string, url: string, token: string | undefined, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, body: json };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tms-smoke-'));
    const port = randomPortBase();
    env = { TMS_DATA_DIR: dataDir, PORT: String(port), SIM_PORT_START: String(port + 1) };
    base = `http://127.0.0.1:${port}`;
    up = startTms(['up', '--roles', 'api'], env);
    await waitForHttp(`${base}/health`, 90_000);
    tokens = JSON.parse(await readFile(path.join(dataDir, 'tokens.json'), 'utf8'));
    for (const code of ['A', 'B', 'C']) {
      const r = await runTms(
        ['tokens', 'create', '--customer', code, '--scopes', 'read,write', '--json'],
        env,
      );
      expect(r.code).toBe(0);
      writeTokens[code] = JSON.parse(r.stdout).token;
    }
  }, 90_000);
  afterAll(async () => {
    await up?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const runCustomer = async (code: string, type: 'read' | 'write') => {
    const tok = type === 'read' ? tokens.customers[code]!.token : writeTokens[code]!;
    const epoch = Math.floor(Date.now() / 1000);
    const now = new Date();
    // 1. health
    expect((await req('GET', '/health', undefined)).body).toMatchObject({ status: 'ok', database: 'ok' });
    expect((await req('GET', '/ping', undefined)).body).toEqual({ ping: 'pong' });
    // 2. temperature
    const all = await req('GET', '/api/v1/temperature', tok);
    expect(all.status).toBe(200);
    expect(Object.keys(all.body).sort()).toEqual(PAGE_KEYS);
    const latest = await req('GET', '/api/v1/temperature/latest', tok);
    expect(latest.status).toBe(200);
    expect(Array.isArray(latest.body)).toBe(true);
    const facilities = await req('GET', '/api/v1/facilities', tok);
    expect(facilities.status).toBe(200);
    const fid: string = facilities.body.items[0].id;
    expect(facilities.body.items[0]).toMatchObject({
      customer_id: expect.any(String),
      facility_code: expect.any(String),
    });
    const tf = await req('GET', `/api/v1/temperature/facility/${fid}`, tok);
    expect(tf.status).toBe(200);
    const fu = await req('GET', `/api/v1/facilities/${fid}/units`, tok);
    expect(fu.status).toBe(200);
    const uid: string = fu.body.items[0].id;
    expect(fu.body.items[0]).toMatchObject({
      unit_code: expect.any(String),
      temperature_status: expect.any(String),
    });
    expect((await req('GET', `/api/v1/temperature/unit/${uid}`, tok)).status).toBe(200);
    const stats = await req('GET', '/api/v1/temperature/stats', tok);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      reading_count: expect.any(Number),
      normal_count: expect.any(Number),
      temperature_unit: 'C',
    });
    const dayAgo = naive(new Date(now.getTime() - 86_400_000));
    expect(
      (await req('GET', `/api/v1/temperature/stats?start_date=${dayAgo}&end_date=${naive(now)}`, tok)).status,
    ).toBe(200);
    const reading = {
      storage_unit_id: uid,
      temperature: -18.5,
      temperature_unit: 'C',
      recorded_at: naive(new Date(now.getTime() - 1000)),
      sensor_id: `test_sensor_${epoch}`,
      quality_score: 1,
      equipment_status: 'normal',
    };
    const posted = await req('POST', '/api/v1/temperature', tok, reading);
    if (type === 'write') {
      expect(posted.status).toBe(201);
      expect(posted.body).toMatchObject({
        temperature: -18.5,
        temperature_unit: 'C',
        storage_unit_id: uid,
        id: expect.any(String),
      });
      expect((await req('POST', '/api/v1/temperature', tok, reading)).status).toBe(409);
    } else expect(posted.status).toBe(403);
    const weekAgo = naive(new Date(now.getTime() - 7 * 86_400_000));
    const agg = await req('POST', '/api/v1/temperature/aggregate', tok, {
      group_by: ['day', 'facility'],
      aggregations: ['avg', 'min', 'max', 'count'],
      start_date: weekAgo,
      end_date: naive(new Date(now.getTime() + 60_000)),
      facility_id: fid,
    });
    expect(agg.status).toBe(200);
    if (type === 'write')
      expect(agg.body[0]).toMatchObject({ group_key: { facility_id: fid }, metrics: { reading_count: 1 } });
    // 3. facilities
    expect((await req('GET', `/api/v1/facilities/${fid}`, tok)).status).toBe(200);
    const detailed = await req('GET', `/api/v1/facilities/${fid}/detailed`, tok);
    expect(detailed.status).toBe(200);
    expect(detailed.body).toMatchObject({ unit_count: expect.any(Number), units: expect.any(Array) });
    expect((await req('GET', `/api/v1/units/${uid}`, tok)).status).toBe(200);
    const newFacility = await req('POST', '/api/v1/facilities', tok, {
      facility_code: `test_facility_${epoch}`,
      name: 'Test Facility',
      city: 'Test City',
      country: 'Test Country',
    });
    if (type === 'write') {
      expect(newFacility.status).toBe(201);
      const nf = newFacility.body.id;
      expect(
        (await req('PUT', `/api/v1/facilities/${nf}`, tok, { name: `Updated Test Facility ${epoch}` })).body
          .name,
      ).toBe(`Updated Test Facility ${epoch}`);
      const unit = await req('POST', `/api/v1/facilities/${nf}/units`, tok, {
        unit_code: `test_unit_${epoch}`,
        name: 'Test Storage Unit',
        size_value: 1000,
        size_unit: 'sqft',
        set_temperature: -18.0,
        temperature_unit: 'C',
        equipment_type: 'freezer',
      });
      expect(unit.status).toBe(201);
      expect(unit.body).toMatchObject({ facility_id: nf, temperature_status: 'unknown' });
      const pu = await req('PUT', `/api/v1/units/${unit.body.id}`, tok, {
        name: `Updated Test Unit ${epoch}`,
      });
      expect(pu.status).toBe(200);
      expect(pu.body.name).toBe(`Updated Test Unit ${epoch}`);
    } else expect(newFacility.status).toBe(403);
    // 4. customer
    const profile = await req('GET', '/api/v1/customers/profile', tok);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({
      customer_code: code,
      active_readings_count: expect.any(Number),
      facility_count: expect.any(Number),
    });
    const list = await req('GET', '/api/v1/customers/tokens', tok);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toMatch(/token_hash|"token":/);
    const created = await req('POST', '/api/v1/customers/tokens', tok, {
      token_name: `Test Token ${epoch}`,
      permissions: ['read'],
      rate_limit_per_hour: 100,
    });
    if (type === 'write') {
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^tms_/);
      const del = await req('DELETE', `/api/v1/customers/tokens/${created.body.id}`, tok);
      expect(del.status).toBe(200);
      expect(del.body).toMatchObject({ id: created.body.id, is_active: false });
      const renamed = await req('PUT', '/api/v1/customers/profile', tok, {
        name: `Updated Test Customer ${epoch}`,
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe(`Updated Test Customer ${epoch}`);
      expect(
        (await req('PUT', '/api/v1/customers/profile', tok, { api_url: 'http://169.254.169.254/' })).status,
      ).toBe(403);
    } else expect(created.status).toBe(403);
    // 5. analytics
    expect((await req('GET', '/api/v1/analytics/temperature/summary', tok)).status).toBe(200);
    const trends = await req(
      'GET',
      `/api/v1/analytics/temperature/trends?interval=day&start_date=${weekAgo}&end_date=${naive(new Date(now.getTime() + 60_000))}`,
      tok,
    );
    expect(trends.status).toBe(200);
    expect(Array.isArray(trends.body)).toBe(true);
    const alarms = await req('GET', '/api/v1/analytics/alarms/history', tok);
    expect(alarms.status).toBe(200);
    expect(Object.keys(alarms.body).sort()).toEqual(PAGE_KEYS);
    const perf = await req('GET', '/api/v1/analytics/performance', tok);
    expect(perf.status).toBe(200);
    expect(Object.keys(perf.body).sort()).toEqual([
      'data_quality',
      'status_distribution',
      'temperature_deviation',
      'time_range',
      'uptime',
    ]);
  };

  for (const code of ['A', 'B', 'C'])
    for (const type of ['read', 'write'] as const)
      it(`runs steps 1–5 for customer ${code} with a ${type} token`, () => runCustomer(code, type));

  it('runs step 6 (admin) with the admin token', async () => {
    const tok = tokens.admin.token;
    const epoch = Math.floor(Date.now() / 1000);
    const customers = await req('GET', '/api/v1/admin/customers', tok);
    expect(customers.status).toBe(200);
    expect(customers.body.total).toBe(10);
    const cid = customers.body.items[0].id;
    expect(customers.body.items[0]).toMatchObject({
      active_readings_count: expect.any(Number),
      unit_count: expect.any(Number),
    });
    expect((await req('GET', `/api/v1/admin/customers/${cid}`, tok)).status).toBe(200);
    expect((await req('GET', `/api/v1/admin/customers/${cid}/tokens`, tok)).status).toBe(200);
    const t = await req('POST', `/api/v1/admin/customers/${cid}/tokens`, tok, {
      token_name: `Admin Created Token ${epoch}`,
      permissions: ['read'],
      rate_limit_per_hour: 100,
    });
    expect(t.status).toBe(201);
    expect(t.body.token).toMatch(/^tms_/);
    const pc = await req('PUT', `/api/v1/admin/customers/${cid}`, tok, {
      name: `Admin Updated Customer ${epoch}`,
    });
    expect(pc.status).toBe(200);
    expect(pc.body.name).toBe(`Admin Updated Customer ${epoch}`);
    const facilities = await req('GET', '/api/v1/admin/facilities', tok);
    expect(facilities.status).toBe(200);
    expect(facilities.body.total).toBe(21 + 3); // the default fleet plus one per write run above
    const config = await req('GET', '/api/v1/admin/config', tok);
    expect(config.body.data_retention_days.value).toBe(730);
    const put = await req('PUT', '/api/v1/admin/config/data_retention_days', tok, {
      value: 2555,
      description: 'Number of days to retain temperature data',
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ key: 'data_retention_days', value: 2555 });
    expect((await req('GET', '/api/v1/admin/ingestion/logs', tok)).status).toBe(200);
    const summary = await req('GET', '/api/v1/admin/analytics/temperature/summary', tok);
    expect(summary.status).toBe(200);
    expect(summary.body.system.reading_count).toBeGreaterThanOrEqual(3);
    const readings = await req('GET', '/api/v1/admin/temperature', tok);
    expect(readings.status).toBe(200);
    expect(readings.body.total).toBeGreaterThanOrEqual(3);
    const fid = facilities.body.items[0].id;
    expect((await req('GET', `/api/v1/admin/temperature/facility/${fid}`, tok)).status).toBe(200);
    expect((await req('GET', '/system-info', tok)).status).toBe(200);
  });

  it('serves /docs, /openapi.json with every operation, and /metrics', async () => {
    const docs = await fetch(`${base}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, object> };
    const ops = Object.values(doc.paths).flatMap((m) => Object.keys(m));
    expect(ops.length).toBeGreaterThanOrEqual(42);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('tms_http_request_duration_seconds_bucket');
    expect(metrics).toContain('route="/api/v1/facilities/:facility_id/units"');
  });
});
