import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireReason } from '../../src/audit/record.ts';
import { loadReasonSetting, startReasonSettingRefresh } from '../../src/audit/reason-setting.ts';
import { verifyAuditChain } from '../../src/audit/verify.ts';
import { bootstrapTokens } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Db } from '../../src/db/types.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { runOpInProcess } from '../../src/ops/ops.ts';
import { call, testApp } from '../support/api.ts';
import { runTms } from '../support/cli.ts';
import {
  backendCases,
  createPostgresDatabase,
  describeEachBackend,
  type TestDatabase,
} from '../support/databases.ts';
import { customerId, seedDefaultFleet, tokenFor, unitsOf } from '../support/factories.ts';

// The audit trail's wiring for the fleet, tokens and configuration (issue 12): customers,
// facilities, units, tokens, settings and seeding each write exactly one entry per request, with the
// old and new values of only the fields that changed, as the token (API) or cli:<user> (CLI); a
// unit's limit change without a reason is refused (422) and changes nothing; the chain stays valid.

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

const headSeq = async (db: Db): Promise<number> =>
  (await db.query<{ seq: number }>('SELECT coalesce(max(seq), 0)::int AS seq FROM audit_log'))[0]!.seq;

const entriesAfter = (db: Db, seq: number): Promise<Entry[]> =>
  db.query<Entry>(
    `SELECT seq::int AS seq, actor_kind, actor_token_id, actor_name, customer_id, entity_type, entity_id,
            action, changes, reason
     FROM audit_log WHERE seq > $1 ORDER BY seq`,
    [seq],
  );

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

