import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { facilitiesOf, seedDefaultFleet, tokenFor, unitsOf } from '../support/factories.ts';

describeEachBackend('api auth', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    app = await testApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('refuses a missing token with 401 and WWW-Authenticate: Bearer', async () => {
    const r = await call(app, 'GET', '/api/v1/facilities');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
    expect(r.body).toMatchObject({ detail: 'Not authenticated' });
  });

  it('refuses malformed, unknown, revoked and expired tokens with 401', async () => {
    expect((await call(app, 'GET', '/api/v1/facilities', 'read_B_66_token_2025')).status).toBe(401);
    const basic = await app.inject({
      method: 'GET',
      url: '/api/v1/facilities',
      headers: { authorization: 'Basic abc' },
    });
    expect(basic.statusCode).toBe(401);
    const good = await tokenFor(db, 'B');
    const unknown = good.token.slice(0, -8) + 'AAAAAAAA';
    expect((await call(app, 'GET', '/api/v1/facilities', unknown)).status).toBe(401);
    const revoked = await tokenFor(db, 'B');
    await db.query('UPDATE api_tokens SET is_active = false WHERE id = $1', [revoked.id]);
    expect((await call(app, 'GET', '/api/v1/facilities', revoked.token)).status).toBe(401);
    const expired = await tokenFor(db, 'B', ['read'], { expiresAt: new Date(Date.now() - 1000) });
    const r = await call(app, 'GET', '/api/v1/facilities', expired.token);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
  });

  it("refuses an inactive customer's token with 401", async () => {
    const tok = await tokenFor(db, 'J');
    expect((await call(app, 'GET', '/api/v1/facilities', tok.token)).status).toBe(200);
    await db.query("UPDATE customers SET is_active = false WHERE customer_code = 'J'");
    expect((await call(app, 'GET', '/api/v1/facilities', tok.token)).status).toBe(401);
    await db.query("UPDATE customers SET is_active = true WHERE customer_code = 'J'");
  });

  it('enforces scopes: read cannot write (403), customers cannot use admin routes, admin cannot act as a customer', async () => {
    const read = await tokenFor(db, 'B');
    const admin = await tokenFor(db, null);
    const w = await call(app, 'POST', '/api/v1/facilities', read.token, { facility_code: 'x1' });
    expect(w.status).toBe(403);
    expect(w.body.detail).toBe('Write permission required');
    expect((await call(app, 'GET', '/api/v1/admin/customers', read.token)).status).toBe(403);
    const a = await call(app, 'GET', '/api/v1/facilities', admin.token);
    expect(a.status).toBe(403);
    expect(a.body.detail).toMatch(/admin token works on \/api\/v1\/admin/);
    expect((await call(app, 'GET', '/api/v1/admin/customers', admin.token)).status).toBe(200);
    expect((await call(app, 'GET', '/system-info', read.token)).status).toBe(403);
    expect((await call(app, 'GET', '/system-info', admin.token)).status).toBe(200);
  });

  it('tells any valid token what it is (GET /api/v1/auth/token), and nothing without one', async () => {
    const read = await tokenFor(db, 'B');
    const admin = await tokenFor(db, null);
    expect((await call(app, 'GET', '/api/v1/auth/token')).status).toBe(401);
    const c = await call(app, 'GET', '/api/v1/auth/token', read.token);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ kind: 'customer', customer_code: 'B', permissions: ['read'] });
    const a = await call(app, 'GET', '/api/v1/auth/token', admin.token);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ kind: 'admin', customer_code: null, accessible_units: [] });
  });

  it('refuses a metadata or link-local source URL when an admin sets one (SSRF)', async () => {
    const admin = await tokenFor(db, null);
    const [b] = await db.query<{ id: string }>("SELECT id FROM customers WHERE customer_code = 'B'");
    for (const api_url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]/x',
      'http://metadata.google.internal/',
    ]) {
      const res = await call(app, 'PUT', `/api/v1/admin/customers/${b!.id}`, admin.token, { api_url });
      expect({ api_url, status: res.status }).toEqual({ api_url, status: 422 });
    }
    const ok = await call(app, 'PUT', `/api/v1/admin/customers/${b!.id}`, admin.token, {
      api_url: 'http://127.0.0.1:8002/data/download.csv',
    });
    expect(ok.status).toBe(200);
  });

  it('limits each token to rate_limit_per_hour requests (429 with Retry-After), then resets the next hour', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const clock = { now: () => new Date(now) };
    const limited = await testApp(db, clock);
    try {
      const tok = await tokenFor(db, 'C', ['read'], { rateLimitPerHour: 3 });
      for (let i = 0; i < 3; i++)
        expect((await call(limited, 'GET', '/api/v1/facilities', tok.token)).status).toBe(200);
      const r = await call(limited, 'GET', '/api/v1/facilities', tok.token);
      expect(r.status).toBe(429);
      expect(Number(r.headers['retry-after'])).toBe(3600);
      expect(r.body.detail).toMatch(/Rate limit/);
      now = new Date('2030-01-01T01:00:01Z');
      expect((await call(limited, 'GET', '/api/v1/facilities', tok.token)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('records last_used_at in a batch (on flush), not per request', async () => {
    const tok = await tokenFor(db, 'D');
    const other = await testApp(db, fixedClock('2031-05-05T05:05:05Z'));
    await call(other, 'GET', '/api/v1/facilities', tok.token);
    const before = await db.query<{ last_used_at: Date | null }>(
      'SELECT last_used_at FROM api_tokens WHERE id = $1',
      [tok.id],
    );
    expect(before[0]!.last_used_at).toBeNull();
    await other.close();
    const after = await db.query<{ last_used_at: Date | null }>(
      'SELECT last_used_at FROM api_tokens WHERE id = $1',
      [tok.id],
    );
    expect(after[0]!.last_used_at?.toISOString()).toBe('2031-05-05T05:05:05.000Z');
  });

  it('honours accessible_units: other units of the same customer are not found', async () => {
    const units = await unitsOf(db, 'A');
    const tok = await tokenFor(db, 'A', ['read'], { accessibleUnits: [units[0]!.id] });
    expect((await call(app, 'GET', `/api/v1/units/${units[0]!.id}`, tok.token)).status).toBe(200);
    expect((await call(app, 'GET', `/api/v1/units/${units[1]!.id}`, tok.token)).status).toBe(404);
    const facilities = await call(app, 'GET', '/api/v1/facilities', tok.token);
    expect(facilities.body.items.map((f: { id: string }) => f.id)).toEqual([units[0]!.facility_id]);
    const own = await facilitiesOf(db, 'A');
    expect(own.length).toBeGreaterThan(0);
  });

  it('a revoked token stops working at once when revoked through the API', async () => {
    const w = await tokenFor(db, 'E', ['read', 'write']);
    const created = await call(app, 'POST', '/api/v1/customers/tokens', w.token, {
      token_name: 'tmp',
      permissions: ['read'],
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^tms_/);
    expect((await call(app, 'GET', '/api/v1/facilities', created.body.token)).status).toBe(200);
    const del = await call(app, 'DELETE', `/api/v1/customers/tokens/${created.body.id}`, w.token);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: created.body.id, is_active: false });
    expect((await call(app, 'GET', '/api/v1/facilities', created.body.token)).status).toBe(401);
    const admin = await call(app, 'POST', '/api/v1/customers/tokens', w.token, {
      token_name: 'x',
      permissions: ['admin'],
    });
    expect(admin.status).toBe(403);
  });
});
