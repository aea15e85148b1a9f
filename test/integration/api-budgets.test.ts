import type { FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import { displayPrefix, generateToken, hashToken } from '../../src/domain/tokens.ts';
import { buildApp, type ApiLimits } from '../../src/http/app.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import {
  backendCases,
  describeEachBackend,
  type BackendCase,
  type TestDatabase,
} from '../support/databases.ts';
import {
  customerId,
  insertReadings,
  seedDefaultFleet,
  series,
  tokenFor,
  unitsOf,
} from '../support/factories.ts';

/** The database with a count of token lookups (the verifier's only query) and an optional gate on export pages. */
const instrumented = (db: Db) => {
  const state = { lookups: 0, gate: undefined as Promise<void> | undefined, gatedCalls: 0, held: 0 };
  const wrapped: Db = {
    ...db,
    query: async (text, params, opts) => {
      if (text.includes('t.token_hash = $1')) state.lookups++;
      // The export's keyset page: the first `held` calls wait for the gate (a slow export, held open).
      if (
        state.gate &&
        text.includes('ORDER BY r.recorded_at, r.unit_key LIMIT') &&
        state.gatedCalls++ < state.held
      )
        await state.gate;
      return db.query(text, params, opts);
    },
  };
  return { db: wrapped, state };
};

const appOn = (db: Db, limits: Partial<ApiLimits> = {}, authCacheTtlMs = 0): Promise<FastifyInstance> =>
  buildApp({ db, log: createLogger('silent', false), clock: systemClock, authCacheTtlMs, limits });

