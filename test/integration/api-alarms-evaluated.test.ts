import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { evaluatePending } from '../../src/alarms/evaluator.ts';
import type { Db } from '../../src/db/types.ts';
import { fahrenheitToCelsius } from '../../src/domain/units.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, tokenFor, unitsOf, type UnitRef } from '../support/factories.ts';

// The API over alarms the real evaluator raised: a rule set through the API in °F, readings stored
// as the writer stores them, one evaluation pass → the alarm, its record and the unit's status as
// the API shows them; recovery past the deadband clears it; an acknowledgement closes it.

const MIN = 60_000;

describeEachBackend('api alarms raised by the evaluator', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let unit: UnitRef;
  let token: string;

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    unit = (await unitsOf(db, 'C')).find((u) => u.temperature_unit === 'F')!;
    token = (await tokenFor(db, 'C', ['read', 'write'], { name: 'qa' })).token;
    app = await testApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('shows the excursion in °F from start to acknowledgement', async () => {
    const threshold = 46.4; // 8 °C
    const put = await call(app, 'PUT', `/api/v1/units/${unit.id}/alarm-rules?reason=test`, token, [
      {
        id: 'hot',
        kind: 'high',
        severity: 'critical',
        threshold,
        delay_seconds: 0,
        deadband: 0.9,
        clear_delay_seconds: 0,
      },
    ]);
    expect(put.status).toBe(200);
    const t0 = Date.now() - 60 * MIN;
    const f = (v: number) => fahrenheitToCelsius(v);
    // In band, then 10 minutes at or above 46.4 °F (peak 50 °F), then back below 45.5 °F.
    const temps = [40, 41, 46.4, 48, 50, 47, 46, 45, 44];
    await insertReadings(
      db,
      temps.map((v, i) => ({ unit, at: new Date(t0 + i * 5 * MIN), c: f(v) })),
    );
    await evaluatePending(db, systemClock);

    const list = await call(app, 'GET', `/api/v1/alarms?storage_unit_id=${unit.id}`, token);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    const item = list.body.items[0];
    expect(item).toMatchObject({
      kind: 'high',
      severity: 'critical',
      rule_id: 'hot',
      temperature_unit: 'F',
      state: 'cleared',
      // Evaluated ~50 min after it was confirmed, as after an outage: marked late.
      late: true,
    });
    expect(item.threshold).toBeCloseTo(threshold, 3);
    expect(item.peak_temperature).toBeCloseTo(50, 3);
    expect(new Date(item.started_at).getTime()).toBe(t0 + 2 * 5 * MIN);
    // Cleared by the first reading below 46.4 − 0.9 = 45.5 °F.
    expect(new Date(item.cleared_at).getTime()).toBe(t0 + 7 * 5 * MIN);

    const detail = await call(app, 'GET', `/api/v1/alarms/${item.id}`, token);
    expect(detail.body.rule).toMatchObject({ id: 'hot', kind: 'high', delay_seconds: 0 });
    expect(detail.body.rule.threshold).toBeCloseTo(threshold, 3);
    expect(detail.body.rule.deadband).toBeCloseTo(0.9, 6);
    expect(detail.body.max_temperature).toBeCloseTo(50, 3);
    expect(detail.body.time_beyond_seconds).toBeGreaterThan(0);
    const types = detail.body.events.map((e: { type: string }) => e.type);
    expect(types.indexOf('started')).toBe(0);
    expect(types).toContain('cleared');

    const ack = await call(app, 'POST', `/api/v1/alarms/${item.id}/acknowledge`, token, {
      comment: 'Door seal replaced',
    });
    expect(ack.body).toMatchObject({ state: 'closed', acknowledged_by: 'qa' });
    const open = await call(app, 'GET', '/api/v1/alarms?state=open', token);
    expect(open.body.items.map((a: { id: string }) => a.id)).not.toContain(item.id);
  });

  it('raises the unit to critical while the condition holds', async () => {
    const t0 = Date.now() - 20 * MIN;
    await insertReadings(db, [
      { unit, at: new Date(t0), c: fahrenheitToCelsius(52) },
      { unit, at: new Date(t0 + 5 * MIN), c: fahrenheitToCelsius(53) },
    ]);
    await evaluatePending(db, systemClock);
    const u = await call(app, 'GET', `/api/v1/units/${unit.id}`, token);
    expect(u.body).toMatchObject({
      // The earlier alarm was acknowledged and cleared: closed, not counted.
      temperature_status: 'critical',
      open_alarms: 1,
      alarm_severity: 'critical',
    });
    const active = await call(app, 'GET', `/api/v1/alarms?state=active&storage_unit_id=${unit.id}`, token);
    expect(active.body.total).toBe(1);
  });
});
