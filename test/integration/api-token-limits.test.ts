import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ACTIVE_TOKENS_PER_CUSTOMER } from '../../src/auth/tokens.ts';
import type { Db } from '../../src/db/types.ts';
import { buildApp } from '../../src/http/app.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, tokenFor, unitsOf } from '../support/factories.ts';

const HOUR_MS = 3_600_000;

describeEachBackend('api token limits', ({ create }) => {
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

  const mint = (token: string, body: Record<string, unknown>) =>
    call(app, 'POST', '/api/v1/customers/tokens', token, {
      token_name: 'child',
      permissions: ['read'],
      ...body,
    });

  describe('a token created by a token (item 5)', () => {
    it('cannot outlive its parent or get a higher rate limit (422, not clamped); omitted values are the parent’s', async () => {
      const expiresAt = new Date(Date.now() + 24 * HOUR_MS);
      const parent = await tokenFor(db, 'B', ['read', 'write'], { expiresAt, rateLimitPerHour: 50 });
      const later = await mint(parent.token, {
        expires_at: new Date(Date.now() + 48 * HOUR_MS).toISOString(),
      });
      expect(later.status).toBe(422);
      expect(later.body.detail).toMatch(/expires_at must not be later than the creating token/);
      const faster = await mint(parent.token, { rate_limit_per_hour: 51 });
      expect(faster.status).toBe(422);
      expect(faster.body.detail).toMatch(/rate_limit_per_hour must not exceed the creating token's \(50\)/);
      const never = await mint(parent.token, { expires_at: null });
      expect(never.status).toBe(201);
      expect(never.body).toMatchObject({
        rate_limit_per_hour: 50,
        expires_at: expiresAt.toISOString(),
        parent_token_id: parent.id,
      });
      const within = await mint(parent.token, {
        expires_at: new Date(Date.now() + HOUR_MS).toISOString(),
        rate_limit_per_hour: 10,
      });
      expect(within.status).toBe(201);
      expect(within.body.rate_limit_per_hour).toBe(10);
      // Without a parent limit below it, the default stays 1000.
      const plain = await tokenFor(db, 'B', ['read', 'write']);
      expect((await mint(plain.token, {})).body.rate_limit_per_hour).toBe(1000);
    });

    it('is revoked with its parent, transitively, and stops working at once', async () => {
      const root = await tokenFor(db, 'C', ['read', 'write']);
      const child = await mint(root.token, { permissions: ['read', 'write'] });
      const grandchild = await mint(child.body.token, {});
      const sibling = await tokenFor(db, 'C', ['read']);
      for (const tok of [child.body.token, grandchild.body.token])
        expect((await call(app, 'GET', '/api/v1/facilities', tok)).status).toBe(200);
      const revoker = await tokenFor(db, 'C', ['read', 'write']);
      const del = await call(app, 'DELETE', `/api/v1/customers/tokens/${root.id}`, revoker.token);
      expect(del.status).toBe(200);
      for (const tok of [root.token, child.body.token, grandchild.body.token])
        expect((await call(app, 'GET', '/api/v1/facilities', tok)).status).toBe(401);
      expect((await call(app, 'GET', '/api/v1/facilities', sibling.token)).status).toBe(200);
      const rows = await db.query<{ id: string; is_active: boolean }>(
        'SELECT id, is_active FROM api_tokens WHERE id = ANY($1::uuid[])',
        [[child.body.id, grandchild.body.id]],
      );
      expect(rows.map((r) => r.is_active)).toEqual([false, false]);
    });

    it('with the token cache on, the descendants stop at once too (evicted with the parent)', async () => {
      const cached = await buildApp({ db, log: createLogger('silent', false), clock: systemClock });
      try {
        const root = await tokenFor(db, 'C', ['read', 'write']);
        const child = await call(cached, 'POST', '/api/v1/customers/tokens', root.token, {
          token_name: 'cached child',
          permissions: ['read'],
        });
        expect(child.status).toBe(201);
        expect((await call(cached, 'GET', '/api/v1/facilities', child.body.token)).status).toBe(200);
        const del = await call(cached, 'DELETE', `/api/v1/customers/tokens/${root.id}`, root.token);
        expect(del.status).toBe(200);
        expect((await call(cached, 'GET', '/api/v1/facilities', child.body.token)).status).toBe(401);
      } finally {
        await cached.close();
      }
    });

    it('admin-created tokens have no parent', async () => {
      const admin = await tokenFor(db, null);
      const [c] = await db.query<{ id: string }>("SELECT id FROM customers WHERE customer_code = 'D'");
      const r = await call(app, 'POST', `/api/v1/admin/customers/${c!.id}/tokens`, admin.token, {
        token_name: 'ops',
        permissions: ['read'],
        rate_limit_per_hour: 5000,
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ parent_token_id: null, rate_limit_per_hour: 5000 });
    });

    it(`a customer holds at most ${MAX_ACTIVE_TOKENS_PER_CUSTOMER} active tokens (409 beyond; revoking frees a place)`, async () => {
      const w = await tokenFor(db, 'G', ['read', 'write']);
      const [{ n }] = (await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM api_tokens t JOIN customers c ON c.id = t.customer_id WHERE c.customer_code = 'G' AND t.is_active",
      )) as [{ n: number }];
      for (let i = n; i < MAX_ACTIVE_TOKENS_PER_CUSTOMER; i++) await tokenFor(db, 'G');
      const over = await mint(w.token, {});
      expect(over.status).toBe(409);
      expect(over.body.detail).toMatch(/already has 100 active tokens/);
      const admin = await tokenFor(db, null);
      const [g] = await db.query<{ id: string }>("SELECT id FROM customers WHERE customer_code = 'G'");
      const byAdmin = await call(app, 'POST', `/api/v1/admin/customers/${g!.id}/tokens`, admin.token, {
        token_name: 'x',
        permissions: ['read'],
      });
      expect(byAdmin.status).toBe(409);
      const some = (await call(app, 'GET', '/api/v1/customers/tokens', w.token)).body as Array<{
        id: string;
      }>;
      const victim = some.find((x) => x.id !== w.id)!;
      expect((await call(app, 'DELETE', `/api/v1/customers/tokens/${victim.id}`, w.token)).status).toBe(200);
      expect((await mint(w.token, {})).status).toBe(201);
    });
  });

  describe('a token limited to some units (item 6)', () => {
    let limited: string;
    let unitIds: string[];
    let other: { id: string; token: string };
    beforeAll(async () => {
      const units = await unitsOf(db, 'A');
      unitIds = [units[0]!.id];
      const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
      await insertReadings(db, [
        ...[1, 2, 3].map((m) => ({ unit: units[0]!, at: at(m), c: 3 })),
        ...[1, 2, 3, 4, 5].map((m) => ({ unit: units[1]!, at: at(10 + m), c: 4 })),
      ]);
      limited = (await tokenFor(db, 'A', ['read', 'write'], { accessibleUnits: unitIds })).token;
      other = await tokenFor(db, 'A', ['read']);
      await db.query(
        "UPDATE customers SET api_url = 'http://127.0.0.1:8001/api/data' WHERE customer_code = 'A'",
      );
    });

    it('cannot list, create or revoke tokens (403)', async () => {
      const list = await call(app, 'GET', '/api/v1/customers/tokens', limited);
      expect(list.status).toBe(403);
      expect(list.body.detail).toMatch(/limited to some storage units cannot list tokens/);
      const made = await mint(limited, { accessible_units: unitIds });
      expect(made.status).toBe(403);
      const del = await call(app, 'DELETE', `/api/v1/customers/tokens/${other.id}`, limited);
      expect(del.status).toBe(403);
      expect((await call(app, 'GET', '/api/v1/facilities', other.token)).status).toBe(200);
    });

    it('cannot change the profile (403)', async () => {
      for (const body of [{ name: 'Taken over' }, { timezone: 'Asia/Tokyo' }, { timezone: 'Not/AZone' }]) {
        const r = await call(app, 'PUT', '/api/v1/customers/profile', limited, body);
        expect(r.status).toBe(403);
        expect(r.body.detail).toMatch(/cannot change the profile/);
      }
      const [c] = await db.query<{ name: string; timezone: string }>(
        "SELECT name, timezone FROM customers WHERE customer_code = 'A'",
      );
      expect(c!.name).not.toBe('Taken over');
      expect(c!.timezone).not.toBe('Asia/Tokyo');
    });

    it('reads a profile without the source URL and with counts over its units only', async () => {
      const whole = await call(app, 'GET', '/api/v1/customers/profile', other.token);
      expect(whole.status).toBe(200);
      expect(whole.body.api_url).toBe('http://127.0.0.1:8001/api/data');
      expect(whole.body.unit_count).toBeGreaterThan(1);
      const r = await call(app, 'GET', '/api/v1/customers/profile', limited);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        customer_code: 'A',
        api_url: null,
        unit_count: 1,
        facility_count: 1,
      });
      expect(r.body.active_readings_count).toBe(3);
      expect(r.body.last_reading_time).toBe('2026-01-01T00:03:00.000Z');
      expect(whole.body.active_readings_count).toBe(8);
    });
  });
});
