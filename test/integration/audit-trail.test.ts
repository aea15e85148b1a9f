import type { FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { cleanReadings } from '../../src/admin/clean-readings.ts';
import { cliActor, runAs } from '../../src/audit/context.ts';
import { recordAudit } from '../../src/audit/record.ts';
import { verifyAuditChain } from '../../src/audit/verify.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { call, testApp } from '../support/api.ts';
import { appendEntries, appendEntry, asDba, swapEntries } from '../support/audit-fixtures.ts';
import {
  backendCases,
  createPostgresDatabase,
  describeEachBackend,
  type TestDatabase,
} from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, series, tokenFor, unitsOf } from '../support/factories.ts';

// The audit trail (issue 12): the database refuses to change it or readings, a tampered chain is
// named at the right entry, concurrent writers on PostgreSQL keep one gapless chain, the API shows
// each customer its own entries, and `db clean` writes one entry per deletion.

const refused = async (p: Promise<unknown>, message: RegExp): Promise<void> => {
  await expect(p).rejects.toThrow(message);
};

describeEachBackend('audit trail: the database refuses changes', ({ create }) => {
  let t: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    await appendEntries(db, 3);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('refuses UPDATE, DELETE and TRUNCATE of audit_log', async () => {
    await refused(
      db.query("UPDATE audit_log SET reason = 'edited' WHERE seq = 2"),
      /append-only: UPDATE refused/,
    );
    await refused(db.query('DELETE FROM audit_log WHERE seq = 3'), /append-only: DELETE refused/);
    await refused(db.query('TRUNCATE audit_log'), /append-only: TRUNCATE refused/);
    const rows = await db.query<{ seq: number; reason: string }>(
      'SELECT seq::int AS seq, reason FROM audit_log ORDER BY seq',
    );
    expect(rows).toEqual([
      { seq: 1, reason: 'step 0' },
      { seq: 2, reason: 'step 1' },
      { seq: 3, reason: 'step 2' },
    ]);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('refuses UPDATE of a reading, and DELETE unless the transaction is marked audited', async () => {
    const unit = (await unitsOf(db, 'A'))[0]!;
    await insertReadings(db, series(unit, new Date(Date.UTC(2026, 0, 1)), 60, 5, 1));
    await refused(
      db.query('UPDATE temperature_readings SET temperature_c = 4 WHERE storage_unit_id = $1', [unit.id]),
      /immutable: UPDATE refused/,
    );
    await refused(
      db.query('DELETE FROM temperature_readings WHERE storage_unit_id = $1', [unit.id]),
      /deleted only by db clean or retention/,
    );
    // The mark is transaction-scoped: a later transaction without it is refused again.
    await db.transaction(async (tx) => {
      await tx.query("SELECT set_config('tms.reading_delete', 'audited', true)");
      await tx.query(
        "DELETE FROM temperature_readings WHERE storage_unit_id = $1 AND recorded_at < '2026-01-01T00:02:00Z'",
        [unit.id],
      );
    });
    await refused(
      db.query('DELETE FROM temperature_readings WHERE storage_unit_id = $1', [unit.id]),
      /deleted only by db clean or retention/,
    );
    const [n] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM temperature_readings WHERE storage_unit_id = $1',
      [unit.id],
    );
    expect(n!.n).toBe(3);
  });
});

describeEachBackend('audit trail: tampering is found and named', ({ create }) => {
  // Each case tampers with a chain of its own.
  const withChain = async (fn: (db: Db) => Promise<void>): Promise<void> => {
    const t = await create();
    try {
      await appendEntries(t.db, 6);
      expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, verified: 6, head: { seq: 6 } });
      await fn(t.db);
    } finally {
      await t.drop();
    }
  };

  it('an untampered chain verifies, with its head', async () => {
    await withChain(async (db) => {
      const [head] = await db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = 6');
      expect(await verifyAuditChain(db)).toEqual({
        ok: true,
        verified: 6,
        head: { seq: 6, hash: head!.hash },
      });
    });
  });

  it('a changed field breaks the chain at that entry', async () => {
    await withChain(async (db) => {
      await asDba(db, (tx) =>
        tx.query(`UPDATE audit_log SET changes = '{"limit": {"old": 3, "new": 40}}' WHERE seq = 4`),
      );
      const [e] = await db.query<{ id: string; at: Date }>('SELECT id, at FROM audit_log WHERE seq = 4');
      const r = await verifyAuditChain(db);
      expect(r).toMatchObject({
        ok: false,
        verified: 3,
        head: { seq: 3 },
        broken: { seq: 4, id: e!.id, at: e!.at.toISOString() },
      });
      expect(r.broken!.problem).toMatch(/does not match its contents/);
    });
  });

  it('an entry changed and re-hashed breaks the chain at the next one', async () => {
    await withChain(async (db) => {
      await asDba(db, (tx) =>
        tx.query("UPDATE audit_log SET reason = 'edited', hash = repeat('a', 64) WHERE seq = 2"),
      );
      const r = await verifyAuditChain(db);
      // The forged hash does not match entry 2's contents either; a forger who computed it right
      // would still leave entry 3 pointing at the old hash.
      expect(r.broken?.seq).toBe(2);
    });
  });

  it('a deleted entry breaks the chain at the entry after it', async () => {
    await withChain(async (db) => {
      await asDba(db, (tx) => tx.query('DELETE FROM audit_log WHERE seq = 3'));
      const r = await verifyAuditChain(db);
      expect(r).toMatchObject({ ok: false, verified: 2, broken: { seq: 4 } });
      expect(r.broken!.problem).toMatch(/seq 4 where 3 was expected/);
    });
  });

  it('a deleted first entry is found too', async () => {
    await withChain(async (db) => {
      await asDba(db, (tx) => tx.query('DELETE FROM audit_log WHERE seq = 1'));
      expect(await verifyAuditChain(db)).toMatchObject({
        ok: false,
        verified: 0,
        head: null,
        broken: { seq: 2 },
      });
    });
  });

  it('two swapped entries break the chain at the first of them', async () => {
    await withChain(async (db) => {
      await swapEntries(db, 3, 4);
      const r = await verifyAuditChain(db);
      expect(r).toMatchObject({ ok: false, verified: 2, broken: { seq: 3 } });
      expect(r.broken!.problem).toMatch(/prev_hash does not match/);
    });
  });
});

