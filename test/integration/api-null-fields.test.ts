import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { call, testApp } from '../support/api.ts';
import { createPgliteDatabase, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet, tokenFor, unitsOf } from '../support/factories.ts';

// The body validator coerces types (query strings need it). A nullable field written as anyOf
// [number, null] let it coerce a JSON null to 0 through the first branch: a unit updated with
// "alarm_high_limit": null had its high limit stored as 0 °C. Nullable fields are now `nullable`.

let t: TestDatabase;
let app: FastifyInstance;
beforeAll(async () => {
  t = await createPgliteDatabase();
  await seedDefaultFleet(t.db);
  app = await testApp(t.db);
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

it('a null in a unit update is never stored as 0', async () => {
  const u = (await unitsOf(t.db, 'A'))[0]!;
  const tok = (await tokenFor(t.db, 'A', ['read', 'write'])).token;
  const before = await call(app, 'GET', `/api/v1/units/${u.id}`, tok);
  expect(before.body.alarm_high_limit).not.toBe(0);
  const r = await call(app, 'PUT', `/api/v1/units/${u.id}`, tok, {
    alarm_high_limit: null,
    alarm_low_limit: null,
    size_value: null,
  });
  expect(r.status).toBe(200);
  const [row] = await t.db.query<{ alarm_high_limit: number; alarm_low_limit: number; size_value: number }>(
    'SELECT alarm_high_limit, alarm_low_limit, size_value FROM storage_units WHERE id = $1',
    [u.id],
  );
  // A null leaves the field as it was (partial update), as the prototype's clients expect.
  expect(row).toEqual({
    alarm_high_limit: before.body.alarm_high_limit,
    alarm_low_limit: before.body.alarm_low_limit,
    size_value: before.body.size_value,
  });
});
