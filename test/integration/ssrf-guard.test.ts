import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import type { Db } from '../../src/db/types.ts';
import { fetchSource } from '../../src/ingestion/fetch-source.ts';
import { verifyCustomer } from '../../src/ingestion/verify.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { customerId, seedDefaultFleet, tokenFor } from '../support/factories.ts';
import { ALLOWED_URLS, FORBIDDEN_URLS } from '../support/ssrf-cases.ts';

const LIMITS = { connectTimeoutMs: 2_000, totalTimeoutMs: 2_000, maxBytes: 10_000 };

describeEachBackend('SSRF guard on source URLs', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let admin: string;
  let b: string;

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    app = await testApp(db);
    admin = (await tokenFor(db, null)).token;
    b = await customerId(db, 'B');
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('refuses every notation of a metadata or link-local address when an admin sets it (422)', async () => {
    const statuses: Record<string, number> = {};
    for (const api_url of FORBIDDEN_URLS) {
      const put = await call(app, 'PUT', `/api/v1/admin/customers/${b}`, admin, { api_url });
      statuses[api_url] = put.status;
      if (put.status === 422) expect(put.body.detail).toMatch(/link-local or metadata/);
    }
    expect(statuses).toEqual(Object.fromEntries(FORBIDDEN_URLS.map((u) => [u, 422])));
    const created = await call(app, 'POST', '/api/v1/admin/customers', admin, {
      customer_code: 'SSRF1',
      name: 'x',
      data_sharing_method: 'api',
      data_frequency_seconds: 300,
      api_url: 'http://[::ffff:169.254.169.254]/latest/meta-data/',
    });
    expect(created.status).toBe(422);
    const [row] = await db.query<{ api_url: string }>('SELECT api_url FROM customers WHERE id = $1', [b]);
    expect(row!.api_url).toBe('http://127.0.0.1:8002/data/download.csv');
  });

  it('refuses credentials in a source URL (422) and accepts loopback, private and public sources', async () => {
    const creds = await call(app, 'PUT', `/api/v1/admin/customers/${b}`, admin, {
      api_url: 'http://user:secret@127.0.0.1:8002/data/download.csv',
    });
    expect(creds.status).toBe(422);
    expect(creds.body.detail).toMatch(/credentials/);
    for (const api_url of ALLOWED_URLS) {
      const res = await call(app, 'PUT', `/api/v1/admin/customers/${b}`, admin, { api_url });
      expect({ api_url, status: res.status }).toEqual({ api_url, status: 200 });
    }
  });

  it('refuses every notation again at fetch time, before any connection', async () => {
    for (const url of FORBIDDEN_URLS) {
      const t0 = Date.now();
      await expect(fetchSource(url, LIMITS), url).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringMatching(/link-local or metadata/),
      });
      expect(Date.now() - t0, url).toBeLessThan(500);
    }
    await expect(fetchSource('http://u:p@127.0.0.1:1/', LIMITS)).rejects.toThrow(/credentials/);
  });

  it("tms verify asks for the simulator's faults through the same guarded fetcher", async () => {
    await db.query('UPDATE customers SET api_url = $2 WHERE id = $1', [
      b,
      'http://[::ffff:169.254.169.254]/',
    ]);
    const report = await verifyCustomer(
      { db, config: parseConfig({}), clock: systemClock },
      { customerCode: 'B', since: new Date(Date.now() - 3_600_000) },
    );
    expect(report.warnings.join('\n')).toMatch(/injected faults unknown.*link-local or metadata address/);
  });
});
