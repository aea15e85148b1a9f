import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAlarm } from '../support/alarm-fixtures.ts';
import { runTms } from '../support/cli.ts';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet, unitsOf, type UnitRef } from '../support/factories.ts';

// `tms alarms list|show|ack|rules` as a user runs them, against a PostgreSQL database holding alarms
// written as the evaluator stores them.

describe('tms alarms', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  let unit: UnitRef;
  const ids = { open: '', closed: '', other: '' };

  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
    unit = (await unitsOf(t.db, 'A'))[0]!;
    const b = (await unitsOf(t.db, 'B'))[0]!;
    ids.open = await insertAlarm(t.db, { unit, startedAt: new Date(Date.now() - 3_600_000), peakC: 9.5 });
    ids.closed = await insertAlarm(t.db, {
      unit,
      severity: 'warning',
      startedAt: new Date(Date.now() - 86_400_000),
      clearedAt: new Date(Date.now() - 80_000_000),
      acknowledgedAt: new Date(Date.now() - 70_000_000),
    });
    ids.other = await insertAlarm(t.db, { unit: b, startedAt: new Date(Date.now() - 7_200_000) });
    dir = await mkdtemp(path.join(os.tmpdir(), 'tms-cli-alarms-'));
    env = { DATABASE_URL: t.url!, TMS_DATA_DIR: path.join(dir, 'data') };
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists open alarms of one customer or all, as a table or JSON', async () => {
    const json = await runTms(['alarms', 'list', '--state', 'open', '--customer', 'A', '--json'], env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout) as {
      items: Array<{ id: string; customer_code: string }>;
      total: number;
    };
    expect(r.items.map((a) => a.id)).toEqual([ids.open]);
    const table = await runTms(['alarms', 'list'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+STATE\s+SEVERITY/);
    for (const id of Object.values(ids)) expect(table.stdout).toContain(id);
    expect(table.stdout).toContain('9.5 °C');
    const bad = await runTms(['alarms', 'list', '--state', 'gone'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--state must be one of/);
  }, 120_000);

  it('shows one alarm with its events', async () => {
    const r = await runTms(['alarms', 'show', ids.open], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/State\s+active/);
    expect(r.stdout).toMatch(/Events:\n\s+\S+\s+started/);
    const missing = await runTms(['alarms', 'show', '00000000-0000-4000-8000-000000000000'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('tms: Alarm not found\n');
  }, 120_000);

  it('acknowledges with a required comment as cli:<user>, once', async () => {
    const none = await runTms(['alarms', 'ack', ids.open], env);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--comment/);
    const blank = await runTms(['alarms', 'ack', ids.open, '--comment', '  '], env);
    expect(blank.code).toBe(2);
    const ok = await runTms(['alarms', 'ack', ids.open, '--comment', 'Compressor reset', '--json'], env);
    expect(ok.stderr).toBe('');
    const a = JSON.parse(ok.stdout) as {
      state: string;
      acknowledged_by: string;
      comment: string;
      events: unknown[];
    };
    expect(a).toMatchObject({
      state: 'acknowledged',
      acknowledged_by: `cli:${os.userInfo().username}`,
      comment: 'Compressor reset',
    });
    expect(a.events).toContainEqual(
      expect.objectContaining({ type: 'acknowledged', by: `cli:${os.userInfo().username}`, token_id: null }),
    );
    const again = await runTms(['alarms', 'ack', ids.open, '--comment', 'again'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/acknowledged already/);
    const [row] = await t.db.query<{ acknowledged_by: string }>(
      'SELECT acknowledged_by FROM alarms WHERE id = $1',
      [ids.open],
    );
    expect(row!.acknowledged_by).toBe(`cli:${os.userInfo().username}`);
  }, 120_000);

  it('shows and sets a unit’s rules from a file, and resets them', async () => {
    const shown = await runTms(['alarms', 'rules', unit.id], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/rules from default, temperatures in °C/);
    expect(shown.stdout).toContain('high-critical');
    const file = path.join(dir, 'rules.json');
    await writeFile(
      file,
      JSON.stringify([{ kind: 'high', severity: 'critical', threshold: -60, delay_seconds: 300 }]),
    );
    const unreasoned = await runTms(['alarms', 'rules', unit.id, '--set', file], env);
    expect(unreasoned.code).toBe(2);
    expect(unreasoned.stderr).toMatch(/reason is required/);
    const set = await runTms(['alarms', 'rules', unit.id, '--set', file, '--reason', 'e2e', '--json'], env);
    expect(set.stderr).toBe('');
    expect(JSON.parse(set.stdout)).toMatchObject({
      source: 'unit',
      rules: [{ id: 'high-critical', threshold: -60, delay_seconds: 300 }],
    });
    await writeFile(file, JSON.stringify({ rules: [{ kind: 'high', severity: 'critical' }] }));
    const bad = await runTms(['alarms', 'rules', unit.id, '--set', file, '--reason', 'e2e'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/threshold is required/);
    const reset = await runTms(['alarms', 'rules', unit.id, '--reset', '--reason', 'e2e', '--json'], env);
    expect(JSON.parse(reset.stdout).source).toBe('default');
  }, 120_000);
});
