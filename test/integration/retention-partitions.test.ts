import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRetention } from '../../src/admin/retention.ts';
import { systemActor } from '../../src/audit/context.ts';
import { verifyAuditChain } from '../../src/audit/verify.ts';
import type { Db } from '../../src/db/types.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, series, unitsOf, type UnitRef } from '../support/factories.ts';

// Retention on monthly partitions (issue 13 item 2): a month goes whole when every customer with
// readings in it is past its cutoff; a customer whose retention is longer keeps that month in place,
// and the other customers' readings there are deleted in batches. Boundaries: a customer override
// shorter and one longer than the system value, and readings exactly at each cutoff.

const NOW = new Date('2026-06-15T12:00:00Z');
const clock = fixedClock(NOW);
const MIN = 60_000;
const SYSTEM_CUTOFF = new Date('2026-05-16T00:00:00Z'); // 30 days (system) back, to UTC midnight
const B_CUTOFF = new Date('2026-06-05T00:00:00Z'); // B keeps 10 days: shorter than the system
const C_CUTOFF = new Date('2026-03-07T00:00:00Z'); // C keeps 100 days: longer than the system

const count = async (db: Db, unit: UnitRef, from: string | Date, to: string | Date): Promise<number> =>
  (
    await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM temperature_readings
       WHERE storage_unit_id = $1 AND recorded_at >= $2 AND recorded_at < $3`,
      [unit.id, from, to],
    )
  )[0]!.n;

const partitions = async (db: Db): Promise<string[]> =>
  (
    await db.query<{ name: string }>(
      `SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'readings'::regclass ORDER BY 1`,
    )
  ).map((r) => r.name);

/** Readings every `minutes` over [from, to). */
const span = (unit: UnitRef, from: string | Date, to: string | Date, minutes: number, seed: number) => {
  const f = new Date(from).getTime();
  return series(
    unit,
    new Date(f),
    minutes * 60,
    Math.floor((new Date(to).getTime() - f) / (minutes * MIN)),
    seed,
  );
};

describeEachBackend('retention by partition', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let a: UnitRef;
  let b: UnitRef;
  let c: UnitRef;

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    await db.query("UPDATE system_config SET value = '30' WHERE key = 'data_retention_days'");
    a = (await unitsOf(db, 'A'))[0]!;
    b = (await unitsOf(db, 'B'))[0]!;
    c = (await unitsOf(db, 'C'))[0]!;
    await db.query("UPDATE customers SET data_retention_days = 10 WHERE customer_code = 'B'");
    await db.query("UPDATE customers SET data_retention_days = 100 WHERE customer_code = 'C'");
    // A (system, 30 d): March to 20 May. B (10 d): March, and 1 to 14 June. C (100 d): April only.
    await insertReadings(db, span(a, '2026-03-01T00:00:00Z', '2026-05-20T00:00:00Z', 60, 1));
    await insertReadings(db, span(b, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z', 60, 2));
    await insertReadings(db, span(b, '2026-06-01T00:00:00Z', '2026-06-14T00:00:00Z', 30, 3));
    await insertReadings(db, span(c, '2026-04-01T00:00:00Z', '2026-05-01T00:00:00Z', 60, 4));
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('stores readings in monthly partitions created on demand', async () => {
    expect(await partitions(db)).toEqual(
      expect.arrayContaining([
        'readings_2026_03',
        'readings_2026_04',
        'readings_2026_05',
        'readings_2026_06',
      ]),
    );
    const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings_2026_03');
    expect(row!.n).toBe(2 * 31 * 24);
  });

  it('a dry run names the month that would go whole and changes nothing', async () => {
    const r = await runRetention({ db, clock }, { dryRun: true });
    expect(r.partitions_dropped).toEqual(['readings_2026_03']);
    const byCode = Object.fromEntries(r.customers.map((x) => [x.customer_code, x]));
    // A: all of March and April, and 1 to 15 May; B: March and 1 to 4 June; C: nothing.
    expect(byCode.A!.expired).toBe((31 + 30 + 15) * 24);
    expect(byCode.B!.expired).toBe(31 * 24 + 4 * 48);
    expect(byCode.C!.expired).toBe(0);
    expect(byCode.B!.cutoff).toEqual(B_CUTOFF);
    expect(byCode.C!.cutoff).toEqual(C_CUTOFF);
    expect(await partitions(db)).toContain('readings_2026_03');
  });

  it('drops the month every holder is past, deletes the rest in batches, keeps each newest reading', async () => {
    const newest = async (u: UnitRef) =>
      (
        await db.query<{ at: Date }>(
          'SELECT max(recorded_at) AS at FROM temperature_readings WHERE storage_unit_id = $1',
          [u.id],
        )
      )[0]!.at;
    const newestBefore = await Promise.all([a, b, c].map(newest));
    const cApril = await count(db, c, '2026-04-01', '2026-05-01');

    const r = await runRetention({ db, clock }, { batchSize: 500, actor: systemActor('retention') });
    expect(r.partitions_dropped).toEqual(['readings_2026_03']);
    expect(await partitions(db)).not.toContain('readings_2026_03');
    // The months ahead exist already.
    expect(await partitions(db)).toEqual(expect.arrayContaining(['readings_2026_07', 'readings_2026_08']));

    // A: March dropped, April deleted in batches under C's longer retention, May up to the cutoff.
    expect(await count(db, a, '2026-03-01', SYSTEM_CUTOFF)).toBe(0);
    expect(await count(db, a, SYSTEM_CUTOFF, '2026-06-01')).toBe(4 * 24);
    // Exactly at the cutoff: kept; one step before it: gone.
    expect(await count(db, a, SYSTEM_CUTOFF, new Date(SYSTEM_CUTOFF.getTime() + 1))).toBe(1);
    // B (shorter than the system): March dropped, June before its cutoff deleted, from it kept.
    expect(await count(db, b, '2026-03-01', B_CUTOFF)).toBe(0);
    expect(await count(db, b, B_CUTOFF, '2026-07-01')).toBe(9 * 48);
    // C (longer than the system): its April is all within its 100 days, kept in place.
    expect(await count(db, c, '2026-04-01', '2026-05-01')).toBe(cApril);
    expect(await Promise.all([a, b, c].map(newest))).toEqual(newestBefore);

    const byCode = Object.fromEntries(r.customers.map((x) => [x.customer_code, x]));
    expect(byCode.A!.deleted).toBe((31 + 30 + 15) * 24);
    expect(byCode.B!.deleted).toBe(31 * 24 + 4 * 48);
    expect(byCode.C!.deleted).toBe(0);

    // One entry per customer that lost readings, and one for the dropped month; the chain holds.
    const entries = await db.query<{
      customer_id: string | null;
      changes: { _details: Record<string, unknown> };
    }>(
      "SELECT customer_id, changes FROM audit_log WHERE entity_type = 'readings' AND action = 'retention' ORDER BY seq",
    );
    expect(entries.filter((e) => e.customer_id === a.customer_id)).toHaveLength(1);
    expect(entries.filter((e) => e.customer_id === b.customer_id)).toHaveLength(1);
    expect(entries.filter((e) => e.customer_id === c.customer_id)).toHaveLength(0);
    expect(entries.find((e) => e.customer_id === null)!.changes._details).toMatchObject({
      partition: 'readings_2026_03',
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
    });
    expect((await verifyAuditChain(db)).ok).toBe(true);

    // The hourly rollups of the dropped month are kept.
    const [roll] = await db.query<{ n: number }>(
      `SELECT sum(reading_count)::int AS n FROM reading_rollups_hourly
       WHERE storage_unit_id = $1 AND bucket_start < '2026-04-01'`,
      [a.id],
    );
    expect(roll!.n).toBe(31 * 24);
  });

  it('a late reading for a dropped month gets its partition back, and the next run removes it', async () => {
    await insertReadings(db, span(a, '2026-03-10T00:00:00Z', '2026-03-10T02:00:00Z', 60, 9));
    expect(await count(db, a, '2026-03-01', '2026-04-01')).toBe(2);
    const r = await runRetention({ db, clock });
    expect(r.partitions_dropped).toEqual(['readings_2026_03']);
    expect(await count(db, a, '2026-03-01', '2026-04-01')).toBe(0);
  });
});
