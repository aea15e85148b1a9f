import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEntries, asDba, swapEntries } from '../support/audit-fixtures.ts';
import { runTms } from '../support/cli.ts';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, series, unitsOf } from '../support/factories.ts';

// `tms db clean` and `tms audit list|verify` as an operator runs them, against PostgreSQL: a deletion
// needs a reason and leaves one entry; verify names the entry an administrator tampered with.

interface Entry {
  seq: number;
  actor: { kind: string; name: string };
  entity_type: string;
  action: string;
  changes: { _details?: Record<string, unknown> };
  reason: string | null;
}

describe('tms audit', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
    const unit = (await unitsOf(t.db, 'C'))[0]!;
    await insertReadings(t.db, series(unit, new Date(Date.now() - 20 * 60_000), 60, 10, 1));
    dir = await mkdtemp(path.join(os.tmpdir(), 'tms-cli-audit-'));
    env = { DATABASE_URL: t.url!, TMS_DATA_DIR: path.join(dir, 'data') };
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const readingsEntries = async (): Promise<Entry[]> => {
    const r = await runTms(['audit', 'list', '--entity-type', 'readings', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { items: Entry[] }).items;
  };

  it('db clean needs --reason to delete, and a dry run writes nothing', async () => {
    const refused = await runTms(['db', 'clean', '--customer', 'C', '--all', '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--reason/);
    const dry = await runTms(['db', 'clean', '--customer', 'C', '--all', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ matched: 10, deleted: 0 });
    expect(await readingsEntries()).toEqual([]);
  }, 120_000);

  it('db clean with a reason deletes and writes one entry as cli:<user>', async () => {
    const r = await runTms(
      [
        'db',
        'clean',
        '--customer',
        'C',
        '--newer-than',
        '1h',
        '--yes',
        '--reason',
        'test data from the demo',
      ],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Deleted 10 readings/);
    const entries = await readingsEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: { kind: 'cli', name: `cli:${os.userInfo().username}` },
      action: 'clean',
      reason: 'test data from the demo',
      changes: { _details: { customer: 'C', matched: 10, deleted: 10, all: false } },
    });
    const table = await runTms(['audit', 'list', '--customer', 'C'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^SEQ\s+AT\s+ACTOR\s+ENTITY/);
    expect(table.stdout).toMatch(/readings\s+-\s+clean\s+.*deleted=10.*test data from the demo/);
    const none = await runTms(['audit', 'list', '--customer', 'A', '--entity-type', 'readings'], env);
    expect(none.stdout).toBe('No audit entries\n');
    const bad = await runTms(['audit', 'list', '--since', 'last week'], env);
    expect(bad.code).toBe(2);
  }, 120_000);

  it('verify prints the count and head, and names a changed, deleted or swapped entry (exit 1)', async () => {
    await appendEntries(t.db, 5);
    const [{ n }] = (await t.db.query<{ n: number }>('SELECT max(seq)::int AS n FROM audit_log')) as [
      { n: number },
    ];
    const [head] = await t.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [n]);
    const ok = await runTms(['audit', 'verify'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`Audit chain OK: ${n} entries verified; head #${n} ${head!.hash}\n`);

    const k = n - 2;
    const [target] = await t.db.query<{ id: string }>('SELECT id FROM audit_log WHERE seq = $1', [k]);
    await asDba(t.db, (tx) => tx.query("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = $1", [k]));
    const changed = await runTms(['audit', 'verify'], env);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain(`BROKEN at entry #${k} (id ${target!.id}, at `);
    expect(changed.stdout).toMatch(/the entry was changed/);
    const json = await runTms(['audit', 'verify', '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      verified: k - 1,
      broken: { seq: k, id: target!.id },
    });

    await asDba(t.db, (tx) => tx.query('DELETE FROM audit_log WHERE seq = $1', [k]));
    const deleted = await runTms(['audit', 'verify'], env);
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toMatch(
      new RegExp(`BROKEN at entry #${k + 1} .*seq ${k + 1} where ${k} was expected`),
    );

    await swapEntries(t.db, 1, 2);
    const swapped = await runTms(['audit', 'verify'], env);
    expect(swapped.code).toBe(1);
    expect(swapped.stdout).toMatch(/BROKEN at entry #1 .*prev_hash does not match/);
  }, 120_000);
});