describe.runIf(backendCases().some((c) => c.backend === 'postgres'))(
  'audit trail: concurrent writers on PostgreSQL',
  () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createPostgresDatabase();
    });
    afterAll(async () => {
      await t?.drop();
    });

    it('8 connections appending 50 entries each keep one gapless chain', async () => {
      await t.db.query('CREATE TABLE writer_work (writer int, n int)');
      const writers = await Promise.all(
        Array.from({ length: 8 }, () => openPostgres({ url: t.url!, max: 1 })),
      );
      try {
        await Promise.all(
          writers.map(async (w, i) => {
            for (let n = 0; n < 50; n++)
              await runAs({ actor: cliActor(`writer${i}`) }, () =>
                w.transaction(async (tx) => {
                  // The transaction's own change first, then (for odd writers, sometimes) a pause
                  // before the append: the chain's head must be read under its lock, not earlier.
                  await tx.query('INSERT INTO writer_work VALUES ($1, $2)', [i, n]);
                  if (i % 2 === 1 && n % 5 === 0) await sleep(5 + ((i * 7 + n) % 11));
                  await recordAudit(tx, {
                    entityType: 'writer_work',
                    entityId: `${i}:${n}`,
                    customerId: null,
                    action: 'create',
                    after: { writer: i, n },
                  });
                }),
              );
          }),
        );
      } finally {
        await Promise.all(writers.map((w) => w.close()));
      }
      const rows = await t.db.query<{ seq: number; at: Date; actor_name: string }>(
        'SELECT seq::int AS seq, at, actor_name FROM audit_log ORDER BY seq',
      );
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      // Times never run backwards along the chain (stamped under the lock).
      for (let i = 1; i < rows.length; i++)
        expect(rows[i]!.at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.at.getTime());
      expect(new Set(rows.map((r) => r.actor_name)).size).toBe(8);
      expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, verified: 400, head: { seq: 400 } });
    }, 120_000);
  },
);

