import { setTimeout as sleep } from 'node:timers/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/postgres.ts';
import {
  listenReadingChanges,
  notifyReadingsChanged,
  notifyReadingsCte,
  type ReadingChanges,
} from '../../src/db/reading-changes.ts';
import { insertReadingsWithRollups } from '../../src/db/readings-query-repo.ts';
import type { Db, Sql } from '../../src/db/types.ts';
import { buildApp } from '../../src/http/app.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, tokenFor, unitsOf, type UnitRef } from '../support/factories.ts';
import { waitUntil } from '../support/wait.ts';

const log = createLogger('silent', false);

describeEachBackend('api http caching', ({ backend, create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let uncached: FastifyInstance;
  let changes: ReadingChanges;
  let a: UnitRef[];
  let b: UnitRef[];
  let tokA: string;
  let tokB: string;
  let tokA1: string; // customer A, restricted to its first unit
  let tokAw: string;
  const base = Date.now() - 3 * 86_400_000;
  let minute = 0;
  /** A reading one minute after the previous one written by this test (always the unit's newest). */
  const nextAt = () => new Date(base + ++minute * 60_000);

  const get = async (
    target: FastifyInstance,
    url: string,
    token: string,
    headers: Record<string, string> = {},
  ) => target.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } });

  /** Stores a reading (with its rollups) on `q`, optionally announcing it in the same transaction. */
  const writeOn = async (q: Db, unit: UnitRef, c: number, announce: boolean): Promise<Date> => {
    const at = nextAt();
    await q.transaction(async (tx: Sql) => {
      const ids = await insertReadingsWithRollups(tx, [
        {
          customerId: unit.customer_id,
          facilityId: unit.facility_id,
          unitId: unit.id,
          recordedAt: at,
          temperatureC: c,
          sourceValue: c,
          sourceUnit: 'C',
          sensorId: 'cache-test',
          qualityScore: 0.9,
          equipmentStatus: 'normal',
        },
      ]);
      expect(ids).toHaveLength(1);
      if (announce) await notifyReadingsChanged(tx, [unit.customer_id]);
    });
    return at;
  };

  let renames = 0;
  /**
   * A change no writer announces (writers of readings do, once they call the hook): a unit's name,
   * which latest, reading pages and units all show. Returns the new name.
   */
  const renameUnit = async (unit: UnitRef): Promise<string> => {
    const name = `Renamed unit ${++renames}`;
    await db.query('UPDATE storage_units SET name = $2 WHERE id = $1', [unit.id, name]);
    return name;
  };

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    a = await unitsOf(db, 'A');
    b = await unitsOf(db, 'B');
    const rows = [...a, ...b].flatMap((u, i) =>
      Array.from({ length: 30 }, (_, k) => ({ unit: u, at: nextAt(), c: -18 + ((i + k) % 7) / 10 })),
    );
    await insertReadings(db, rows);
    tokA = (await tokenFor(db, 'A')).token;
    tokB = (await tokenFor(db, 'B')).token;
    tokA1 = (await tokenFor(db, 'A', ['read'], { accessibleUnits: [a[0]!.id] })).token;
    tokAw = (await tokenFor(db, 'A', ['read', 'write'])).token;
    changes = (await listenReadingChanges({ db, url: t.url, log }))!;
    expect(changes.live).toBe(true);
    app = await buildApp({
      db,
      log,
      clock: systemClock,
      authCacheTtlMs: 0,
      responseCacheTtlMs: 60_000,
      readingChanges: changes,
    });
    uncached = await buildApp({ db, log, clock: systemClock, authCacheTtlMs: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await uncached?.close();
    await changes?.close();
    await t?.drop();
  });

  const trendsUrl = () =>
    `/api/v1/analytics/temperature/trends?interval=hour&unit_id=${a[0]!.id}&start_date=${new Date(base).toISOString()}&end_date=${new Date(base + 86_400_000).toISOString()}`;

  it('answers If-None-Match with 304 and no body, a different tag with 200; private cache headers', async () => {
    for (const url of [
      '/api/v1/temperature/latest',
      `/api/v1/temperature/unit/${a[0]!.id}`,
      `/api/v1/facilities/${a[0]!.facility_id}/units`,
      '/api/v1/temperature/stats',
      trendsUrl(),
    ]) {
      const first = await get(uncached, url, tokA);
      expect(first.statusCode, url).toBe(200);
      const etag = first.headers.etag as string;
      expect(etag, url).toMatch(/^W\/".+"$/);
      expect(String(first.headers.vary)).toMatch(/Authorization/);
      expect(first.headers['cache-control']).toBe('private, no-cache');
      const again = await get(uncached, url, tokA, { 'if-none-match': etag });
      expect(again.statusCode, url).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(etag);
      const other = await get(uncached, url, tokA, { 'if-none-match': 'W/"not-this-one"' });
      expect(other.statusCode, url).toBe(200);
      expect(other.body).toBe(first.body);
      // The caching app serves the same bytes with the same tag.
      const cached = await get(app, url, tokA);
      expect(cached.body, url).toBe(first.body);
      expect(cached.headers.etag).toBe(etag);
    }
    const trends = await get(app, trendsUrl(), tokA);
    expect(trends.headers['cache-control']).toMatch(/^private, max-age=([1-9]|[1-5]\d|60)$/);
    expect((await get(app, '/api/v1/temperature/latest', tokA)).headers['cache-control']).toBe(
      'private, no-cache',
    );
  });

  it('compresses large bodies when accepted (gzip and brotli decode to the same JSON), not small ones', async () => {
    const url = `/api/v1/temperature/unit/${a[1]!.id}`;
    for (const target of [app, uncached]) {
      const plain = await get(target, url, tokA);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.length).toBeGreaterThan(1024);
      const gz = await get(target, url, tokA, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.rawPayload.length).toBeLessThan(plain.body.length / 3);
      expect(JSON.parse(gunzipSync(gz.rawPayload).toString('utf8'))).toEqual(plain.json());
      const br = await get(target, url, tokA, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString('utf8'))).toEqual(plain.json());
      expect(br.headers.etag).toBe(plain.headers.etag);
      const refused = await get(target, url, tokA, { 'accept-encoding': 'gzip;q=0, identity' });
      expect(refused.headers['content-encoding']).toBeUndefined();
    }
    const small = await get(app, '/api/v1/temperature/latest?limit=1', tokA, { 'accept-encoding': 'gzip' });
    expect(small.body.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('never serves one scope’s kept answer to another (two customers; a token restricted to one unit)', async () => {
    const urls = [
      '/api/v1/temperature/latest?limit=100',
      '/api/v1/temperature/stats',
      `/api/v1/analytics/temperature/trends?interval=day&start_date=${new Date(base).toISOString()}`,
      `/api/v1/temperature/unit/${a[0]!.id}`,
    ];
    for (const url of urls)
      for (const order of [
        [tokA, tokB, tokA1],
        [tokA1, tokA, tokB],
      ])
        for (const tok of [...order, ...order]) {
          const cached = await get(app, url, tok);
          const fresh = await get(uncached, url, tok);
          expect(cached.statusCode, url).toBe(fresh.statusCode);
          expect(cached.body, url).toBe(fresh.body);
        }
    const latestA1 = (await get(app, '/api/v1/temperature/latest?limit=100', tokA1)).json();
    expect(latestA1.map((r: { storage_unit_id: string }) => r.storage_unit_id)).toEqual([a[0]!.id]);
    const latestB = (await get(app, '/api/v1/temperature/latest?limit=100', tokB)).json();
    expect(new Set(latestB.map((r: { customer_id: string }) => r.customer_id))).toEqual(
      new Set([b[0]!.customer_id]),
    );
    // Restricted to another unit: the unit page of a[1] is someone else's, every time (nothing kept,
    // and the failed computation does not hold up the next request for the same answer).
    for (let i = 0; i < 3; i++)
      expect((await get(app, `/api/v1/temperature/unit/${a[1]!.id}`, tokA1)).statusCode).toBe(404);
  });

  it('keeps answers (a change nobody announces is not seen) and drops them when a write is announced', async () => {
    const url = '/api/v1/temperature/latest?limit=100';
    const before = await get(app, url, tokA);
    const unitUrl = `/api/v1/temperature/unit/${a[2]!.id}`;
    const unitBefore = await get(app, unitUrl, tokA);
    await renameUnit(a[2]!);
    // Kept: the same answer, though the database says otherwise.
    expect((await get(app, url, tokA)).body).toBe(before.body);
    expect((await get(uncached, url, tokA)).body).not.toBe(before.body);
    const at = await writeOn(db, a[2]!, 5.5, true);
    await waitUntil(
      'the announced reading',
      async () => (await get(app, url, tokA)).json()[0].recorded_at === at.toISOString(),
      1_000,
    );
    const after = await get(app, url, tokA, { 'if-none-match': before.headers.etag as string });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.json()[0]).toMatchObject({ storage_unit_id: a[2]!.id, temperature_c: 5.5 });
    const unitAfter = await get(app, unitUrl, tokA);
    expect(unitAfter.headers.etag).not.toBe(unitBefore.headers.etag);
    expect(unitAfter.json().items[0].temperature_c).toBe(5.5);
    // Customer B's kept answers were not dropped for A's reading (same tag, still served).
    const bUrl = '/api/v1/temperature/latest';
    const b1 = await get(app, bUrl, tokB);
    expect((await get(app, bUrl, tokB, { 'if-none-match': b1.headers.etag as string })).statusCode).toBe(304);
  });

  it('a reading POSTed through this process changes the ETag at once (latest and trends)', async () => {
    const url = '/api/v1/temperature/latest';
    const trends = trendsUrl();
    const before = await get(app, url, tokAw);
    const trendsBefore = await get(app, trends, tokAw);
    const at = nextAt();
    const post = await app.inject({
      method: 'POST',
      url: '/api/v1/temperature',
      headers: { authorization: `Bearer ${tokAw}` },
      payload: {
        storage_unit_id: a[0]!.id,
        temperature: -30.5,
        temperature_unit: 'C',
        recorded_at: at.toISOString(),
        sensor_id: 'post',
        quality_score: 0.95,
        equipment_status: 'normal',
      },
    });
    expect(post.statusCode).toBe(201);
    const after = await get(app, url, tokAw, { 'if-none-match': before.headers.etag as string });
    expect(after.statusCode).toBe(200);
    expect(after.json()[0]).toMatchObject({ storage_unit_id: a[0]!.id, temperature_c: -30.5 });
    const trendsAfter = await get(app, trends, tokAw, {
      'if-none-match': trendsBefore.headers.etag as string,
    });
    expect(trendsAfter.statusCode).toBe(200);
    expect(trendsAfter.body).toBe((await get(uncached, trends, tokAw)).body);
  });

  it('computes a missing answer once for concurrent requests of it', async () => {
    let rollupQueries = 0;
    const counting: Db = {
      ...db,
      query: (text, params, o) => {
        if (text.includes('rollups')) rollupQueries++;
        return db.query(text, params, o);
      },
    };
    const app2 = await buildApp({
      db: counting,
      log,
      clock: systemClock,
      responseCacheTtlMs: 60_000,
      readingChanges: changes,
    });
    try {
      const url = (unit: string) => `${trendsUrl()}&unit=${unit}`;
      expect((await get(app2, url('C'), tokA)).statusCode).toBe(200);
      const one = rollupQueries;
      expect(one).toBeGreaterThan(0);
      rollupQueries = 0;
      const answers = await Promise.all(Array.from({ length: 12 }, () => get(app2, url('F'), tokA)));
      expect(new Set(answers.map((r) => r.statusCode))).toEqual(new Set([200]));
      expect(new Set(answers.map((r) => r.body)).size).toBe(1);
      expect(rollupQueries).toBe(one);
    } finally {
      await app2.close();
    }
  });

  it('after expiry the first request refreshes an answer while concurrent ones still get it', async () => {
    // The refresh's queries wait at a gate, so the second request certainly arrives during it (the
    // token stays cached, so authentication needs no query).
    let gate: Promise<void> | undefined;
    let held = 0;
    const gated: Db = {
      ...db,
      query: async (text, params, o) => {
        if (gate) {
          held++;
          await gate;
        }
        return db.query(text, params, o);
      },
    };
    const app3 = await buildApp({
      db: gated,
      log,
      clock: systemClock,
      authCacheTtlMs: 60_000,
      responseCacheTtlMs: 1_500,
      readingChanges: changes,
    });
    try {
      const url = '/api/v1/temperature/latest?limit=2';
      const old = (await get(app3, url, tokB)).body;
      await renameUnit(b[0]!);
      const fresh = (await get(uncached, url, tokB)).body;
      expect(fresh).not.toBe(old);
      expect((await get(app3, url, tokB)).body).toBe(old);
      await sleep(1_600);
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      const refreshing = get(app3, url, tokB);
      await waitUntil('the refresh to reach the database', () => held > 0, 5_000);
      const heldByRefresh = held;
      expect((await get(app3, url, tokB)).body).toBe(old);
      expect(held).toBe(heldByRefresh);
      open();
      expect((await refreshing).body).toBe(fresh);
      gate = undefined;
      expect((await get(app3, url, tokB)).body).toBe(fresh);
    } finally {
      await app3.close();
    }
  });

  it('an admin write through this process drops every kept answer', async () => {
    const admin = (await tokenFor(db, null)).token;
    const url = '/api/v1/temperature/latest?limit=3';
    const kept = await get(app, url, tokB);
    const name = await renameUnit(b[1]!);
    expect((await get(app, url, tokB)).body).toBe(kept.body);
    const put = await app.inject({
      method: 'PUT',
      url: `/api/v1/admin/customers/${b[1]!.customer_id}`,
      headers: { authorization: `Bearer ${admin}` },
      payload: { name: 'Customer B, renamed' },
    });
    expect(put.statusCode).toBe(200);
    expect((await get(app, url, tokB)).json()).toContainEqual(
      expect.objectContaining({ storage_unit_id: b[1]!.id, unit_name: name }),
    );
  });

  it('the CTE form announces the distinct customers of its rows at commit; none for no rows or a rollback', async () => {
    const seen: Array<readonly string[] | 'all'> = [];
    changes.onChange((c) => seen.push(c));
    // The writer's `ins` stands in as a VALUES list of (customer id, unit id) rows, one customer twice.
    const statement = (rows: string) =>
      `WITH ins AS (SELECT * FROM (VALUES ${rows}) v(customer_id, unit_id)), ${notifyReadingsCte('ins', 'ins.customer_id')}
       SELECT notified FROM tms_notify`;
    const [ca, cb] = [a[0]!.customer_id, b[0]!.customer_id];
    const none = `('${ca}'::uuid, 1) LIMIT 0`;
    expect((await db.query<{ notified: number }>(statement(none)))[0]!.notified).toBe(0);
    await expect(
      db.transaction(async (tx) => {
        await tx.query(statement(`('${cb}'::uuid, 1)`));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const [{ notified }] = (await db.query<{ notified: number }>(
      statement(`('${ca}'::uuid, 1), ('${cb}'::uuid, 2), ('${ca}'::uuid, 3)`),
    )) as [{ notified: number }];
    expect(notified).toBe(1);
    await waitUntil('the notification', () => seen.length > 0, 1_000);
    await sleep(200);
    expect(seen).toHaveLength(1);
    expect([...(seen[0] as string[])].sort()).toEqual([ca, cb].sort());
  });

  if (backend === 'postgres') {
    it('sees a reading written by another connection within a second (LISTEN/NOTIFY)', async () => {
      const other = await openPostgres({ url: t.url!, max: 1 });
      try {
        const url = '/api/v1/temperature/latest?limit=5';
        await get(app, url, tokA);
        const at = await writeOn(other, a[3]!, -7.75, true);
        const t0 = Date.now();
        await waitUntil(
          'the other connection’s reading',
          async () => (await get(app, url, tokA)).json()[0].recorded_at === at.toISOString(),
          1_000,
        );
        expect(Date.now() - t0).toBeLessThan(1_000);
      } finally {
        await other.close();
      }
    });

    it('drops every kept answer when the listening connection is lost, and listens again', async () => {
      const url = '/api/v1/temperature/latest?limit=100';
      const kept = await get(app, url, tokA);
      const name = await renameUnit(a[4]!);
      expect((await get(app, url, tokA)).body).toBe(kept.body);
      const admin = new pg.Client({ connectionString: t.url });
      await admin.connect();
      try {
        const killed = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tms api listen' AND datname = current_database()",
        );
        expect(killed.rowCount).toBeGreaterThanOrEqual(1);
      } finally {
        await admin.end();
      }
      await waitUntil('the loss to be noticed', () => !changes.live, 5_000);
      // Not live: nothing kept, so the unannounced change shows.
      expect((await get(app, url, tokA)).json()).toContainEqual(
        expect.objectContaining({ storage_unit_id: a[4]!.id, unit_name: name }),
      );
      await waitUntil('the listener to reconnect', () => changes.live, 10_000);
      const at = await writeOn(db, a[4]!, 10.5, true);
      await waitUntil(
        'an announcement after the reconnect',
        async () => (await get(app, url, tokA)).json()[0].recorded_at === at.toISOString(),
        1_000,
      );
    });
  }
});
