import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testChannel } from '../../src/alarms/channels.ts';
import { runAs } from '../../src/audit/context.ts';
import { readImportFile } from '../../src/ingestion/importer.ts';
import { verifyAuditChain } from '../../src/audit/verify.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Db } from '../../src/db/types.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { runOpInProcess } from '../../src/ops/ops.ts';
import { insertAlarm } from '../support/alarm-fixtures.ts';
import { call, testApp } from '../support/api.ts';
import { REPO_ROOT, runTms } from '../support/cli.ts';
import {
  backendCases,
  createPostgresDatabase,
  describeEachBackend,
  type TestDatabase,
} from '../support/databases.ts';
import { customerId, seedDefaultFleet, tokenFor, unitsOf, type UnitRef } from '../support/factories.ts';

// The audit trail's wiring for alarms (issue 12): rule changes, acknowledgements and shelving,
// notification channels, manual readings and file imports each write exactly one entry, through the
// API (as the token) and through the CLI's operations (as cli:<user>); rule changes and channel
// deletions without a reason are refused (422) and change nothing; the chain stays valid.

interface Entry {
  seq: number;
  actor_kind: string;
  actor_token_id: string | null;
  actor_name: string;
  customer_id: string | null;
  entity_type: string;
  entity_id: string | null;
  action: string;
  changes: Record<string, { old?: unknown; new?: unknown }> & { _details?: Record<string, unknown> };
  reason: string | null;
}

const B_FILE = path.join(REPO_ROOT, 'test/fixtures/seed/misc/customer_B_data.csv');

const headSeq = async (db: Db): Promise<number> =>
  (await db.query<{ seq: number }>('SELECT coalesce(max(seq), 0)::int AS seq FROM audit_log'))[0]!.seq;

const entriesAfter = (db: Db, seq: number): Promise<Entry[]> =>
  db.query<Entry>(
    `SELECT seq::int AS seq, actor_kind, actor_token_id, actor_name, customer_id, entity_type, entity_id,
            action, changes, reason
     FROM audit_log WHERE seq > $1 ORDER BY seq`,
    [seq],
  );

/** Runs `act` and returns the audit entries it wrote. */
const entriesOf = async (db: Db, act: () => Promise<unknown>): Promise<Entry[]> => {
  const before = await headSeq(db);
  await act();
  return entriesAfter(db, before);
};

/** Runs `act`, expects exactly one new entry and returns it. */
const oneEntryOf = async (db: Db, act: () => Promise<unknown>): Promise<Entry> => {
  const rows = await entriesOf(db, act);
  expect(rows, JSON.stringify(rows)).toHaveLength(1);
  return rows[0]!;
};

