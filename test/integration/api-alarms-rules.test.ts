import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import { celsiusToFahrenheit, toCelsius } from '../../src/domain/units.ts';
import { insertAlarm } from '../support/alarm-fixtures.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, tokenFor, unitsOf, type UnitRef } from '../support/factories.ts';

// A unit's alarm rules over HTTP, in its own °C/°F: defaults computed from the fleet, a round trip of
// edited rules (stored °C), 422 with the engine's messages, reset, per-equipment-type defaults,
// unit-limited tokens; and a unit's temperature_status raised by its open alarms.

interface UnitLimits {
  alarm_high_limit: number | null;
  alarm_low_limit: number | null;
  set_temperature: number;
  equipment_type: string;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

describeEachBackend('api alarm rules', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let fUnit: UnitRef;
  let cUnits: UnitRef[];
  let a: UnitRef[];
  let defaultCount = 0;
  const tok = { cRead: '', cWrite: '', cLimited: '', aRead: '', aWrite: '' };

  const limitsOf = async (id: string): Promise<UnitLimits> =>
    (
      await db.query<UnitLimits>(
        'SELECT alarm_high_limit, alarm_low_limit, set_temperature, equipment_type FROM storage_units WHERE id = $1',
        [id],
      )
    )[0]!;

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    cUnits = await unitsOf(db, 'C');
    fUnit = cUnits.find((u) => u.temperature_unit === 'F')!;
    a = await unitsOf(db, 'A');
    tok.cRead = (await tokenFor(db, 'C')).token;
    tok.cWrite = (await tokenFor(db, 'C', ['read', 'write'])).token;
    tok.cLimited = (await tokenFor(db, 'C', ['read', 'write'], { accessibleUnits: [fUnit.id] })).token;
    tok.aRead = (await tokenFor(db, 'A')).token;
    tok.aWrite = (await tokenFor(db, 'A', ['read', 'write'])).token;
    app = await testApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  const url = () => `/api/v1/units/${fUnit.id}/alarm-rules`;
  /** Rule changes carry a reason, as the audit trail demands (its refusal: audit-alarms.test.ts). */
  const change = (method: 'PUT' | 'DELETE', path: string, token: string, body?: unknown) =>
    call(app, method, `${path}?reason=${encodeURIComponent('test change')}`, token, body);

  describe('a unit’s rules', () => {
    it('takes back exactly what it showed: GET → PUT unchanged → the same rules', async () => {
      const shown = await call(app, 'GET', `/api/v1/units/${cUnits[0]!.id}/alarm-rules`, tok.cRead);
      const put = await change('PUT', `/api/v1/units/${cUnits[0]!.id}/alarm-rules`, tok.cWrite, {
        rules: shown.body.rules,
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body.source).toBe('unit');
      expect(put.body.rules).toEqual(shown.body.rules);
      await change('DELETE', `/api/v1/units/${cUnits[0]!.id}/alarm-rules`, tok.cWrite);
    });

    it('starts with the computed defaults, shown in the unit’s own °F', async () => {
      const r = await call(app, 'GET', url(), tok.cRead);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ storage_unit_id: fUnit.id, temperature_unit: 'F', source: 'default' });
      const byId = Object.fromEntries(r.body.rules.map((x: { id: string }) => [x.id, x]));
      expect(Object.keys(byId)).toEqual(
        expect.arrayContaining([
          'high-critical',
          'high-warning',
          'low-critical',
          'low-warning',
          'no-data',
          'sensor-failure',
        ]),
      );
      defaultCount = r.body.rules.length;
      const u = await limitsOf(fUnit.id);
      const setC = toCelsius(u.set_temperature, 'F');
      const highF = u.alarm_high_limit ?? round4(celsiusToFahrenheit(setC + 5));
      expect(byId['high-critical'].threshold).toBeCloseTo(highF, 3);
      // Warning at set point + 2 °C = + 3.6 °F, never beyond the critical limit.
      expect(byId['high-warning'].threshold).toBeCloseTo(Math.min(highF, u.set_temperature + 3.6), 3);
      // The 0.5 °C deadband is 0.9 °F (a difference: scaled, no offset).
      expect(byId['high-critical'].deadband).toBe(0.9);
      for (const f of [
        'kind',
        'severity',
        'threshold',
        'delay_seconds',
        'deadband',
        'cumulative_seconds',
        'window_seconds',
        'enabled',
      ])
        expect(byId['high-critical']).toHaveProperty(f);
      expect(byId['no-data']).toMatchObject({ kind: 'no_data', threshold: null, enabled: true });
    });

    it('stores edited rules in °C and shows them back in °F', async () => {
      const put = await change('PUT', url(), tok.cWrite, {
        rules: [
          { id: 'hot', kind: 'high', severity: 'critical', threshold: 50, delay_seconds: 600, deadband: 1.8 },
          {
            kind: 'high',
            severity: 'warning',
            threshold: 46.4,
            cumulative_seconds: 3600,
            window_seconds: 86_400,
          },
          { kind: 'no_data', severity: 'warning', no_data_seconds: 1800 },
          { kind: 'sensor_failure', severity: 'critical', enabled: false },
        ],
      });
      expect(put.status).toBe(200);
      expect(put.body.source).toBe('unit');
      const rules = put.body.rules;
      expect(rules[0]).toMatchObject({ id: 'hot', threshold: 50, deadband: 1.8, delay_seconds: 600 });
      expect(rules[1]).toMatchObject({
        id: 'high-warning',
        threshold: 46.4,
        cumulative_seconds: 3600,
        window_seconds: 86_400,
        // Omitted fields take the defaults of a warning high rule.
        delay_seconds: 5400,
        deadband: 0.9,
      });
      expect(rules[2]).toMatchObject({ id: 'no-data', no_data_seconds: 1800 });
      expect(rules[3]).toMatchObject({ id: 'sensor-failure', enabled: false, failures_in_row: 3 });
      const [stored] = await db.query<{ rules: Array<{ threshold_c?: number; deadband_c: number }> }>(
        'SELECT rules FROM unit_alarm_rules WHERE storage_unit_id = $1',
        [fUnit.id],
      );
      expect(stored!.rules[0]!.threshold_c).toBeCloseTo(10, 9);
      expect(stored!.rules[0]!.deadband_c).toBeCloseTo(1, 9);
      expect(stored!.rules[1]!.threshold_c).toBeCloseTo(8, 9);
      const get = await call(app, 'GET', url(), tok.cRead);
      expect(get.body.rules).toEqual(rules);
    });

    it('carries predicted_breach rules: direction, horizon and lookback, threshold in °F', async () => {
      const defaults = await change('DELETE', url(), tok.cWrite);
      const predicted = defaults.body.rules.find((x: { id: string }) => x.id === 'predicted-high');
      expect(predicted).toMatchObject({ kind: 'predicted_breach', direction: 'high', horizon_seconds: 3600 });
      const put = await change('PUT', url(), tok.cWrite, {
        rules: [
          {
            kind: 'predicted_breach',
            severity: 'warning',
            direction: 'low',
            threshold: 32,
            horizon_seconds: 1800,
          },
          { kind: 'high', severity: 'critical', threshold: 46.4, junk: 1 },
        ],
      });
      expect(put.status).toBe(200);
      expect(put.body.rules[0]).toMatchObject({
        id: 'predicted-low',
        direction: 'low',
        threshold: 32,
        horizon_seconds: 1800,
        // Omitted: the defaults of the built-in forecast rules.
        delay_seconds: predicted.delay_seconds,
        lookback_seconds: predicted.lookback_seconds,
        deadband: 0,
      });
      const [stored] = await db.query<{ rules: Array<Record<string, unknown>> }>(
        'SELECT rules FROM unit_alarm_rules WHERE storage_unit_id = $1',
        [fUnit.id],
      );
      expect(stored!.rules[0]!.threshold_c).toBeCloseTo(0, 9);
      expect(stored!.rules[1]).not.toHaveProperty('junk');
      const bad = await change('PUT', url(), tok.cWrite, {
        rules: [{ kind: 'predicted_breach', severity: 'warning', threshold: 40 }],
      });
      expect(bad.status).toBe(422);
      expect(bad.body.detail).toMatch(/direction must be 'high' or 'low'/);
    });

    it('takes the bare list too', async () => {
      const put = await change('PUT', url(), tok.cWrite, [
        { id: 'hot', kind: 'high', severity: 'critical', threshold: 41 },
      ]);
      expect(put.status).toBe(200);
      expect(put.body.rules).toHaveLength(1);
      expect(put.body.rules[0].threshold).toBe(41);
    });

    it('answers 422 with the engine’s messages for a rule it cannot evaluate, and keeps the old rules', async () => {
      const bad = await change('PUT', url(), tok.cWrite, {
        rules: [
          { kind: 'high', severity: 'critical' },
          { kind: 'low', severity: 'warning', threshold: 30, cumulative_seconds: 600 },
          { id: 'x', kind: 'no_data', severity: 'warning' },
          { id: 'x', kind: 'sensor_failure', severity: 'critical' },
        ],
      });
      expect(bad.status).toBe(422);
      expect(bad.body.detail).toMatch(/rules\[0\] \(high-critical\): threshold is required/);
      expect(bad.body.detail).toMatch(/cumulative_seconds and window_seconds go together/);
      expect(bad.body.detail).toMatch(/id 'x' is used twice/);
      const schema = await change('PUT', url(), tok.cWrite, { rules: [{ kind: 'warm', severity: 'x' }] });
      expect(schema.status).toBe(422);
      const get = await call(app, 'GET', url(), tok.cRead);
      expect(get.body.rules[0].threshold).toBe(41);
    });

    it('goes back to the defaults on DELETE', async () => {
      const del = await change('DELETE', url(), tok.cWrite);
      expect(del.status).toBe(200);
      expect(del.body.source).toBe('default');
      expect(del.body.rules).toHaveLength(defaultCount);
    });

    it('needs write scope, and is a 404 for another customer’s unit or a unit outside a limited token', async () => {
      expect((await change('PUT', url(), tok.cRead, { rules: [] })).status).toBe(403);
      expect((await call(app, 'GET', url(), tok.aRead)).status).toBe(404);
      expect((await change('PUT', url(), tok.aWrite, { rules: [] })).status).toBe(404);
      const other = cUnits.find((u) => u.id !== fUnit.id)!;
      const limited = await change('PUT', `/api/v1/units/${other.id}/alarm-rules`, tok.cLimited, {
        rules: [],
      });
      expect(limited.status).toBe(404);
      expect((await call(app, 'GET', url(), tok.cLimited)).status).toBe(200);
    });
  });

