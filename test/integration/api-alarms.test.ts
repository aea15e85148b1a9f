import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import { insertAlarm } from '../support/alarm-fixtures.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet, tokenFor, unitsOf, type UnitRef } from '../support/factories.ts';

// The review side of alarms over HTTP: lists and filters, one alarm's record, acknowledge (comment
// required, once), shelve/unshelve, the prototype's history envelope and the admin list. Alarm rows
// are inserted directly (the evaluator is tested on its own).

const HOUR = 3_600_000;

describeEachBackend('api alarms', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let a: UnitRef[];
  let fUnit: UnitRef;
  const tok = { read: '', write: '', other: '', admin: '', limited: '', fWrite: '' };
  const ids = { active: '', cleared: '', closed: '', foreign: '', fahrenheit: '' };
  const now = Date.now();

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    a = await unitsOf(db, 'A');
    const b = await unitsOf(db, 'B');
    const c = await unitsOf(db, 'C');
    fUnit = c.find((u) => u.temperature_unit === 'F')!;
    ids.active = await insertAlarm(db, { unit: a[0]!, startedAt: new Date(now - 3 * HOUR), peakC: 10 });
    ids.cleared = await insertAlarm(db, {
      unit: a[1]!,
      kind: 'low',
      severity: 'warning',
      startedAt: new Date(now - 5 * HOUR),
      clearedAt: new Date(now - 4 * HOUR),
      thresholdC: -30,
      peakC: -33,
      late: true,
    });
    ids.closed = await insertAlarm(db, {
      unit: a[0]!,
      kind: 'no_data',
      severity: 'warning',
      startedAt: new Date(now - 48 * HOUR),
      clearedAt: new Date(now - 47 * HOUR),
      acknowledgedAt: new Date(now - 46 * HOUR),
      thresholdC: null,
      peakC: null,
    });
    ids.foreign = await insertAlarm(db, { unit: b[0]!, startedAt: new Date(now - HOUR) });
    ids.fahrenheit = await insertAlarm(db, {
      unit: fUnit,
      startedAt: new Date(now - HOUR),
      thresholdC: 10,
      peakC: 12,
    });
    tok.read = (await tokenFor(db, 'A')).token;
    tok.write = (await tokenFor(db, 'A', ['read', 'write'], { name: 'night shift' })).token;
    tok.other = (await tokenFor(db, 'B', ['read', 'write'])).token;
    tok.admin = (await tokenFor(db, null)).token;
    tok.limited = (await tokenFor(db, 'A', ['read', 'write'], { accessibleUnits: [a[1]!.id] })).token;
    tok.fWrite = (await tokenFor(db, 'C', ['read', 'write'])).token;
    app = await testApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  describe('list', () => {
    it('pages the caller’s alarms newest first with every documented field', async () => {
      const r = await call(app, 'GET', '/api/v1/alarms', tok.read);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ total: 3, page: 1, page_size: 100, pages: 1 });
      expect(r.body.items.map((i: { id: string }) => i.id)).toEqual([ids.active, ids.cleared, ids.closed]);
      const item = r.body.items[0];
      for (const f of [
        'id',
        'storage_unit_id',
        'facility_id',
        'kind',
        'severity',
        'state',
        'started_at',
        'cleared_at',
        'acknowledged_at',
        'acknowledged_by',
        'comment',
        'peak_temperature',
        'late',
        'customer_id',
        'unit_code',
        'unit_name',
        'facility_code',
        'facility_name',
        'confirmed_at',
        'detected_at',
        'threshold',
        'temperature_unit',
        'shelved_until',
        'shelved_reason',
        'rule_id',
        'duration_seconds',
      ])
        expect(item).toHaveProperty(f);
      expect(item).toMatchObject({
        storage_unit_id: a[0]!.id,
        kind: 'high',
        severity: 'critical',
        state: 'active',
        cleared_at: null,
        peak_temperature: 10,
        threshold: 8,
        temperature_unit: 'C',
        unit_code: a[0]!.unit_code,
        late: false,
      });
      expect(item.duration_seconds).toBeGreaterThanOrEqual(3 * 3600 - 5);
      const cleared = r.body.items[1];
      expect(cleared).toMatchObject({ state: 'cleared', late: true, duration_seconds: 3600 });
    });

    it('filters by state, severity, unit, facility and started_at range', async () => {
      const q = async (query: string) => {
        const r = await call(app, 'GET', `/api/v1/alarms?${query}`, tok.read);
        expect(r.status, query).toBe(200);
        return r.body.items.map((i: { id: string }) => i.id);
      };
      expect(await q('state=open')).toEqual([ids.active, ids.cleared]);
      expect(await q('state=active')).toEqual([ids.active]);
      expect(await q('state=cleared')).toEqual([ids.cleared]);
      expect(await q('state=closed')).toEqual([ids.closed]);
      expect(await q('severity=warning')).toEqual([ids.cleared, ids.closed]);
      expect(await q(`storage_unit_id=${a[0]!.id}`)).toEqual([ids.active, ids.closed]);
      expect(await q(`facility_id=${a[1]!.facility_id}`)).toContain(ids.cleared);
      const since = new Date(now - 6 * HOUR).toISOString();
      const until = new Date(now - 4 * HOUR).toISOString();
      expect(await q(`start_date=${since}&end_date=${until}`)).toEqual([ids.cleared]);
      expect(await q('sort=priority')).toEqual([ids.active, ids.cleared, ids.closed]);
    });

    it('refuses bad filters with 422 and foreign ids with 404', async () => {
      expect((await call(app, 'GET', '/api/v1/alarms?state=gone', tok.read)).status).toBe(422);
      expect((await call(app, 'GET', '/api/v1/alarms?start_date=yesterday', tok.read)).status).toBe(422);
      const reversed = await call(
        app,
        'GET',
        '/api/v1/alarms?start_date=2026-02-01&end_date=2026-01-01',
        tok.read,
      );
      expect(reversed.status).toBe(422);
      const b = (await unitsOf(db, 'B'))[0]!;
      expect((await call(app, 'GET', `/api/v1/alarms?storage_unit_id=${b.id}`, tok.read)).status).toBe(404);
    });

    it('shows a unit-limited token only its units’ alarms', async () => {
      const r = await call(app, 'GET', '/api/v1/alarms', tok.limited);
      expect(r.body.items.map((i: { id: string }) => i.id)).toEqual([ids.cleared]);
      expect((await call(app, 'GET', `/api/v1/alarms/${ids.active}`, tok.limited)).status).toBe(404);
    });

    it('answers in the unit’s own °F, or the unit asked for', async () => {
      const r = await call(app, 'GET', `/api/v1/alarms/${ids.fahrenheit}`, tok.fWrite);
      expect(r.body).toMatchObject({ temperature_unit: 'F', threshold: 50, peak_temperature: 53.6 });
      expect(r.body.rule.threshold).toBe(50);
      expect(r.body.rule.deadband).toBe(0.9);
      const c = await call(app, 'GET', `/api/v1/alarms?unit=C`, tok.fWrite);
      expect(c.body.items[0]).toMatchObject({ temperature_unit: 'C', threshold: 10, peak_temperature: 12 });
    });
  });

  describe('one alarm', () => {
    it('carries its record and its events in order', async () => {
      const r = await call(app, 'GET', `/api/v1/alarms/${ids.cleared}`, tok.read);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        id: ids.cleared,
        kind: 'low',
        min_temperature: -36,
        max_temperature: -33,
        mean_temperature: -34,
        time_beyond_seconds: 3000,
        degree_minutes: 90,
        reading_count: 12,
        failed_reads: 0,
        rule: { kind: 'low', severity: 'warning', threshold: -30, delay_seconds: 2700 },
      });
      expect(r.body.events.map((e: { type: string }) => e.type)).toEqual(['started', 'cleared']);
    });

    it('is a 404 for another customer’s alarm and a 422 for a bad id', async () => {
      const r = await call(app, 'GET', `/api/v1/alarms/${ids.foreign}`, tok.read);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ detail: 'Alarm not found', code: 'NOT_FOUND' });
      expect((await call(app, 'GET', '/api/v1/alarms/nope', tok.read)).status).toBe(422);
    });
  });

  describe('acknowledge', () => {
    it('needs write scope and a comment that is not blank', async () => {
      const url = `/api/v1/alarms/${ids.active}/acknowledge`;
      expect((await call(app, 'POST', url, tok.read, { comment: 'x' })).status).toBe(403);
      expect((await call(app, 'POST', url, tok.write, {})).status).toBe(422);
      const blank = await call(app, 'POST', url, tok.write, { comment: '   ' });
      expect(blank.status).toBe(422);
      expect(blank.body.detail).toMatch(/comment is required/);
      expect((await call(app, 'GET', `/api/v1/alarms/${ids.active}`, tok.read)).body.state).toBe('active');
    });

    it('records who, when and why, once; a second acknowledgement is a 409', async () => {
      const url = `/api/v1/alarms/${ids.active}/acknowledge`;
      const before = Date.now();
      const r = await call(app, 'POST', url, tok.write, { comment: 'Door left open; closed it' });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        state: 'acknowledged',
        acknowledged_by: 'night shift',
        comment: 'Door left open; closed it',
      });
      expect(new Date(r.body.acknowledged_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
      const ack = r.body.events.find((e: { type: string }) => e.type === 'acknowledged');
      expect(ack).toMatchObject({ by: 'night shift', comment: 'Door left open; closed it' });
      expect(ack.token_id).toBe(r.body.acknowledged_by_token_id);
      const again = await call(app, 'POST', url, tok.write, { comment: 'me too' });
      expect(again.status).toBe(409);
      expect(again.body.detail).toMatch(/acknowledged already by night shift/);
    });

    it('lets one of several simultaneous acknowledgements win', async () => {
      const id = await insertAlarm(db, { unit: a[3]!, startedAt: new Date(now - 2 * HOUR) });
      const url = `/api/v1/alarms/${id}/acknowledge`;
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => call(app, 'POST', url, tok.write, { comment: `try ${n}` })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
      const events = await db.query(
        `SELECT 1 FROM alarm_events WHERE alarm_id = $1 AND type = 'acknowledged'`,
        [id],
      );
      expect(events).toHaveLength(1);
      await db.query('DELETE FROM alarms WHERE id = $1', [id]);
    });

    it('closes a cleared alarm', async () => {
      const r = await call(app, 'POST', `/api/v1/alarms/${ids.cleared}/acknowledge`, tok.write, {
        comment: 'Reviewed the excursion',
      });
      expect(r.body.state).toBe('closed');
      const open = await call(app, 'GET', '/api/v1/alarms?state=open', tok.read);
      expect(open.body.items.map((i: { id: string }) => i.id)).toEqual([ids.active]);
    });

    it('cannot touch another customer’s alarm', async () => {
      const r = await call(app, 'POST', `/api/v1/alarms/${ids.foreign}/acknowledge`, tok.write, {
        comment: 'not mine',
      });
      expect(r.status).toBe(404);
      const b = await call(app, 'GET', `/api/v1/alarms/${ids.foreign}`, tok.other);
      expect(b.body.state).toBe('active');
    });
  });

  describe('shelve', () => {
    it('shelves for a while with a reason, bounded to a week, and unshelves', async () => {
      const url = `/api/v1/alarms/${ids.fahrenheit}/shelve`;
      expect((await call(app, 'POST', url, tok.fWrite, { minutes: 60 })).status).toBe(422);
      expect((await call(app, 'POST', url, tok.fWrite, { minutes: 60, reason: ' ' })).status).toBe(422);
      expect((await call(app, 'POST', url, tok.fWrite, { minutes: 8 * 1440, reason: 'x' })).status).toBe(422);
      expect((await call(app, 'POST', url, tok.fWrite, { reason: 'x' })).status).toBe(422);
      const past = new Date(Date.now() - HOUR).toISOString();
      expect((await call(app, 'POST', url, tok.fWrite, { until: past, reason: 'x' })).status).toBe(422);
      const r = await call(app, 'POST', url, tok.fWrite, { minutes: 120, reason: 'Defrost service' });
      expect(r.status).toBe(200);
      expect(r.body.shelved_reason).toBe('Defrost service');
      const until = new Date(r.body.shelved_until).getTime();
      expect(until).toBeGreaterThan(Date.now() + 119 * 60_000);
      expect(until).toBeLessThan(Date.now() + 121 * 60_000);
      const un = await call(app, 'POST', `/api/v1/alarms/${ids.fahrenheit}/unshelve`, tok.fWrite, {});
      expect(un.status).toBe(200);
      expect(un.body.shelved_until).toBeNull();
      expect(un.body.events.map((e: { type: string }) => e.type)).toEqual([
        'started',
        'shelved',
        'unshelved',
      ]);
      expect(un.body.events[1]).toMatchObject({ reason: 'Defrost service' });
      const again = await call(app, 'POST', `/api/v1/alarms/${ids.fahrenheit}/unshelve`, tok.fWrite, {});
      expect(again.status).toBe(409);
      const zero = await call(app, 'POST', url, tok.fWrite, { minutes: 0 });
      expect(zero.status).toBe(409);
      // minutes 0 unshelves; so does /unshelve without a body.
      await call(app, 'POST', url, tok.fWrite, { minutes: 5, reason: 'again' });
      const viaZero = await call(app, 'POST', url, tok.fWrite, { minutes: 0 });
      expect(viaZero.body.shelved_until).toBeNull();
      await call(app, 'POST', url, tok.fWrite, { minutes: 5, reason: 'again' });
      const noBody = await call(app, 'POST', `/api/v1/alarms/${ids.fahrenheit}/unshelve`, tok.fWrite);
      expect(noBody.status).toBe(200);
      expect(noBody.body.events.filter((e: { type: string }) => e.type === 'unshelved')).toHaveLength(3);
    });

    it('refuses to shelve a closed alarm', async () => {
      const r = await call(app, 'POST', `/api/v1/alarms/${ids.closed}/shelve`, tok.write, {
        minutes: 10,
        reason: 'x',
      });
      expect(r.status).toBe(409);
    });
  });

  describe('history and admin', () => {
    it('serves /analytics/alarms/history in the prototype envelope with its names', async () => {
      const r = await call(app, 'GET', '/api/v1/analytics/alarms/history?limit=2', tok.read);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ total: 3, page: 1, page_size: 2, pages: 2 });
      const item = r.body.items[0];
      expect(item).toMatchObject({
        id: ids.active,
        alarm_type: 'high',
        is_active: true,
        temperature: 10,
        severity: 'critical',
        facility_name: expect.any(String),
        unit_name: expect.any(String),
      });
      expect(item.recorded_at).toBe(item.started_at);
      const byUnit = await call(app, 'GET', `/api/v1/analytics/alarms/history?unit_id=${a[1]!.id}`, tok.read);
      expect(byUnit.body.items.map((i: { id: string }) => i.id)).toEqual([ids.cleared]);
    });

    it('lists every customer’s alarms for admins, filterable by customer', async () => {
      const all = await call(app, 'GET', '/api/v1/admin/alarms', tok.admin);
      expect(all.status).toBe(200);
      expect(all.body.total).toBe(5);
      expect(all.body.items[0]).toHaveProperty('customer_code');
      const onlyB = await call(
        app,
        'GET',
        `/api/v1/admin/alarms?customer_id=${a[0]!.customer_id}`,
        tok.admin,
      );
      expect(onlyB.body.total).toBe(3);
      expect((await call(app, 'GET', '/api/v1/admin/alarms', tok.read)).status).toBe(403);
    });
  });
});