describeEachBackend('audit trail: API', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let ids: { a: string; b: string };
  let tokens: {
    aRead: { token: string; id: string; token_name: string };
    aWrite: { token: string; id: string; token_name: string };
    bRead: string;
    aLimited: string;
    admin: string;
  };

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    const [a] = await db.query<{ id: string }>("SELECT id FROM customers WHERE customer_code = 'A'");
    const [b] = await db.query<{ id: string }>("SELECT id FROM customers WHERE customer_code = 'B'");
    ids = { a: a!.id, b: b!.id };
    const unitA = (await unitsOf(db, 'A'))[0]!;
    tokens = {
      aRead: await tokenFor(db, 'A', ['read'], { name: 'A reader' }),
      aWrite: await tokenFor(db, 'A', ['read', 'write'], { name: 'A quality lead' }),
      bRead: (await tokenFor(db, 'B')).token,
      aLimited: (await tokenFor(db, 'A', ['read'], { accessibleUnits: [unitA.id] })).token,
      admin: (await tokenFor(db, null)).token,
    };
    app = await testApp(db);
    // A write route as the verbs have them: it records one audit entry for the caller's customer.
    // It exercises the real audit scope (actor from the token, reason from the body).
    app.post(
      '/test/audited-change',
      {
        config: { scope: 'write' },
        schema: { body: Type.Object({ entity_id: Type.String(), limit: Type.Number() }) },
      },
      async (req) => {
        const body = req.body as { entity_id: string; limit: number };
        const customerId = req.principal!.customerId;
        await db.transaction((tx) =>
          recordAudit(tx, {
            entityType: 'storage_unit',
            entityId: body.entity_id,
            customerId,
            action: 'update',
            before: { alarm_high_limit: 8 },
            after: { alarm_high_limit: body.limit },
            reasonRequired: true,
          }),
        );
        return { ok: true };
      },
    );
    await app.ready();
    // B's entries and a system-wide one, written directly.
    await appendEntry(db, { customerId: ids.b, entityId: 'b-unit', action: 'update' });
    await appendEntry(db, {
      customerId: null,
      entityType: 'config',
      entityId: 'data_retention_days',
      action: 'update',
    });
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it("records the token's name and the body's reason through a write route; a missing reason is a 422", async () => {
    const missing = await call(app, 'POST', '/test/audited-change', tokens.aWrite.token, {
      entity_id: 'a-unit-1',
      limit: 6,
    });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toMatch(/reason is required/);
    for (const [id, limit, reason] of [
      ['a-unit-1', 6, 'vaccines need 2–6 °C'],
      ['a-unit-2', 5, 'new product'],
      ['a-unit-1', 7, 'back to normal'],
    ] as const) {
      const r = await call(app, 'POST', '/test/audited-change', tokens.aWrite.token, {
        entity_id: id,
        limit,
        reason,
      });
      expect(r.status).toBe(200);
    }
    const list = await call(app, 'GET', '/api/v1/audit?entity_type=storage_unit', tokens.aRead.token);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 3, page: 1, page_size: 100, pages: 1 });
    // Newest first, with the token's name as the actor.
    expect(
      list.body.items.map((e: { entity_id: string; changes: unknown; reason: string }) => [
        e.entity_id,
        e.changes,
        e.reason,
      ]),
    ).toEqual([
      ['a-unit-1', { alarm_high_limit: { old: 8, new: 7 } }, 'back to normal'],
      ['a-unit-2', { alarm_high_limit: { old: 8, new: 5 } }, 'new product'],
      ['a-unit-1', { alarm_high_limit: { old: 8, new: 6 } }, 'vaccines need 2–6 °C'],
    ]);
    const e = list.body.items[0];
    expect(e.actor).toEqual({ kind: 'token', token_id: tokens.aWrite.id, name: 'A quality lead' });
    expect(e.customer_id).toBe(ids.a);
    expect(Object.keys(e).sort()).toEqual(
      [
        'id',
        'seq',
        'at',
        'actor',
        'customer_id',
        'entity_type',
        'entity_id',
        'action',
        'changes',
        'reason',
        'hash',
        'prev_hash',
      ].sort(),
    );
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(e.at).toMatch(/Z$/);
    const seqs = list.body.items.map((x: { seq: number }) => x.seq);
    expect(seqs).toEqual([...seqs].sort((x: number, y: number) => y - x));
  });

  it('filters by entity, action, actor and time, and pages', async () => {
    const get = async (q: string) => {
      const r = await call(app, 'GET', `/api/v1/audit?entity_type=storage_unit&${q}`, tokens.aRead.token);
      expect(r.status).toBe(200);
      return r.body as {
        items: Array<{ entity_id: string; reason: string; at: string }>;
        total: number;
        pages: number;
      };
    };
    expect((await get('entity_id=a-unit-1')).total).toBe(2);
    expect((await get('action=update')).total).toBe(3);
    expect((await get('action=delete')).total).toBe(0);
    expect((await get('actor=quality')).total).toBe(3);
    expect((await get('actor=QUALITY LEAD')).total).toBe(3);
    expect((await get(`actor=${tokens.aWrite.id}`)).total).toBe(3);
    expect((await get('actor=nobody')).total).toBe(0);
    const all = await get('');
    const oldest = all.items.at(-1)!;
    const after = await get(
      `start_date=${encodeURIComponent(new Date(Date.parse(oldest.at) + 1).toISOString())}`,
    );
    expect(after.items.map((x) => x.reason)).toEqual(['back to normal', 'new product']);
    expect(
      (await get(`end_date=${encodeURIComponent(new Date(Date.parse(oldest.at) + 1).toISOString())}`)).total,
    ).toBe(1);
    expect((await get('start_date=2000-01-01T00:00:00Z&end_date=2000-01-02T00:00:00Z')).total).toBe(0);
    const page2 = await get('limit=2&offset=2');
    expect(page2).toMatchObject({ total: 3, pages: 2 });
    expect(page2.items.map((x) => x.reason)).toEqual(['vaccines need 2–6 °C']);
    const bad = await call(app, 'GET', '/api/v1/audit?start_date=yesterday', tokens.aRead.token);
    expect(bad.status).toBe(422);
    const backwards = await call(
      app,
      'GET',
      '/api/v1/audit?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z',
      tokens.aRead.token,
    );
    expect(backwards.status).toBe(422);
  });

  it('shows a customer only its own entries; a unit-limited token gets 403; admins see all', async () => {
    const b = await call(app, 'GET', '/api/v1/audit', tokens.bRead);
    expect(b.status).toBe(200);
    expect(b.body.items.length).toBeGreaterThan(0);
    for (const e of b.body.items) expect(e.customer_id).toBe(ids.b);
    expect(JSON.stringify(b.body)).not.toContain('a-unit-');
    const a = await call(app, 'GET', '/api/v1/audit', tokens.aRead.token);
    for (const e of a.body.items) expect(e.customer_id).toBe(ids.a);
    expect(JSON.stringify(a.body)).not.toContain('b-unit');
    expect(JSON.stringify(a.body)).not.toContain('data_retention_days');

    const limited = await call(app, 'GET', '/api/v1/audit', tokens.aLimited);
    expect(limited.status).toBe(403);
    expect((await call(app, 'GET', '/api/v1/audit', tokens.admin)).status).toBe(403);

    const all = await call(app, 'GET', '/api/v1/admin/audit?limit=1000', tokens.admin);
    expect(all.status).toBe(200);
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')) as [
      { n: number },
    ];
    expect(all.body.total).toBe(n);
    const entities = all.body.items.map((e: { entity_id: string }) => e.entity_id);
    expect(entities).toEqual(
      expect.arrayContaining(['a-unit-1', 'a-unit-2', 'b-unit', 'data_retention_days']),
    );
    const onlyB = await call(app, 'GET', `/api/v1/admin/audit?customer_id=${ids.b}`, tokens.admin);
    expect(onlyB.body.total).toBe(b.body.total);
    for (const e of onlyB.body.items) expect(e.customer_id).toBe(ids.b);
    const cfg = await call(app, 'GET', '/api/v1/admin/audit?entity_type=config&actor=auditor', tokens.admin);
    expect(cfg.body.items.map((e: { entity_id: string }) => e.entity_id)).toEqual(['data_retention_days']);
    expect((await call(app, 'GET', '/api/v1/admin/audit', tokens.aRead.token)).status).toBe(403);
  });

  it('verifies the chain for an admin', async () => {
    const r = await call(app, 'GET', '/api/v1/admin/audit/verify', tokens.admin);
    expect(r.status).toBe(200);
    const [head] = await db.query<{ seq: number; hash: string }>(
      'SELECT seq::int AS seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
    );
    expect(r.body).toEqual({ ok: true, verified: head!.seq, head });
    await asDba(db, (tx) => tx.query("UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 2"));
    const broken = await call(app, 'GET', '/api/v1/admin/audit/verify', tokens.admin);
    expect(broken.body).toMatchObject({ ok: false, verified: 1, broken: { seq: 2 } });
    expect(broken.body.broken.problem).toMatch(/changed/);
    expect((await call(app, 'GET', '/api/v1/admin/audit/verify', tokens.aRead.token)).status).toBe(403);
  });
});