  describe('equipment-type defaults', () => {
    it('apply to the units of that type without rules of their own', async () => {
      const { equipment_type: type } = await limitsOf(fUnit.id);
      const path = `/api/v1/alarm-rule-defaults/${encodeURIComponent(type)}`;
      const none = await call(app, 'GET', path, tok.cRead);
      expect(none.body).toMatchObject({ equipment_type: type, stored: false, rules: [] });
      const put = await change('PUT', path, tok.cWrite, {
        temperature_unit: 'F',
        rules: [{ kind: 'high', severity: 'critical', threshold: 50, delay_seconds: 0 }],
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ stored: true, temperature_unit: 'F' });
      const inC = await call(app, 'GET', `${path}?unit=C`, tok.cRead);
      expect(inC.body.rules[0].threshold).toBe(10);
      const unit = await call(app, 'GET', url(), tok.cRead);
      expect(unit.body).toMatchObject({ source: 'equipment_type', rules: [{ threshold: 50 }] });
      // Another customer's units of the same type are untouched.
      const aSame = a.find(() => true)!;
      const aRules = await call(app, 'GET', `/api/v1/units/${aSame.id}/alarm-rules`, tok.aRead);
      expect(aRules.body.source).toBe('default');
      expect((await change('PUT', path, tok.cLimited, { rules: [] })).status).toBe(403);
      const del = await change('DELETE', path, tok.cWrite);
      expect(del.body.stored).toBe(false);
      expect((await call(app, 'GET', url(), tok.cRead)).body.source).toBe('default');
    });
  });