describeEachBackend('audit of customers, facilities, units, tokens and settings', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let bId: string;
  const writer = { token: '', id: '', name: 'ops-desk-b' };
  const admin = { token: '', id: '', name: 'root-admin' };
  const op = (name: string, args: Record<string, unknown>) =>
    runOpInProcess({ db, config: loadConfig(), clock: systemClock }, name, args);

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    bId = await customerId(db, 'B');
    const w = await tokenFor(db, 'B', ['read', 'write'], { name: writer.name });
    Object.assign(writer, { token: w.token, id: w.id });
    const a = await tokenFor(db, null, [], { name: admin.name });
    Object.assign(admin, { token: a.token, id: a.id });
    app = await testApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  describe('customers', () => {
    let created = '';

    it('an admin creates one: one entry with the new record, as the admin token', async () => {
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', '/api/v1/admin/customers', admin.token, {
          customer_code: 'AUD1',
          name: 'Audit Pharmacy',
          data_sharing_method: 'csv',
          data_frequency_seconds: 300,
          reason: 'new contract',
        });
        expect(r.status, r.text).toBe(201);
        created = r.body.id;
      });
      expect(e).toMatchObject({
        actor_kind: 'token',
        actor_token_id: admin.id,
        actor_name: admin.name,
        entity_type: 'customer',
        entity_id: created,
        customer_id: created,
        action: 'create',
        reason: 'new contract',
      });
      expect(e.changes).toMatchObject({
        customer_code: { new: 'AUD1' },
        name: { new: 'Audit Pharmacy' },
        data_frequency_seconds: { new: 300 },
        timezone: { new: 'UTC' },
      });
      expect(e.changes).not.toHaveProperty('id');
      expect(e.changes).not.toHaveProperty('updated_at');
    });

    it('an admin update records only the fields that changed; an unchanged update writes nothing', async () => {
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', `/api/v1/admin/customers/${created}`, admin.token, {
          name: 'Audit Pharmacy Ltd',
          data_frequency_seconds: 300,
        });
        expect(r.status, r.text).toBe(200);
      });
      expect(e).toMatchObject({
        entity_type: 'customer',
        action: 'update',
        actor_name: admin.name,
        reason: null,
      });
      expect(e.changes).toEqual({ name: { old: 'Audit Pharmacy', new: 'Audit Pharmacy Ltd' } });
      const none = await entriesOf(db, async () => {
        const r = await call(app, 'PUT', `/api/v1/admin/customers/${created}`, admin.token, {
          name: 'Audit Pharmacy Ltd',
        });
        expect(r.status).toBe(200);
      });
      expect(none).toEqual([]);
    });

    it('a profile update with a new zone is one entry: name, zone and the queued rebuild', async () => {
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', '/api/v1/customers/profile', writer.token, {
          name: 'B Cold Chain',
          timezone: 'America/New_York',
          reason: 'moved head office',
        });
        expect(r.status, r.text).toBe(200);
      });
      expect(e).toMatchObject({
        entity_type: 'customer',
        entity_id: bId,
        customer_id: bId,
        action: 'update',
        actor_token_id: writer.id,
        actor_name: writer.name,
        reason: 'moved head office',
      });
      const { _details, ...fields } = e.changes;
      expect(Object.keys(fields).sort()).toEqual(['name', 'timezone']);
      expect(fields.timezone).toEqual({ old: 'Europe/London', new: 'America/New_York' });
      expect(_details).toEqual({
        rebuild: { daily_rollups: 'queued', from_zone: 'Europe/London', to_zone: 'America/New_York' },
      });
    });

    it('a refused profile update (the current zone again: 409) writes nothing', async () => {
      const none = await entriesOf(db, async () => {
        const r = await call(app, 'PUT', '/api/v1/customers/profile', writer.token, {
          timezone: 'America/New_York',
        });
        expect(r.status).toBe(409);
      });
      expect(none).toEqual([]);
    });
  });

  describe('facilities and units', () => {
    let facility = '';
    let unit = '';

    it('a facility create and update are one entry each, the update with the changed field only', async () => {
      const c = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', '/api/v1/facilities', writer.token, {
          facility_code: 'AUDF',
          name: 'Audit depot',
          city: 'York',
        });
        expect(r.status, r.text).toBe(201);
        facility = r.body.id;
      });
      expect(c).toMatchObject({
        entity_type: 'facility',
        entity_id: facility,
        customer_id: bId,
        action: 'create',
        actor_name: writer.name,
      });
      expect(c.changes).toMatchObject({ facility_code: { new: 'AUDF' }, city: { new: 'York' } });
      const u = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', `/api/v1/facilities/${facility}`, writer.token, {
          city: 'Leeds',
          name: 'Audit depot',
        });
        expect(r.status, r.text).toBe(200);
      });
      expect(u).toMatchObject({ entity_type: 'facility', entity_id: facility, action: 'update' });
      expect(u.changes).toEqual({ city: { old: 'York', new: 'Leeds' } });
    });

    it('a unit create is one entry; a change of its name needs no reason', async () => {
      const c = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', `/api/v1/facilities/${facility}/units`, writer.token, {
          unit_code: 'AUD-U1',
          size_value: 10,
          size_unit: 'sqm',
          set_temperature: 5,
          temperature_unit: 'C',
          equipment_type: 'fridge',
          alarm_low_limit: 2,
          alarm_high_limit: 8,
        });
        expect(r.status, r.text).toBe(201);
        unit = r.body.id;
      });
      expect(c).toMatchObject({
        entity_type: 'storage_unit',
        entity_id: unit,
        customer_id: bId,
        action: 'create',
      });
      expect(c.changes).toMatchObject({
        unit_code: { new: 'AUD-U1' },
        alarm_low_limit: { new: 2 },
        alarm_high_limit: { new: 8 },
        set_temperature: { new: 5 },
      });
      const u = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', `/api/v1/units/${unit}`, writer.token, { name: 'Vaccine fridge' });
        expect(r.status, r.text).toBe(200);
      });
      expect(u).toMatchObject({ entity_type: 'storage_unit', action: 'update', reason: null });
      expect(u.changes).toEqual({ name: { old: null, new: 'Vaccine fridge' } });
    });

    it('a limit change without a reason is refused (422): nothing changes, nothing is written', async () => {
      for (const body of [{ alarm_high_limit: 9 }, { set_temperature: 4 }, { temperature_unit: 'F' }]) {
        const none = await entriesOf(db, async () => {
          const r = await call(app, 'PUT', `/api/v1/units/${unit}`, writer.token, {
            ...body,
            name: 'renamed',
          });
          expect(r.status, r.text).toBe(422);
          expect(r.body.detail).toMatch(/reason is required/);
        });
        expect(none).toEqual([]);
      }
      const [row] = await db.query(
        'SELECT name, alarm_high_limit, set_temperature, temperature_unit FROM storage_units WHERE id = $1',
        [unit],
      );
      expect(row).toEqual({
        name: 'Vaccine fridge',
        alarm_high_limit: 8,
        set_temperature: 5,
        temperature_unit: 'C',
      });
    });

    it('a limit change with a reason (body or ?reason=) is one entry with that reason', async () => {
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', `/api/v1/units/${unit}`, writer.token, {
          alarm_high_limit: 7.5,
          reason: 'SOP-12 tightened',
        });
        expect(r.status, r.text).toBe(200);
        expect(r.body.alarm_high_limit).toBe(7.5);
      });
      expect(e).toMatchObject({ action: 'update', reason: 'SOP-12 tightened', actor_name: writer.name });
      expect(e.changes).toEqual({ alarm_high_limit: { old: 8, new: 7.5 } });
      const q = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', `/api/v1/units/${unit}?reason=calibrated`, writer.token, {
          set_temperature: 4.5,
        });
        expect(r.status, r.text).toBe(200);
      });
      expect(q).toMatchObject({ reason: 'calibrated' });
      expect(q.changes).toEqual({ set_temperature: { old: 5, new: 4.5 } });
      // The same limits again are no limit change: no reason needed, and nothing to record.
      const none = await entriesOf(db, async () => {
        const r = await call(app, 'PUT', `/api/v1/units/${unit}`, writer.token, { alarm_high_limit: 7.5 });
        expect(r.status, r.text).toBe(200);
      });
      expect(none).toEqual([]);
    });
  });

  describe('tokens', () => {
    it('a customer creates one: the trail has its name, prefix, scopes and limits, never the token', async () => {
      let made: { id: string; token: string; token_prefix: string } | undefined;
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', '/api/v1/customers/tokens', writer.token, {
          token_name: 'lims-reader',
          permissions: ['read'],
          rate_limit_per_hour: 60,
        });
        expect(r.status, r.text).toBe(201);
        made = r.body;
      });
      expect(e).toMatchObject({
        entity_type: 'token',
        entity_id: made!.id,
        customer_id: bId,
        action: 'create',
        actor_token_id: writer.id,
        actor_name: writer.name,
      });
      expect(e.changes).toMatchObject({
        token_name: { new: 'lims-reader' },
        token_prefix: { new: made!.token_prefix },
        permissions: { new: ['read'] },
        rate_limit_per_hour: { new: 60 },
        accessible_units: { new: [] },
        parent_token_id: { new: writer.id },
      });
      const [hash] = await db.query<{ token_hash: string }>(
        'SELECT token_hash FROM api_tokens WHERE id = $1',
        [made!.id],
      );
      const text = JSON.stringify(e);
      expect(text).not.toContain(made!.token);
      expect(text).not.toContain(hash!.token_hash);
      expect(text).not.toContain('token_hash');
    });

    it('an admin creates one for a customer: the entry belongs to that customer', async () => {
      const units = (await unitsOf(db, 'B')).slice(0, 2).map((u) => u.id);
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'POST', `/api/v1/admin/customers/${bId}/tokens`, admin.token, {
          token_name: 'installer',
          permissions: ['read', 'write'],
          accessible_units: units,
        });
        expect(r.status, r.text).toBe(201);
      });
      expect(e).toMatchObject({
        entity_type: 'token',
        customer_id: bId,
        action: 'create',
        actor_name: admin.name,
      });
      expect((e.changes.accessible_units!.new as string[]).sort()).toEqual([...units].sort());
    });

    it('a revoke is one entry naming the tokens created from it that were revoked with it', async () => {
      const child = await call(app, 'POST', '/api/v1/customers/tokens', writer.token, {
        token_name: 'child',
        permissions: ['read', 'write'],
      });
      const grandchild = await call(app, 'POST', '/api/v1/customers/tokens', child.body.token, {
        token_name: 'grandchild',
        permissions: ['read'],
      });
      expect(grandchild.status, grandchild.text).toBe(201);
      const e = await oneEntryOf(db, async () => {
        const r = await call(
          app,
          'DELETE',
          `/api/v1/customers/tokens/${child.body.id}?reason=${encodeURIComponent('laptop lost')}`,
          writer.token,
        );
        expect(r.status, r.text).toBeLessThan(300);
      });
      expect(e).toMatchObject({
        entity_type: 'token',
        entity_id: child.body.id,
        customer_id: bId,
        action: 'revoke',
        actor_name: writer.name,
        reason: 'laptop lost',
      });
      expect(e.changes.is_active).toEqual({ old: true, new: false });
      expect(e.changes.revoked_at!.old).toBeNull();
      expect(e.changes._details).toEqual({ token_name: 'child', descendants_revoked: [grandchild.body.id] });
    });

    it('the CLI path (tokens create, tokens revoke) is audited as cli:<user> with --reason', async () => {
      let id = '';
      const c = await oneEntryOf(db, async () => {
        const r = (await op('tokens.create', {
          customer: 'B',
          scopes: ['read'],
          name: 'cli-made',
          cliUser: 'alice',
          reason: 'for the LIMS',
        })) as { id: string };
        id = r.id;
      });
      expect(c).toMatchObject({
        actor_kind: 'cli',
        actor_token_id: null,
        actor_name: 'cli:alice',
        entity_type: 'token',
        entity_id: id,
        customer_id: bId,
        action: 'create',
        reason: 'for the LIMS',
      });
      expect(c.changes.token_name).toEqual({ new: 'cli-made' });
      const a = await oneEntryOf(db, () =>
        op('tokens.create', { admin: true, name: 'ops-admin', cliUser: 'alice' }),
      );
      expect(a).toMatchObject({ customer_id: null, action: 'create', actor_name: 'cli:alice' });
      expect(a.changes.permissions).toEqual({ new: ['admin'] });
      const r = await oneEntryOf(db, () => op('tokens.revoke', { id, cliUser: 'bob', reason: 'rotated' }));
      expect(r).toMatchObject({ actor_name: 'cli:bob', entity_id: id, action: 'revoke', reason: 'rotated' });
      expect(r.changes._details).toEqual({ token_name: 'cli-made', descendants_revoked: [] });
    });
  });

  describe('configuration and seeding', () => {
    it('a setting change is one entry with the old and new value, belonging to no customer', async () => {
      const e = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', '/api/v1/admin/config/data_retention_days', admin.token, {
          value: 365,
          reason: 'QA policy v3',
        });
        expect(r.status, r.text).toBe(200);
      });
      expect(e).toMatchObject({
        entity_type: 'config',
        entity_id: 'data_retention_days',
        customer_id: null,
        action: 'update',
        actor_name: admin.name,
        reason: 'QA policy v3',
      });
      expect(e.changes).toEqual({ value: { old: 730, new: 365 } });
      const n = await oneEntryOf(db, async () => {
        const r = await call(app, 'PUT', '/api/v1/admin/config/report_footer', admin.token, { value: 'GDP' });
        expect(r.status, r.text).toBe(200);
      });
      expect(n).toMatchObject({ entity_id: 'report_footer', action: 'create' });
      expect(n.changes.value).toEqual({ new: 'GDP' });
    });

    it('require_change_reason: false lets a limit change through without a reason; true again refuses it', async () => {
      const bad = await call(app, 'PUT', '/api/v1/admin/config/require_change_reason', admin.token, {
        value: 'no',
      });
      expect(bad.status).toBe(422);
      const unit = (await unitsOf(db, 'B'))[0]!;
      const off = await call(app, 'PUT', '/api/v1/admin/config/require_change_reason', admin.token, {
        value: false,
      });
      expect(off.status, off.text).toBe(200);
      try {
        const e = await oneEntryOf(db, async () => {
          const r = await call(app, 'PUT', `/api/v1/units/${unit.id}`, writer.token, {
            set_temperature: unit.set_temperature + 1,
          });
          expect(r.status, r.text).toBe(200);
        });
        expect(e).toMatchObject({ reason: null, entity_id: unit.id });
      } finally {
        const on = await call(app, 'PUT', '/api/v1/admin/config/require_change_reason', admin.token, {
          value: true,
        });
        expect(on.status, on.text).toBe(200);
      }
      const refused = await call(app, 'PUT', `/api/v1/units/${unit.id}`, writer.token, {
        set_temperature: unit.set_temperature,
      });
      expect(refused.status).toBe(422);
    });

    it('another process picks the setting up on its next refresh', async () => {
      const stop = await startReasonSettingRefresh(db, 50);
      try {
        await db.query(`UPDATE system_config SET value = 'false'::jsonb WHERE key = 'require_change_reason'`);
        await sleep(300);
        expect(requireReason('a test')).toBeUndefined();
        await db.query(`UPDATE system_config SET value = 'true'::jsonb WHERE key = 'require_change_reason'`);
        await sleep(300);
        expect(() => requireReason('a test')).toThrow(/reason is required/);
      } finally {
        stop();
        await loadReasonSetting(db);
      }
    });

    it('db seed writes one entry per run with its counts, as cli:<user>', async () => {
      const e = await oneEntryOf(db, () => op('db.seed', { cliUser: 'carol' }));
      expect(e).toMatchObject({
        actor_kind: 'cli',
        actor_name: 'cli:carol',
        entity_type: 'customer',
        entity_id: null,
        customer_id: null,
        action: 'seed',
      });
      expect(e.changes._details).toMatchObject({
        customers_created: 0,
        facilities_created: 0,
        units_created: 0,
      });
    });

    it('first-start minting and seeding are the system actor: one entry per token, one for the seed', async () => {
      const fresh = await create();
      try {
        const seeded = await oneEntryOf(fresh.db, () =>
          runOpInProcess({ db: fresh.db, config: loadConfig(), clock: systemClock }, 'db.seed', {
            firstStart: true,
          }),
        );
        expect(seeded).toMatchObject({
          actor_kind: 'system',
          actor_name: 'system:first-start',
          action: 'seed',
        });
        expect(seeded.changes._details).toMatchObject({ customers_created: 10, units_created: 96 });
        const minted = await entriesOf(fresh.db, () => bootstrapTokens(fresh.db, async () => undefined));
        expect(minted).toHaveLength(11);
        for (const m of minted)
          expect(m).toMatchObject({
            actor_kind: 'system',
            actor_name: 'system:first-start',
            entity_type: 'token',
            action: 'create',
          });
        expect(minted.filter((m) => m.customer_id === null).map((m) => m.changes.token_name!.new)).toEqual([
          'Bootstrap admin token',
        ]);
        expect((await verifyAuditChain(fresh.db)).ok).toBe(true);
      } finally {
        await fresh.drop();
      }
    });
  });

  it('the chain is valid after all of it', async () => {
    const report = await verifyAuditChain(db);
    expect(report.ok, JSON.stringify(report.broken)).toBe(true);
    expect(report.verified).toBeGreaterThan(20);
  });
});

const pg = backendCases().some((c) => c.backend === 'postgres');

describe.skipIf(!pg)('tms tokens create|revoke --reason: the real binary [postgres]', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('writes one entry each, as cli:<os user>, with the reason', async () => {
    const env = { DATABASE_URL: t.url! };
    let id = '';
    const c = await oneEntryOf(t.db, async () => {
      const r = await runTms(
        ['tokens', 'create', '--customer', 'B', '--name', 'bin-made', '--reason', 'audit', '--json'],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      id = JSON.parse(r.stdout).id;
    });
    expect(c).toMatchObject({ actor_kind: 'cli', entity_id: id, action: 'create', reason: 'audit' });
    expect(c.actor_name).toMatch(/^cli:(?!unknown$)/);
    const r = await oneEntryOf(t.db, async () => {
      const out = await runTms(['tokens', 'revoke', id, '--reason', 'done'], env);
      expect(out.code, out.stderr).toBe(0);
    });
    expect(r).toMatchObject({ actor_kind: 'cli', entity_id: id, action: 'revoke', reason: 'done' });
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
