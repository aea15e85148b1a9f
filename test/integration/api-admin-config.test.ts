import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { tokenFor } from '../support/factories.ts';

// PUT /admin/config/{key} takes a JSON body; the prototype's query form (?value=<JSON text>) stays
// accepted (api-contract.md), with no body and no content type, as its clients send it.
describeEachBackend('admin config', ({ create }) => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let admin: string;

  beforeAll(async () => {
    t = await create();
    app = await testApp(t.db);
    admin = (await tokenFor(t.db, null)).token;
  });
  afterAll(async () => {
    await app.close();
    await t.drop();
  });

  const stored = async (key: string) =>
    ((await call(app, 'GET', '/api/v1/admin/config', admin)).body as Record<string, { value: unknown }>)[key];

  it('sets a value from a JSON body', async () => {
    const res = await call(app, 'PUT', '/api/v1/admin/config/body_form', admin, {
      value: { warning: 2, critical: 5 },
      description: 'deviation bands',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key: 'body_form', value: { warning: 2, critical: 5 } });
    expect(await stored('body_form')).toMatchObject({ value: { warning: 2, critical: 5 } });
  });

  it('sets a value from the query form with no body, as the prototype did', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: `/api/v1/admin/config/data_retention_days?value=2555&description=${encodeURIComponent('days kept')}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ key: 'data_retention_days', value: 2555, description: 'days kept' });
    expect(await stored('data_retention_days')).toMatchObject({ value: 2555 });
  });

  it('reads the query value as JSON text: a quoted string stays a string', async () => {
    const res = await call(
      app,
      'PUT',
      `/api/v1/admin/config/quoted?value=${encodeURIComponent('"2555"')}`,
      admin,
    );
    expect(res.status).toBe(200);
    expect(await stored('quoted')).toMatchObject({ value: '2555' });
  });

  it('answers 422 with a detail when neither form carries a value, or the query value is not JSON', async () => {
    for (const url of ['/api/v1/admin/config/k', '/api/v1/admin/config/k?value=not-json']) {
      const res = await call(app, 'PUT', url, admin);
      expect({ url, status: res.status }).toEqual({ url, status: 422 });
      expect(res.body.detail).toBeTruthy();
    }
  });
});
