import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RouteInfo } from '../../src/http/app.ts';
import type { Db } from '../../src/db/types.ts';
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

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  enum?: unknown[];
  items?: Schema;
  anyOf?: Schema[];
  format?: string;
  required?: string[];
};

const NASTY = [
  "' OR 1=1 --",
  '"; DROP TABLE customers; --',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '<script>alert(1)</script>',
  '=cmd|calc',
  '9'.repeat(400),
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  '2026-02-30T25:61:00',
  '0001-01-01',
  '9999-12-31T23:59:59Z',
  'Europe/Nowhere',
  '😀'.repeat(20),
  '[]',
  '{}',
  'null',
  'true',
];

/** Any JSON-ish value, biased to edge cases. */
const junk = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(...NASTY),
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.constantFrom(0, -1, 1e12, -1e12, Number.MAX_SAFE_INTEGER, 0.5, 1.5),
    fc.boolean(),
    fc.constant(null),
    fc.uuid(),
    fc
      .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 3 }),
  );

/** A value that mostly fits a schema property (so requests get past validation), sometimes not. */
const valueFor = (s: Schema | undefined, ids: string[]): fc.Arbitrary<unknown> => {
  if (!s) return junk();
  const fitting: fc.Arbitrary<unknown>[] = [];
  if (s.enum) fitting.push(fc.constantFrom(...s.enum));
  if (s.anyOf) fitting.push(...s.anyOf.map((x) => valueFor(x, ids)));
  if (s.format === 'uuid') fitting.push(fc.constantFrom(...ids));
  if (s.format === 'iso-instant' || s.format === 'date-time')
    fitting.push(
      fc
        .date({ min: new Date('2025-01-01'), max: new Date('2027-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
    );
  const types = [s.type].flat();
  if (types.includes('integer')) fitting.push(fc.integer({ min: -5, max: 2000 }));
  if (types.includes('number')) fitting.push(fc.double({ min: -100, max: 100, noNaN: true }));
  if (types.includes('string') && !s.enum && !s.format) fitting.push(fc.string({ maxLength: 12 }));
  if (types.includes('boolean')) fitting.push(fc.boolean());
  if (types.includes('array') && s.items) fitting.push(fc.array(valueFor(s.items, ids), { maxLength: 4 }));
  return fitting.length
    ? fc.oneof({ weight: 4, arbitrary: fc.oneof(...fitting) }, { weight: 1, arbitrary: junk() })
    : junk();
};

const objectFor = (s: Schema | undefined, ids: string[]): fc.Arbitrary<Record<string, unknown>> => {
  const props = s?.properties ?? {};
  const keys = Object.keys(props);
  if (keys.length === 0) return fc.dictionary(fc.string({ maxLength: 6 }), junk(), { maxKeys: 3 });
  return fc.record(Object.fromEntries(keys.map((k) => [k, valueFor(props[k], ids)])), { requiredKeys: [] });
};

const toQuery = (o: Record<string, unknown>): string =>
  Object.entries(o)
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`,
    )
    .join('&');

describeEachBackend('api robustness', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let routes: RouteInfo[];
  let ids: string[];
  let tokens: Record<'read' | 'write' | 'admin', string>;

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    const a = await unitsOf(db, 'A');
    const b = await unitsOf(db, 'B');
    await insertReadings(db, [
      ...series(a[0]!, new Date(Date.now() - 86_400_000), 600, 144),
      ...series(b[0]!, new Date(Date.now() - 86_400_000), 600, 144),
    ]);
    const write = await tokenFor(db, 'A', ['read', 'write'], { rateLimitPerHour: 1_000_000 });
    tokens = {
      read: (await tokenFor(db, 'A', ['read'], { rateLimitPerHour: 1_000_000 })).token,
      write: write.token,
      admin: (await tokenFor(db, null, [], { rateLimitPerHour: 1_000_000 })).token,
    };
    const cust = await db.query<{ id: string }>('SELECT id FROM customers ORDER BY customer_code LIMIT 2');
    ids = [
      a[0]!.id,
      b[0]!.id,
      (await facilitiesOf(db, 'A'))[0]!,
      (await facilitiesOf(db, 'B'))[0]!,
      write.id,
      ...cust.map((c) => c.id),
      '00000000-0000-0000-0000-000000000000',
    ];
    app = await testApp(db);
    await app.ready();
    routes = app.routeList.filter((r) => !r.url.startsWith('/docs') && r.url !== '/assets/*');
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  // Runs before the fuzzing, which may revoke tokens or deactivate customer A.
  it('turns a number that overflows to Infinity into a 422, not a 500 (regression)', async () => {
    for (const longitude of ['1e309', '-1e309']) {
      const res = await call(app, 'POST', '/api/v1/facilities', tokens.write, {
        facility_code: `overflow_${longitude.startsWith('-') ? 'neg' : 'pos'}`,
        longitude,
      });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'VALIDATION' });
    }
  });

  it('treats config keys named like Object.prototype members as ordinary keys (regression)', async () => {
    for (const key of ['valueOf', 'constructor', '__proto__', 'toString']) {
      const res = await call(app, 'PUT', `/api/v1/admin/config/${key}`, tokens.admin, { value: [] });
      expect({ key, status: res.status }).toEqual({ key, status: 200 });
    }
  });

  it('never answers 5xx, and every 4xx carries {"detail"}, for generated requests to every route', async () => {
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) {
      const schema = (r.schema ?? {}) as { querystring?: Schema; body?: Schema; params?: Schema };
      const token = r.scope === 'admin' ? tokens.admin : r.scope === 'write' ? tokens.write : tokens.read;
      const paramNames = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            params: fc.tuple(
              ...paramNames.map(() =>
                fc.oneof(
                  fc.constantFrom(...ids),
                  fc.constantFrom(...NASTY),
                  fc.string({ minLength: 1, maxLength: 10 }),
                ),
              ),
            ),
            query: objectFor(schema.querystring, ids),
            body: fc.oneof(
              { weight: 4, arbitrary: objectFor(schema.body, ids) },
              { weight: 1, arbitrary: junk() },
            ),
          }),
          async ({ params, query, body }) => {
            let i = 0;
            const path = r.url.replace(/:(\w+)/g, () => encodeURIComponent(String(params[i++])));
            const qs = toQuery(query);
            const url = qs ? `${path}?${qs}` : path;
            const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
            const res = await call(
              app,
              r.method,
              url,
              r.scope === 'public' ? undefined : token,
              hasBody ? body : undefined,
            );
            const label = `${r.method} ${url} ${hasBody ? JSON.stringify(body) : ''} -> ${res.status} ${res.text.slice(0, 200)}`;
            expect(res.status, label).toBeLessThan(500);
            if (res.status >= 400) {
              expect(res.body, label).toBeTypeOf('object');
              expect(res.body, label).toHaveProperty('detail');
            }
          },
        ),
        { numRuns: 50 },
      );
    }
    // ~80 routes × 50 generated requests: several seconds per route on a busy 2-core machine.
  }, 300_000);
});
