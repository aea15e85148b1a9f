import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTms } from '../support/cli.ts';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, series, unitsOf } from '../support/factories.ts';

// `tms retention run [--dry-run] [--json]` as an operator runs it, against PostgreSQL: a dry run says
// per customer what would go and changes nothing; a run deletes it in batches, keeps the rollups and
// leaves one audit entry per customer, by cli:<user>.

const DAY = 86_400_000;

interface Line {
  customer_code: string;
  retention_days: number;
  source: string;
  expired: number;
  deleted: number;
  batches: number;
}

describe('tms retention run', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  const count = async (code: string): Promise<number> =>
    (
      await t.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM temperature_readings r JOIN customers c ON c.id = r.customer_id WHERE c.customer_code = $1',
        [code],
      )
    )[0]!.n;
  const hourly = async (): Promise<number> =>
    (
      await t.db.query<{ n: number }>(
        'SELECT coalesce(sum(reading_count), 0)::int AS n FROM reading_rollups_hourly',
      )
    )[0]!.n;

  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
    await t.db.query("UPDATE system_config SET value = '30' WHERE key = 'data_retention_days'");
    await t.db.query("UPDATE customers SET data_retention_days = 2 WHERE customer_code = 'D'");
    const c = (await unitsOf(t.db, 'C'))[0]!;
    const d = (await unitsOf(t.db, 'D'))[0]!;
    // C: 20 readings 40 days ago (past the system's 30), 5 recent; D: 12 readings 5 days ago (past its 2).
    await insertReadings(t.db, series(c, new Date(Date.now() - 40 * DAY), 600, 20, 1));
    await insertReadings(t.db, series(c, new Date(Date.now() - 3_600_000), 600, 5, 2));
    await insertReadings(t.db, series(d, new Date(Date.now() - 5 * DAY), 600, 12, 3));
    dir = await mkdtemp(path.join(os.tmpdir(), 'tms-cli-retention-'));
    env = { DATABASE_URL: t.url!, TMS_DATA_DIR: path.join(dir, 'data') };
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const retentionEntries = async () => {
    const r = await runTms(
      ['audit', 'list', '--entity-type', 'readings', '--action', 'retention', '--json'],
      env,
    );
    expect(r.code).toBe(0);
    return (
      JSON.parse(r.stdout) as {
        items: Array<{ actor: { name: string }; changes: { _details: Record<string, unknown> } }>;
      }
    ).items;
  };

  it('--dry-run says per customer what would be deleted and changes nothing', async () => {
    const json = await runTms(['retention', 'run', '--dry-run', '--json'], env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout) as { dry_run: boolean; total: number; customers: Line[] };
    expect(r.dry_run).toBe(true);
    expect(r.total).toBe(32);
    const by = Object.fromEntries(r.customers.map((l) => [l.customer_code, l]));
    expect(by.C).toMatchObject({ retention_days: 30, source: 'system', expired: 20, deleted: 0 });
    expect(by.D).toMatchObject({ retention_days: 2, source: 'customer', expired: 12, deleted: 0 });
    // `tms db retention` is the same command.
    const text = await runTms(['db', 'retention', '--dry-run'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/would delete/);
    expect(text.stdout).toMatch(/^D\s+2d \(customer\)\s+\S+\s+12\s/m);
    expect(text.stdout).toMatch(/Dry run: 32 readings would be deleted; nothing changed/);
    expect([await count('C'), await count('D')]).toEqual([25, 12]);
    expect(await retentionEntries()).toEqual([]);
  }, 120_000);

  it('a run deletes in batches, keeps the rollups and the recent readings, one entry per customer', async () => {
    const rolled = await hourly();
    const r = await runTms(['retention', 'run', '--batch-size', '7', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { total: number; customers: Line[]; partitions_dropped: string[] };
    expect(out.total).toBe(32);
    const by = Object.fromEntries(out.customers.map((l) => [l.customer_code, l]));
    // Old readings go with their month's partition when that month ended before the cutoff of every
    // customer holding readings in it (here only their own customer), else in batches of 7: the real
    // clock decides which, so both are asserted.
    const whole = (daysAgo: number, keepDays: number) => {
      const at = new Date(Date.now() - daysAgo * DAY);
      const partition = `readings_${at.getUTCFullYear()}_${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
      const monthEnd = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
      const expected = monthEnd <= Math.floor((Date.now() - keepDays * DAY) / DAY) * DAY;
      expect(out.partitions_dropped.includes(partition), partition).toBe(expected);
      return expected;
    };
    expect(by.C).toMatchObject({ deleted: 20, batches: whole(40, 30) ? 0 : 3 });
    expect(by.D).toMatchObject({ deleted: 12, batches: whole(5, 2) ? 0 : 2 });
    expect([await count('C'), await count('D')]).toEqual([5, 0]);
    expect(await hourly()).toBe(rolled);
    const entries = await retentionEntries();
    // One per customer, and one per partition dropped.
    const perCustomer = entries.filter((e) => e.changes._details.partition === undefined);
    expect(perCustomer).toHaveLength(2);
    expect(entries.length - perCustomer.length).toBe(out.partitions_dropped.length);
    for (const e of entries) expect(e.actor.name).toBe(`cli:${os.userInfo().username}`);
    expect(perCustomer.map((e) => e.changes._details.deleted).sort()).toEqual([12, 20]);
    const verify = await runTms(['audit', 'verify'], env);
    expect(verify.code).toBe(0);
    const again = await runTms(['retention', 'run'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Deleted 0 readings/);
    expect(await retentionEntries()).toHaveLength(entries.length);
  }, 120_000);
});