const get = (app: FastifyInstance, url: string, token?: string, remoteAddress = '127.0.0.1') =>
  app.inject({
    method: 'GET',
    url,
    remoteAddress,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

/** `n` active read tokens of one customer, inserted in one statement; returns their plaintexts. */
const mintTokens = async (db: Db, customer: string, n: number): Promise<string[]> => {
  const tokens = Array.from({ length: n }, generateToken);
  await db.query(
    `INSERT INTO api_tokens (customer_id, token_hash, token_prefix, token_name, permissions, rate_limit_per_hour)
     SELECT $1, h, p, 'flood', ARRAY['read'], 1000 FROM unnest($2::text[], $3::text[]) AS x(h, p)`,
    [customer, tokens.map(hashToken), tokens.map(displayPrefix)],
  );
  return tokens;
};

/** A seeded database and the apps built on it, closed after the suite. */
const suiteSetup = (create: BackendCase['create']) => {
  const s = { t: undefined as unknown as TestDatabase, db: undefined as unknown as Db };
  const apps: FastifyInstance[] = [];
  beforeAll(async () => {
    s.t = await create();
    s.db = s.t.db;
    await seedDefaultFleet(s.db);
    const [unit] = await unitsOf(s.db, 'B');
    await insertReadings(s.db, series(unit!, new Date(Date.now() - 3 * 3_600_000), 60, 120));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await s.t?.drop();
  });
  const track = async (p: Promise<FastifyInstance>) => {
    const app = await p;
    apps.push(app);
    return app;
  };
  return { s, track };
};

// The counters and caches live in process memory, whatever the store: these floods of 10,000
// requests run once, on the faster backend of this run.
const floodCase = backendCases().at(-1)!;
describe(`api budgets under token floods [${floodCase.backend}]`, () => {
  const { s, track } = suiteSetup(floodCase.create);
  let db: Db;
  beforeAll(() => {
    db = s.db;
  });

  it("keeps a token's hourly count while more than 10,000 other tokens are used (no reset by minting)", async () => {
    const app = await track(appOn(db));
    const original = await tokenFor(db, 'A', ['read'], { rateLimitPerHour: 3 });
    for (let i = 0; i < 3; i++)
      expect((await get(app, '/api/v1/facilities', original.token)).statusCode).toBe(200);
    const others = await mintTokens(db, await customerId(db, 'C'), 10_050);
    // limit=0 is a 422 from validation, which runs after authentication and counting: each request
    // costs the token lookup and nothing more.
    for (const other of others) {
      const r = await get(app, '/api/v1/facilities?limit=0', other);
      if (r.statusCode !== 422) throw new Error(`a minted token got ${r.statusCode}: ${r.body}`);
    }
    const r = await get(app, '/api/v1/facilities', original.token);
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  }, 300_000);

  it('keeps a valid token cached through a flood of unknown tokens (no lookup for it afterwards)', async () => {
    const { db: counted, state } = instrumented(db);
    const app = await track(appOn(counted, { anonymousPerMinute: 1_000_000 }, 60_000));
    const good = await tokenFor(db, 'B');
    expect((await get(app, '/api/v1/facilities', good.token)).statusCode).toBe(200);
    expect(state.lookups).toBe(1);
    for (let i = 0; i < 10_050; i++) {
      const r = await get(app, '/api/v1/facilities', generateToken());
      if (r.statusCode !== 401) throw new Error(`an unknown token got ${r.statusCode}`);
    }
    expect(state.lookups).toBe(1 + 10_050);
    expect((await get(app, '/api/v1/facilities', good.token)).statusCode).toBe(200);
    expect(state.lookups).toBe(1 + 10_050);
    // A repeated unknown token is answered from the (separate) negative cache.
    const unknown = generateToken();
    await get(app, '/api/v1/facilities', unknown);
    await get(app, '/api/v1/facilities', unknown);
    expect(state.lookups).toBe(1 + 10_050 + 1);
  }, 300_000);
});

describeEachBackend('api budgets', ({ create }) => {
  const { s, track } = suiteSetup(create);
  let db: Db;
  beforeAll(() => {
    db = s.db;
  });

  it('limits requests without a valid token per client address (429 + Retry-After), sparing probes and other addresses', async () => {
    const { db: counted, state } = instrumented(db);
    const app = await track(appOn(counted, { anonymousPerMinute: 5 }, 60_000));
    const good = await tokenFor(db, 'B');
    expect((await get(app, '/api/v1/facilities', good.token, '10.0.0.1')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await get(app, '/api/v1/facilities', generateToken(), '10.0.0.1')).statusCode).toBe(401);
    const over = await get(app, '/api/v1/facilities', generateToken(), '10.0.0.1');
    expect(over.statusCode).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.json().detail).toMatch(/without a valid token from this address/);
    // Once over, unknown tokens cost no database lookup; a cached valid token still works.
    const before = state.lookups;
    expect((await get(app, '/api/v1/facilities', generateToken(), '10.0.0.1')).statusCode).toBe(429);
    expect((await get(app, '/api/v1/facilities', undefined, '10.0.0.1')).statusCode).toBe(429);
    expect(state.lookups).toBe(before);
    expect((await get(app, '/api/v1/facilities', good.token, '10.0.0.1')).statusCode).toBe(200);
    expect((await get(app, '/health', undefined, '10.0.0.1')).statusCode).toBe(200);
    expect((await get(app, '/api/v1/facilities', generateToken(), '10.0.0.2')).statusCode).toBe(401);
    // Public pages count too (not the probes).
    for (let i = 0; i < 5; i++) expect((await get(app, '/', undefined, '10.0.0.3')).statusCode).toBe(200);
    expect((await get(app, '/', undefined, '10.0.0.3')).statusCode).toBe(429);
    expect((await get(app, '/no/such/page', undefined, '10.0.0.3')).statusCode).toBe(429);
  });

  it('counts an IPv6 client by its /64 (no escape by rotating addresses) and an IPv4-mapped one as IPv4', async () => {
    const app = await track(appOn(db, { anonymousPerMinute: 3 }));
    for (let i = 1; i <= 3; i++)
      expect((await get(app, '/api/v1/facilities', undefined, `2001:db8:1:2::${i}`)).statusCode).toBe(401);
    expect((await get(app, '/api/v1/facilities', undefined, '2001:db8:1:2:ffff::9')).statusCode).toBe(429);
    expect((await get(app, '/api/v1/facilities', undefined, '2001:db8:1:3::1')).statusCode).toBe(401);
    for (let i = 0; i < 3; i++)
      expect((await get(app, '/api/v1/facilities', undefined, '192.0.2.7')).statusCode).toBe(401);
    expect((await get(app, '/api/v1/facilities', undefined, '::ffff:192.0.2.7')).statusCode).toBe(429);
  });

  it('runs at most heavyConcurrencyPerToken heavy requests of a token at once, 8 more wait in line, 429 + Retry-After beyond', async () => {
    const { db: gated, state } = instrumented(db);
    const app = await track(appOn(gated, { heavyConcurrencyPerToken: 2 }));
    const a = await tokenFor(db, 'B');
    const b = await tokenFor(db, 'B');
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    state.held = 2;
    const from = new Date(Date.now() - 6 * 3_600_000).toISOString();
    const exportUrl = `/api/v1/temperature/export.csv?start_date=${from}`;
    const running = [get(app, exportUrl, a.token), get(app, exportUrl, a.token)];
    await expect.poll(() => state.gatedCalls, { timeout: 10_000 }).toBe(2);
    const inLine = Array.from({ length: 8 }, () => get(app, exportUrl, a.token));
    await sleep(200);
    expect(state.gatedCalls).toBe(2); // those in line have not reached the database
    const refused = await get(app, exportUrl, a.token);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().detail).toMatch(/At most 2 export or analytics requests/);
    expect((await get(app, `/api/v1/temperature/stats?start_date=${from}`, a.token)).statusCode).toBe(429);
    // Cheap routes of the same token, and heavy ones of another token, are not held up.
    expect((await get(app, '/api/v1/temperature/latest', a.token)).statusCode).toBe(200);
    expect((await get(app, `/api/v1/temperature/stats?start_date=${from}`, b.token)).statusCode).toBe(200);
    open();
    for (const r of await Promise.all([...running, ...inLine])) {
      expect(r.statusCode).toBe(200);
      expect(r.body.split('\n').length).toBeGreaterThan(100);
    }
    // Every slot was given back when the streamed responses ended.
    const again = await Promise.all([get(app, exportUrl, a.token), get(app, exportUrl, a.token)]);
    expect(again.map((r) => r.statusCode)).toEqual([200, 200]);
  });

  it('bounds offset pagination at 100,000 with a 422 that says to narrow the time range', async () => {
    const app = await track(appOn(db));
    const tok = await tokenFor(db, 'B');
    for (const url of ['/api/v1/temperature', '/api/v1/facilities']) {
      const deep = await get(app, `${url}?offset=100001`, tok.token);
      expect(deep.statusCode).toBe(422);
      expect(deep.json().detail[0]).toMatchObject({ loc: ['querystring', 'offset'] });
      expect(deep.json().detail[0].msg).toMatch(/at most 100000.*narrow the time range/);
      expect((await get(app, `${url}?offset=100000`, tok.token)).statusCode).toBe(200);
    }
  });
});