describeEachBackend('audit trail: db clean', ({ create }) => {
  let t: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    const [a, b] = [(await unitsOf(db, 'A'))[0]!, (await unitsOf(db, 'B'))[0]!];
    await insertReadings(db, series(a, new Date(Date.UTC(2026, 0, 1)), 60, 30, 1));
    await insertReadings(db, series(b, new Date(Date.UTC(2026, 0, 1)), 60, 30, 2));
  });
  afterAll(async () => {
    await t?.drop();
  });

  const cleanEntries = () =>
    db.query<{
      customer_id: string | null;
      changes: { _details: Record<string, unknown> };
      reason: string;
      actor_name: string;
    }>(
      "SELECT customer_id, changes, reason, actor_name FROM audit_log WHERE entity_type = 'readings' ORDER BY seq",
    );
  const asCli = <T>(reason: string | undefined, fn: () => Promise<T>) =>
    runAs({ actor: cliActor('ops'), reason }, fn);

  it('a dry run counts and writes nothing; a deletion without a reason is refused before any work', async () => {
    const [b] = await db.query<{ id: string }>("SELECT id FROM customers WHERE customer_code = 'B'");
    const filter = { customerId: b!.id, recordedBefore: new Date(Date.UTC(2026, 0, 1, 0, 10)) };
    const dry = await asCli(undefined, () => cleanReadings(db, { filter, customerCode: 'B', dryRun: true }));
    expect(dry).toEqual({ matched: 10, deleted: 0, remaining: 60 });
    await expect(
      asCli(undefined, () => cleanReadings(db, { filter, customerCode: 'B', dryRun: false })),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/reason is required/),
    });
    await expect(
      asCli('  ', () => cleanReadings(db, { filter, customerCode: 'B', dryRun: false })),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect(await cleanEntries()).toEqual([]);
    const [{ n }] = (await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM temperature_readings',
    )) as [{ n: number }];
    expect(n).toBe(60);
  });

  it('a deletion writes exactly one entry with the filter and the counts, in the same transaction', async () => {
    const [b] = await db.query<{ id: string }>("SELECT id FROM customers WHERE customer_code = 'B'");
    const filter = { customerId: b!.id, recordedBefore: new Date(Date.UTC(2026, 0, 1, 0, 10)) };
    const r = await asCli('customer asked to drop test data', () =>
      cleanReadings(db, { filter, customerCode: 'B', dryRun: false }),
    );
    expect(r).toEqual({ matched: 10, deleted: 10, remaining: 50 });
    expect(await cleanEntries()).toEqual([
      {
        customer_id: b!.id,
        actor_name: 'cli:ops',
        reason: 'customer asked to drop test data',
        changes: {
          _details: {
            ingested_after: null,
            recorded_before: '2026-01-01T00:10:00.000Z',
            customer: 'B',
            all: false,
            matched: 10,
            deleted: 10,
          },
        },
      },
    ]);
    const all = await asCli('wipe', () => cleanReadings(db, { filter: { all: true }, dryRun: false }));
    expect(all).toEqual({ matched: 50, deleted: 50, remaining: 0 });
    const entries = await cleanEntries();
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({
      customer_id: null,
      changes: { _details: { all: true, customer: null, deleted: 50 } },
    });
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });
});