  describe('temperature_status', () => {
    it('is raised by an uncleared alarm and counts open alarms', async () => {
      const unit = a[2]!;
      const setC = toCelsius(unit.set_temperature, unit.temperature_unit);
      await insertReadings(db, [{ unit, at: new Date(Date.now() - 60_000), c: setC }]);
      const get = async () => (await call(app, 'GET', `/api/v1/units/${unit.id}`, tok.aRead)).body;
      expect(await get()).toMatchObject({
        temperature_status: 'normal',
        open_alarms: 0,
        alarm_severity: null,
      });
      const warning = await insertAlarm(db, {
        unit,
        severity: 'warning',
        ruleId: 'high-warning',
        startedAt: new Date(Date.now() - 7_200_000),
      });
      expect(await get()).toMatchObject({
        temperature_status: 'warning',
        open_alarms: 1,
        alarm_severity: 'warning',
      });
      const critical = await insertAlarm(db, { unit, startedAt: new Date(Date.now() - 3_600_000) });
      expect(await get()).toMatchObject({
        temperature_status: 'critical',
        open_alarms: 2,
        alarm_severity: 'critical',
      });
      // Acknowledged but still beyond: still critical. Cleared: the reading decides again, but the
      // alarm stays open until someone reviews it.
      await call(app, 'POST', `/api/v1/alarms/${critical}/acknowledge`, tok.aWrite, { comment: 'on it' });
      expect((await get()).temperature_status).toBe('critical');
      await db.query('UPDATE alarms SET cleared_at = now() WHERE id = ANY($1::uuid[])', [
        [critical, warning],
      ]);
      expect(await get()).toMatchObject({
        temperature_status: 'normal',
        open_alarms: 1,
        alarm_severity: null,
      });
      const listed = await call(app, 'GET', `/api/v1/facilities/${unit.facility_id}/units`, tok.aRead);
      const row = listed.body.items.find((u: { id: string }) => u.id === unit.id);
      expect(row).toMatchObject({ open_alarms: 1, temperature_status: 'normal' });
    });
  });
});