describeEachBackend('audit of alarms, rules, channels, readings and imports', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let units: UnitRef[];
  let cId: string;
  const tok = { token: '', id: '', name: 'qa-desk' };
  const op = (name: string, args: Record<string, unknown>) =>
    runOpInProcess({ db, config: loadConfig(), clock: systemClock }, name, args);

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    units = await unitsOf(db, 'C');
    cId = await customerId(db, 'C');
    const issued = await tokenFor(db, 'C', ['read', 'write'], { name: tok.name });
    tok.token = issued.token;
    tok.id = issued.id;
    app = await testApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  const asToken = (e: Entry) =>
    expect(e).toMatchObject({ actor_kind: 'token', actor_token_id: tok.id, actor_name: tok.name });

  describe('unit alarm rules', () => {
    const url = () => `/api/v1/units/${units[0]!.id}/alarm-rules`;

    it('refuses a change without a reason (422): nothing changes, no entry', async () => {
      const shown = await call(app, 'GET', url(), tok.token);
      const rows = await entriesOf(db, async () => {
        const r = await call(app, 'PUT', url(), tok.token, { rules: shown.body.rules.slice(1) });
        expect(r.status).toBe(422);
        expect(r.body.detail).toMatch(/reason is required/);
        expect((await call(app, 'DELETE', url(), tok.token)).status).toBe(422);
      });
      expect(rows).toEqual([]);
      expect((await call(app, 'GET', url(), tok.token)).body).toEqual(shown.body);
    });

    it('PUT with a reason: one entry with the rules before and after (°C)', async () => {
      const shown = await call(app, 'GET', url(), tok.token);
      expect(shown.body.source).toBe('default');
      const kept = shown.body.rules.slice(1);
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', url(), tok.token, { rules: kept, reason: 'SOP-12: one rule less' });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
      });
      asToken(e);
      expect(e).toMatchObject({
        entity_type: 'alarm_rules',
        entity_id: units[0]!.id,
        customer_id: cId,
        action: 'update',
        reason: 'SOP-12: one rule less',
      });
      expect(e.changes.source).toEqual({ old: 'default', new: 'unit' });
      const ids = (v: unknown) => (v as { id: string }[]).map((r) => r.id);
      expect(ids(e.changes.rules!.old)).toEqual(shown.body.rules.map((r: { id: string }) => r.id));
      expect(ids(e.changes.rules!.new)).toEqual(kept.map((r: { id: string }) => r.id));
      expect((e.changes.rules!.new as object[])[0]).toHaveProperty('threshold_c');
    });

    it('a bare list with ?reason= works too; the same rules again write nothing', async () => {
      const shown = await call(app, 'GET', url(), tok.token);
      const rows = await entriesOf(db, async () => {
        const r = await call(app, 'PUT', `${url()}?reason=unchanged`, tok.token, shown.body.rules);
        expect(r.status).toBe(200);
      });
      expect(rows).toEqual([]);
    });

    it('DELETE with ?reason=: one entry, back to the defaults', async () => {
      const e = await oneEntryOf(db, async () => {
        const r = await call(
          app,
          'DELETE',
          `${url()}?reason=${encodeURIComponent('back to SOP')}`,
          tok.token,
        );
        expect(r.status).toBe(200);
        expect(r.body.source).toBe('default');
      });
      asToken(e);
      expect(e).toMatchObject({ entity_type: 'alarm_rules', action: 'delete', reason: 'back to SOP' });
      expect(e.changes.source).toEqual({ old: 'unit', new: 'default' });
    });

    it('through the CLI operations: as cli:<user>, with --reason; refused without', async () => {
      const unit = units[1]!.id;
      const shown = (await op('alarms.rules', { unitId: unit, cliUser: 'alice' })) as { rules: unknown[] };
      const refused = await entriesOf(db, () =>
        expect(
          op('alarms.rules-set', { unitId: unit, rules: shown.rules, cliUser: 'alice' }),
        ).rejects.toThrow(/reason is required/),
      );
      expect(refused).toEqual([]);
      const set = await oneEntryOf(db, () =>
        op('alarms.rules-set', { unitId: unit, rules: shown.rules, cliUser: 'alice', reason: 'pinned' }),
      );
      expect(set).toMatchObject({
        actor_kind: 'cli',
        actor_token_id: null,
        actor_name: 'cli:alice',
        entity_type: 'alarm_rules',
        entity_id: unit,
        action: 'update',
        reason: 'pinned',
      });
      const reset = await oneEntryOf(db, () =>
        op('alarms.rules-reset', { unitId: unit, cliUser: 'alice', reason: 'unpinned' }),
      );
      expect(reset).toMatchObject({ actor_name: 'cli:alice', action: 'delete', reason: 'unpinned' });
    });
  });

  describe('equipment-type defaults', () => {
    const url = '/api/v1/alarm-rule-defaults/freezer';
    const rules = [{ kind: 'high', severity: 'critical', threshold: -15, delay_seconds: 900 }];

    it('PUT and DELETE need a reason; each writes one entry', async () => {
      const refused = await entriesOf(db, async () => {
        expect((await call(app, 'PUT', url, tok.token, { rules })).status).toBe(422);
        expect((await call(app, 'DELETE', url, tok.token)).status).toBe(422);
      });
      expect(refused).toEqual([]);
      expect((await call(app, 'GET', url, tok.token)).body.stored).toBe(false);

      const put = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', url, tok.token, { rules, reason: 'freezers: -15 °C' });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
      });
      asToken(put);
      expect(put).toMatchObject({
        entity_type: 'alarm_rule_defaults',
        entity_id: `${cId}:freezer`,
        customer_id: cId,
        action: 'create',
        reason: 'freezers: -15 °C',
      });
      expect(put.changes.rules!.new).toMatchObject([{ kind: 'high', threshold_c: -15 }]);

      const del = await oneEntryOf(db, async () => {
        expect((await call(app, 'DELETE', `${url}?reason=retired`, tok.token)).status).toBe(200);
      });
      expect(del).toMatchObject({ entity_type: 'alarm_rule_defaults', action: 'delete', reason: 'retired' });
      expect(del.changes.rules!.old).toMatchObject([{ threshold_c: -15 }]);
      expect(del.changes.rules).not.toHaveProperty('new');
    });
  });

  describe('alarm acknowledgement and shelving', () => {
    const alarmOf = (i: number) =>
      insertAlarm(db, { unit: units[i]!, startedAt: new Date(Date.now() - 3_600_000) });

    it('API acknowledge: one entry as the token, the comment as reason', async () => {
      const id = await alarmOf(2);
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', `/api/v1/alarms/${id}/acknowledge`, tok.token, {
          comment: 'Door left open; closed',
        });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.acknowledged_by).toBe(tok.name);
      });
      asToken(e);
      expect(e).toMatchObject({
        entity_type: 'alarm',
        entity_id: id,
        customer_id: cId,
        action: 'acknowledge',
        reason: 'Door left open; closed',
      });
      expect(e.changes.acknowledged_by).toEqual({ new: tok.name });
      expect(e.changes.comment).toEqual({ new: 'Door left open; closed' });
      const [ev] = await db.query<{ details: { by: string; token_id: string } }>(
        "SELECT details FROM alarm_events WHERE alarm_id = $1 AND type = 'acknowledged'",
        [id],
      );
      expect(ev?.details).toMatchObject({ by: tok.name, token_id: tok.id });
      // A second acknowledgement is refused and writes nothing.
      const again = await entriesOf(db, async () => {
        const r = await call(app, 'POST', `/api/v1/alarms/${id}/acknowledge`, tok.token, {
          comment: 'again',
        });
        expect(r.status).toBe(409);
      });
      expect(again).toEqual([]);
    });

    it('CLI acknowledge (tms alarms ack): one entry as cli:<user>', async () => {
      const id = await alarmOf(3);
      const e = await oneEntryOf(db, () => op('alarms.ack', { id, comment: 'Probe moved', cliUser: 'bob' }));
      expect(e).toMatchObject({
        actor_kind: 'cli',
        actor_name: 'cli:bob',
        entity_type: 'alarm',
        entity_id: id,
        action: 'acknowledge',
        reason: 'Probe moved',
      });
      const [row] = await db.query<{ acknowledged_by: string }>(
        'SELECT acknowledged_by FROM alarms WHERE id = $1',
        [id],
      );
      expect(row?.acknowledged_by).toBe('cli:bob');
    });

    it('shelve and unshelve: one entry each, with reason and until', async () => {
      const id = await alarmOf(4);
      const shelve = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', `/api/v1/alarms/${id}/shelve`, tok.token, {
          minutes: 60,
          reason: 'Defrost cycle',
        });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.shelved_reason).toBe('Defrost cycle');
      });
      asToken(shelve);
      expect(shelve).toMatchObject({ entity_type: 'alarm', action: 'shelve', reason: 'Defrost cycle' });
      const until = shelve.changes._details!.until as string;
      expect(Date.parse(until) - Date.now()).toBeGreaterThan(55 * 60_000);
      expect(shelve.changes.shelved_until).toEqual({ old: null, new: until });

      const unshelve = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', `/api/v1/alarms/${id}/unshelve`, tok.token, {
          reason: 'Defrost done',
        });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
      });
      asToken(unshelve);
      expect(unshelve).toMatchObject({ action: 'unshelve', reason: 'Defrost done' });
      expect(unshelve.changes.shelved_reason).toEqual({ old: 'Defrost cycle', new: null });
    });

    it('shelving without a reason is still refused and writes nothing', async () => {
      const id = await alarmOf(5);
      const rows = await entriesOf(db, async () => {
        expect(
          (await call(app, 'POST', `/api/v1/alarms/${id}/shelve`, tok.token, { minutes: 30 })).status,
        ).toBe(422);
      });
      expect(rows).toEqual([]);
    });
  });

  describe('notification channels', () => {
    const CH = '/api/v1/notification-channels';

    it('create, update, delete: one entry each, never the webhook secret; delete needs a reason', async () => {
      let secret = '';
      let id = '';
      const created = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', CH, tok.token, {
          name: 'Ops hook',
          type: 'webhook',
          target: 'http://127.0.0.1:9/hook',
          reason: 'on-call rota',
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        secret = r.body.secret;
        id = r.body.id;
      });
      asToken(created);
      expect(created).toMatchObject({
        entity_type: 'notification_channel',
        entity_id: id,
        customer_id: cId,
        action: 'create',
        reason: 'on-call rota',
      });
      expect(created.changes.target).toEqual({ new: 'http://127.0.0.1:9/hook' });
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(created)).not.toContain(secret);
      expect(created.changes).not.toHaveProperty('secret');

      const updated = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', `${CH}/${id}`, tok.token, {
          min_severity: 'critical',
          name: 'Ops hook',
        });
        expect(r.status).toBe(200);
      });
      expect(updated).toMatchObject({ action: 'update', reason: null });
      expect(updated.changes).toEqual({ min_severity: { old: 'warning', new: 'critical' } });

      // A test send changes no record: no entry.
      const tested = await entriesOf(db, () =>
        runAs({ actor: { kind: 'token', tokenId: tok.id, name: tok.name } }, () =>
          testChannel({ db, clock: systemClock }, { customerId: cId, accessibleUnits: [] }, id, 0),
        ),
      );
      expect(tested).toEqual([]);

      const refused = await entriesOf(db, async () => {
        const r = await call(app, 'DELETE', `${CH}/${id}`, tok.token);
        expect(r.status).toBe(422);
        expect(r.body.detail).toMatch(/reason is required/);
      });
      expect(refused).toEqual([]);
      const ids = async () => (await call(app, 'GET', CH, tok.token)).body.map((c: { id: string }) => c.id);
      expect(await ids()).toContain(id);

      const deleted = await oneEntryOf(db, async () => {
        expect((await call(app, 'DELETE', `${CH}/${id}?reason=rota%20ended`, tok.token)).status).toBe(200);
      });
      expect(deleted).toMatchObject({ action: 'delete', entity_id: id, reason: 'rota ended' });
      expect(deleted.changes.name).toEqual({ old: 'Ops hook' });
      expect(await ids()).not.toContain(id);
    });
  });

  describe('manual readings', () => {
    it('POST /temperature: one entry with the values sent', async () => {
      const recordedAt = new Date(Date.now() - 60_000);
      let id = '';
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', '/api/v1/temperature', tok.token, {
          storage_unit_id: units[0]!.id,
          temperature: 41,
          temperature_unit: 'F',
          recorded_at: recordedAt.toISOString(),
          sensor_id: 'hand-probe',
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        id = r.body.id;
      });
      asToken(e);
      expect(e).toMatchObject({ entity_type: 'reading', entity_id: id, customer_id: cId, action: 'create' });
      expect(e.changes).toMatchObject({
        storage_unit_id: { new: units[0]!.id },
        recorded_at: { new: recordedAt.toISOString() },
        temperature: { new: 41 },
        temperature_unit: { new: 'F' },
        sensor_id: { new: 'hand-probe' },
      });
      expect(e.changes.temperature_c!.new).toBeCloseTo(5, 9);
      // A duplicate is refused (409) and leaves no entry.
      const dup = await entriesOf(db, async () => {
        const r = await call(app, 'POST', '/api/v1/temperature', tok.token, {
          storage_unit_id: units[0]!.id,
          temperature: 5,
          temperature_unit: 'C',
          recorded_at: recordedAt.toISOString(),
          sensor_id: 'hand-probe',
        });
        expect(r.status).toBe(409);
      });
      expect(dup).toEqual([]);
    });
  });

  describe('imports', () => {
    it('the import operations write one entry, at the finish, as cli:<user> with the reason', async () => {
      const bId = await customerId(db, 'B');
      const rows = await entriesOf(db, async () => {
        const { logId, timezone } = (await op('ingest.import-begin', {
          customer: 'B',
          source: `file://${B_FILE}`,
          cliUser: 'carol',
          reason: 'backfill after outage',
        })) as { logId: string; timezone: string };
        const f = await readImportFile(B_FILE);
        for (let i = 0; i < f.rows.length; i += 100)
          await op('ingest.import-rows', {
            logId,
            customer: 'B',
            rows: f.rows.slice(i, i + 100),
            firstRow: i + 1,
            timezone,
            cliUser: 'carol',
            reason: 'backfill after outage',
          });
        await op('ingest.import-finish', {
          logId,
          rejections: { counts: {}, examples: [] },
          cliUser: 'carol',
          reason: 'backfill after outage',
        });
      });
      expect(rows, JSON.stringify(rows)).toHaveLength(1);
      const e = rows[0]!;
      expect(e).toMatchObject({
        actor_kind: 'cli',
        actor_name: 'cli:carol',
        entity_type: 'import',
        customer_id: bId,
        action: 'import',
        reason: 'backfill after outage',
      });
      expect(e.changes._details).toMatchObject({
        file: 'customer_B_data.csv',
        customer: 'B',
        status: 'success',
        rows: 176,
        stored: 176,
        duplicates: 0,
        rejected: 0,
      });
      const d = e.changes._details!;
      expect(Date.parse(d.from as string)).toBeLessThanOrEqual(Date.parse(d.to as string));
      const [log] = await db.query<{ id: string }>(
        "SELECT id FROM ingestion_logs WHERE ingestion_type = 'import'",
      );
      expect(e.entity_id).toBe(log!.id);
    });
  });

  it('leaves one valid chain', async () => {
    const report = await verifyAuditChain(db);
    expect(report.ok, JSON.stringify(report.broken)).toBe(true);
    expect(report.verified).toBeGreaterThan(10);
  });
});

const pg = backendCases().some((c) => c.backend === 'postgres');

describe.skipIf(!pg)('tms import --reason: the real binary writes one entry per file [postgres]', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('as cli:<os user>, with the reason; a second import of the same file is its own entry', async () => {
    const env = { DATABASE_URL: t.url! };
    const first = await entriesOf(t.db, async () => {
      const r = await runTms(['import', B_FILE, '--reason', 'backfill', '--json'], env);
      expect(r.code, r.stderr).toBe(0);
    });
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      actor_kind: 'cli',
      entity_type: 'import',
      action: 'import',
      reason: 'backfill',
    });
    expect(first[0]!.actor_name).toMatch(/^cli:(?!unknown$)/);
    expect(first[0]!.changes._details).toMatchObject({ customer: 'B', stored: 176, duplicates: 0 });
    const again = await entriesOf(t.db, async () => {
      expect((await runTms(['import', B_FILE], env)).code).toBe(0);
    });
    expect(again).toHaveLength(1);
    expect(again[0]!.changes._details).toMatchObject({ stored: 0, duplicates: 176 });
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
