import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomPortBase, REPO_ROOT, runTms, startTms, type RunningTms } from '../support/cli.ts';

// What `npm start` promises, on the embedded store: every customer collected within 2 minutes, true
// counts in the ingestion log, `tms verify` clean for the last 10 minutes, and `tms import` working
// through the running process.

const fixture = (p: string) => path.join(REPO_ROOT, 'test/fixtures/seed', p);

interface Status {
  counts: Record<string, number>;
  recentLogs: {
    customer_code: string | null;
    status: string;
    records_processed: number;
    records_succeeded: number;
    records_duplicate: number;
    records_failed: number;
  }[];
}

describe('tms up (embedded) with ingestion, verify and import', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let up: RunningTms;
  let collectedMs: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tms-verify-'));
    const base = randomPortBase();
    env = {
      TMS_DATA_DIR: dataDir,
      PORT: String(base),
      SIM_PORT_START: String(base + 1),
      TMS_INITIAL_BACKFILL_HOURS: '1',
    };
    const t0 = Date.now();
    up = startTms(['up'], env);
    // Only once `tms up` owns the store may CLI commands run (they then go through its socket).
    while (!up.output().includes('tms is up')) {
      if (up.child.exitCode !== null || Date.now() - t0 > 60_000)
        throw new Error(`tms up did not start:\n${up.output()}`);
      await sleep(200);
    }
    for (;;) {
      const r = await runTms(['db', 'status', '--json'], env).catch(() => undefined);
      if (r?.code === 0) {
        const s = JSON.parse(r.stdout) as Status;
        const done = await runTms(['verify', '--customer', 'J', '--since', '10m', '--json'], env);
        if (
          (s.counts.ingestion_logs ?? 0) >= 10 &&
          done.code === 0 &&
          JSON.parse(done.stdout).high_water_mark
        )
          break;
      }
      if (Date.now() - t0 > 120_000) throw new Error(`not collected in 2 minutes:\n${up.output()}`);
      await sleep(1_000);
    }
    collectedMs = Date.now() - t0;
  }, 150_000);
  afterAll(async () => {
    await up?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('collects every customer A–J within 2 minutes and logs true counts', async () => {
    expect(collectedMs).toBeLessThan(120_000);
    const s = JSON.parse((await runTms(['db', 'status', '--json'], env)).stdout) as Status;
    expect(s.counts.temperature_readings).toBeGreaterThan(500);
    for (const l of s.recentLogs.filter((x) => x.status !== 'running')) {
      expect(l.records_succeeded + l.records_duplicate + l.records_failed).toBe(l.records_processed);
    }
  });

  it('exports the ingestion counters on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${env.PORT}/metrics`)).text();
    const value = (name: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.split(' ')[1]) : NaN;
    };
    expect(value('tms_readings_stored_total')).toBeGreaterThan(500);
    expect(text).toMatch(/^tms_ingestion_run_duration_seconds_count\{method="api",status="ok"\} [1-9]/m);
    expect(text).toMatch(/^tms_queue_depth \d+/m);
  });

  it('verifies the last 10 minutes of every customer: nothing missing or extra', async () => {
    let total = 0;
    for (const code of 'ABCDEFGHIJ') {
      const r = await runTms(['verify', '--customer', code, '--since', '10m', '--json'], env);
      expect(r.stderr).toBe('');
      expect(r.code, code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report, code).toMatchObject({ ok: true, missing: 0, extra: 0, mismatched: 0, warnings: [] });
      expect(report.high_water_mark, code).not.toBeNull();
      total += report.expected;
    }
    expect(total).toBeGreaterThan(100);
    const text = await runTms(['verify', '--customer', 'A', '--since', '10m'], env);
    expect(text.stdout).toContain('OK: nothing missing, extra or different.');
  });

  it('imports a file through the running process; the same file again stores nothing', async () => {
    const file = fixture('misc/customer_B_data.csv');
    const first = await runTms(['import', file, '--json'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)[0]).toMatchObject({
      status: 'imported',
      customer: 'B',
      rows: 176,
      stored: 176,
      rejected: 0,
    });
    const again = await runTms(['import', file], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('176 rows, 0 stored, 176 duplicates, 0 rejected');
  });

  it("refuses a file with another customer's data, with the reason", async () => {
    const r = await runTms(['import', fixture('simulator-csv-format/B_download_holding_G_data.csv')], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /REJECTED: .*named for customer B but its rows belong to customer G; nothing imported/,
    );
  });

  it('reports lost readings and exits 1', async () => {
    const clean = await runTms(
      ['db', 'clean', '--customer', 'D', '--newer-than', '1h', '--yes', '--reason', 'simulate lost readings'],
      env,
    );
    expect(clean.code).toBe(0);
    const r = await runTms(['verify', '--customer', 'D', '--since', '30m', '--json'], env);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.missing).toBeGreaterThan(0);
    expect(report.examples.missing[0].unit).toMatch(/^facility_D_\d+\/unit_D_/);
  });
});
