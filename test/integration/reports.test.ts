import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Db } from '../../src/db/types.ts';
import { fromCelsius } from '../../src/domain/units.ts';
import { runOpInProcess } from '../../src/ops/ops.ts';
import { reportFileFacts } from '../../src/reports/verify.ts';
import { insertAlarm } from '../support/alarm-fixtures.ts';
import { call, fixedClock, testApp } from '../support/api.ts';
import { runTms } from '../support/cli.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import {
  insertReadings,
  seedDefaultFleet,
  tokenFor,
  unitsOf,
  type FactoryReading,
  type UnitRef,
} from '../support/factories.ts';

// Issue 12 item 3: compliance reports. A fridge (limits 2–8 °C, a reading every 5 min) over two days
// with a known excursion (12 °C for 30 min), a 2 h gap, a failed read and an alarm acknowledged
// through the API with a comment; its PDF read back with pdftotext, its CSV against SQL, the hashes,
// `tms report verify` on the originals and on copies with one byte changed, and one audit entry per
// generation.

const run = promisify(execFile);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const D0 = Date.UTC(2026, 4, 10);
const NOW = new Date(D0 + 3 * DAY);
const STEP = 5 * MIN;
const EXCURSION = { from: D0 + DAY + 10 * HOUR, to: D0 + DAY + 10 * HOUR + 25 * MIN };
const GAP = { after: D0 + DAY + 15 * HOUR, before: D0 + DAY + 17 * HOUR };
const FAILED_AT = D0 + DAY + 5 * HOUR;
const COMMENT = 'Door left open during delivery; stock moved to backup fridge, QA informed';
const iso = (ms: number) => new Date(ms).toISOString();
const WINDOW = `start_date=${iso(D0)}&end_date=${iso(D0 + 2 * DAY)}`;

const fridgeReadings = (unit: UnitRef): FactoryReading[] => {
  const out: FactoryReading[] = [];
  for (let t = D0; t < D0 + 2 * DAY; t += STEP) {
    if (t > GAP.after && t < GAP.before) continue;
    const c =
      t === FAILED_AT ? null : t >= EXCURSION.from && t <= EXCURSION.to ? 12 : 5 + ((t / STEP) % 3) * 0.1;
    out.push({ unit, at: new Date(t), c });
  }
  return out;
};

const pdfText = async (dir: string, bytes: Buffer): Promise<string> => {
  const file = path.join(dir, `${createHash('sha256').update(bytes).digest('hex')}.pdf`);
  await writeFile(file, bytes);
  return (await run('pdftotext', ['-layout', file, '-'])).stdout;
};

/** The CSV's reading rows (not comments, not the column header). */
const csvRows = (text: string): string[][] =>
  text
    .split('\r\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .slice(1)
    .map((l) => l.split(','));

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** One byte of a copy changed, in the middle of the file. */
const tampered = (bytes: Buffer): Buffer => {
  const copy = Buffer.from(bytes);
  const i = Math.floor(copy.length / 2);
  copy[i] = copy[i] === 0x30 ? 0x31 : 0x30;
  return copy;
};

describeEachBackend('reports', ({ backend, create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let fridge: UnitRef;
  let sibling: UnitRef;
  let alarmId: string;
  let dir: string;
  const tokens: Record<string, string> = {};
  const get = (url: string, who = 'a') =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[who]}` } });
  const op = (name: string, args: Record<string, unknown>) =>
    runOpInProcess({ db, config: loadConfig(), clock: fixedClock(NOW) }, name, {
      cliUser: 'inspector',
      ...args,
    });

  beforeAll(async () => {
    t = await create();
    db = t.db;
    dir = await mkdtemp(path.join(os.tmpdir(), 'tms-reports-'));
    await seedDefaultFleet(db);
    const units = await unitsOf(db, 'A');
    fridge = units[0]!;
    sibling = units.find((u) => u.facility_id === fridge.facility_id && u.id !== fridge.id)!;
    const own = (c: number) => fromCelsius(c, fridge.temperature_unit);
    await db.query(
      'UPDATE storage_units SET alarm_low_limit = $2, alarm_high_limit = $3, data_frequency_seconds = 300 WHERE id = $1',
      [fridge.id, own(2), own(8)],
    );
    const siblingRows: FactoryReading[] = [];
    for (let ms = D0; ms < D0 + 2 * DAY; ms += 10 * MIN)
      siblingRows.push({ unit: sibling, at: new Date(ms), c: -18 });
    await insertReadings(db, [...fridgeReadings(fridge), ...siblingRows]);
    alarmId = await insertAlarm(db, {
      unit: fridge,
      startedAt: new Date(EXCURSION.from),
      clearedAt: new Date(EXCURSION.to + 10 * MIN),
      thresholdC: 8,
      peakC: 12,
    });
    tokens.a = (await tokenFor(db, 'A', ['read', 'write'], { name: 'qa-desk' })).token;
    tokens.b = (await tokenFor(db, 'B')).token;
    tokens.onlyFridge = (
      await tokenFor(db, 'A', ['read'], { accessibleUnits: [fridge.id], name: 'fridge-only' })
    ).token;
    app = await testApp(db, fixedClock(NOW));
    await app.ready();
    const ack = await call(app, 'POST', `/api/v1/alarms/${alarmId}/acknowledge`, tokens.a, {
      comment: COMMENT,
    });
    expect(ack.status).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('draws a PDF whose text shows the MKT of GET /analytics/compliance, the unit, the alarm with its acknowledgement, and the hashes', async () => {
    const res = await get(`/api/v1/reports/unit/${fridge.id}.pdf?${WINDOW}&tz=UTC`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(
        `^attachment; filename="tms-report-[\\w.-]*${fridge.unit_code}-2026-05-10-2026-05-11\\.pdf"$`,
      ),
    );
    const bytes = res.rawPayload;
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const reportId = String(res.headers['x-report-id']);
    const dataSha = String(res.headers['x-data-sha256']);
    expect(res.headers['x-file-sha256']).toBe(sha(bytes));

    const compliance = await call(
      app,
      'GET',
      `/api/v1/analytics/compliance?storage_unit_id=${fridge.id}&${WINDOW}`,
      tokens.a,
    );
    expect(compliance.status).toBe(200);
    const f = compliance.body;
    expect(f.excursions).toBe(1);

    const text = await pdfText(dir, bytes);
    const flat = text.replace(/\s+/g, ' ');
    expect(text).toMatch(new RegExp(`Mean kinetic temperature \\(MKT\\)\\s+${f.mkt_c.toFixed(2)} °C`));
    expect(text).toMatch(new RegExp(`Maximum\\s+${f.max_c.toFixed(2)} °C`));
    expect(text).toMatch(/Excursions\s+1 \(30 min outside the limits\)/);
    expect(text).toContain(fridge.unit_code);
    const [customer] = await db.query<{ name: string }>('SELECT name FROM customers WHERE id = $1', [
      fridge.customer_id,
    ]);
    expect(text).toContain(customer!.name);
    expect(flat).toContain('critical high alarm, started 2026-05-11 10:00');
    expect(flat).toContain(`Acknowledged 2026-05-13 00:00 by qa-desk: ${COMMENT}`);
    // The 2 h gap (15:00 to 17:00) is listed.
    expect(flat).toMatch(/2026-05-11 15:00 to 2026-05-11 17:00 \(2 h 00 min\)/);
    expect(flat).toContain(`Report id ${reportId}`);
    expect(flat).toContain(`Data SHA-256 ${dataSha}`);
    expect(flat).toContain('Generated by qa-desk');
  });

  it('writes a CSV with every reading of the window (a SQL count), the header block and a data hash anyone can recompute', async () => {
    const res = await get(`/api/v1/reports/unit/${fridge.id}.csv?${WINDOW}&unit=F`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename=".*\.csv"$/);
    const text = res.body;
    const [{ n }] = (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM temperature_readings
       WHERE storage_unit_id = $1 AND recorded_at >= $2 AND recorded_at < $3`,
      [fridge.id, new Date(D0), new Date(D0 + 2 * DAY)],
    )) as [{ n: number }];
    const rows = csvRows(text);
    expect(rows.length).toBe(n);
    expect(n).toBe(fridgeReadings(fridge).length);
    expect(text).toContain(`# report_id: ${res.headers['x-report-id']}\r\n`);
    expect(text).toContain('# time_zone: Europe/London\r\n'); // customer A's zone, the default
    expect(text).toContain('# generated_by: qa-desk\r\n');
    expect(text).toMatch(/# figures: mkt_c=[\d.]+ .* excursions=1 /);
    expect(text.endsWith(`# data_sha256: ${res.headers['x-data-sha256']}\r\n`)).toBe(true);
    const header = text.split('\r\n').find((l) => l.startsWith('unit_id,'));
    expect(header).toBe(
      'unit_id,unit_code,recorded_at_local,recorded_at_utc,temperature_c,temperature_f,quality_score,equipment_status',
    );
    // The failed read: no temperature, status failure.
    const failed = rows.find((r) => r[3] === iso(FAILED_AT))!;
    expect(failed.slice(4, 6)).toEqual(['', '']);
    expect(failed[7]).toBe('failure');
    expect(rows.find((r) => r[3] === iso(EXCURSION.from))!.slice(4, 6)).toEqual(['12', '53.6']);
    // The recipe of the header, from the file alone.
    const unitSha = sha(rows.map((r) => `${r[0]},${r[3]},${r[4]}\n`).join(''));
    expect(sha(`${fridge.id},${unitSha}\n`)).toBe(res.headers['x-data-sha256']);
  });

  it('reads naive dates in tz and names the zone', async () => {
    const res = await get(
      `/api/v1/reports/unit/${fridge.id}.csv?start_date=2026-05-10&end_date=2026-05-11&tz=Europe/Berlin`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('# range_start: 2026-05-10T00:00:00.000+02:00 (2026-05-09T22:00:00.000Z)\r\n');
    const rows = csvRows(res.body);
    expect(rows[0]![2]).toBe('2026-05-10T02:00:00.000+02:00');
    expect(rows[0]![3]).toBe('2026-05-10T00:00:00.000Z');
  });

  it('refuses a missing or reversed window, more than 366 days and an unknown zone (422)', async () => {
    for (const q of [
      '',
      `start_date=${iso(D0)}`,
      `start_date=${iso(D0 + DAY)}&end_date=${iso(D0)}`,
      `start_date=2025-01-01&end_date=2026-01-03`,
      `${WINDOW}&tz=Mars/Olympus`,
    ]) {
      const res = await get(`/api/v1/reports/unit/${fridge.id}.pdf?${q}`);
      expect({ q, status: res.statusCode }).toEqual({ q, status: 422 });
    }
  });

  it("keeps tenants apart: another customer's unit or facility is a 404, a unit-limited token gets only its units", async () => {
    for (const url of [
      `/api/v1/reports/unit/${fridge.id}.pdf?${WINDOW}`,
      `/api/v1/reports/facility/${fridge.facility_id}.csv?${WINDOW}`,
    ])
      expect((await get(url, 'b')).statusCode).toBe(404);
    expect((await get(`/api/v1/reports/unit/${sibling.id}.csv?${WINDOW}`, 'onlyFridge')).statusCode).toBe(
      404,
    );
    const limited = await get(`/api/v1/reports/facility/${fridge.facility_id}.csv?${WINDOW}`, 'onlyFridge');
    expect(limited.statusCode).toBe(200);
    const ids = new Set(csvRows(limited.body).map((r) => r[0]));
    expect([...ids]).toEqual([fridge.id]);
    expect(limited.body).not.toContain(sibling.id);
    const all = await get(`/api/v1/reports/facility/${fridge.facility_id}.csv?${WINDOW}`);
    expect(new Set(csvRows(all.body).map((r) => r[0]))).toEqual(new Set([fridge.id, sibling.id]));
  });

  it('draws a facility PDF with a summary table and one section per unit', async () => {
    const res = await get(`/api/v1/reports/facility/${fridge.facility_id}.pdf?${WINDOW}`);
    expect(res.statusCode).toBe(200);
    const text = await pdfText(dir, res.rawPayload);
    const units = await db.query<{ unit_code: string }>(
      'SELECT unit_code FROM storage_units WHERE facility_id = $1 ORDER BY unit_code',
      [fridge.facility_id],
    );
    expect(text).toContain('Summary of all units');
    for (const u of units) expect(text).toMatch(new RegExp(`Storage unit .*${u.unit_code}`));
    // A page per unit after the summary page.
    expect(text.split('\f').filter((p) => p.trim() !== '').length).toBeGreaterThanOrEqual(units.length + 1);
    expect(text).toContain(COMMENT.slice(0, 30));
  });

  it('tms report verify passes on the originals and calls a copy with one byte changed a modified copy', async () => {
    const made = (await op('report.unit', {
      key: fridge.id,
      from: iso(D0),
      to: iso(D0 + 2 * DAY),
      format: 'pdf',
    })) as { report_id: string; bytes_base64: string; file_sha256: string };
    const pdf = Buffer.from(made.bytes_base64, 'base64');
    expect(sha(pdf)).toBe(made.file_sha256);
    const csv = (await get(`/api/v1/reports/unit/${fridge.id}.csv?${WINDOW}`)).rawPayload;
    for (const bytes of [pdf, csv]) {
      const ok = (await op('report.verify', { ...reportFileFacts(bytes) })) as {
        ok: boolean;
        message: string;
      };
      expect(ok.ok).toBe(true);
      expect(ok.message).toMatch(/^OK: report [0-9a-f-]{36} /);
      const bad = (await op('report.verify', { ...reportFileFacts(tampered(bytes)) })) as {
        ok: boolean;
        problem: string;
        message: string;
      };
      expect(bad).toMatchObject({ ok: false, problem: 'modified_copy' });
      expect(bad.message).toMatch(/^Modified copy/);
    }
    if (backend !== 'postgres') return;
    // The CLI itself, on the same PostgreSQL database: exit 0 and OK, exit 1 for the copy.
    const file = path.join(dir, 'report.pdf');
    await writeFile(file, pdf);
    const good = await runTms(['report', 'verify', file], { DATABASE_URL: t.url! });
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(`OK: report ${made.report_id}`);
    await writeFile(file, tampered(pdf));
    const bad = await runTms(['report', 'verify', file], { DATABASE_URL: t.url! });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('Modified copy');
  });

  it('writes one audit entry and one generated_reports row per generation, with the same hashes', async () => {
    const before = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE entity_type = 'report' AND action = 'generate'`,
    );
    const res = await get(`/api/v1/reports/facility/${fridge.facility_id}.csv?${WINDOW}`);
    const id = String(res.headers['x-report-id']);
    const entries = await db.query<{
      entity_id: string;
      actor_name: string;
      customer_id: string;
      changes: { _details: Record<string, unknown> };
    }>(
      `SELECT entity_id, actor_name, customer_id, changes FROM audit_log WHERE entity_type = 'report' AND action = 'generate' AND entity_id = $1`,
      [id],
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actor_name).toBe('qa-desk');
    expect(entries[0]!.customer_id).toBe(fridge.customer_id);
    expect(entries[0]!.changes._details).toEqual({
      kind: 'facility',
      entity_id: fridge.facility_id,
      range: { start: iso(D0), end: iso(D0 + 2 * DAY) },
      tz: 'Europe/London',
      format: 'csv',
      data_sha256: res.headers['x-data-sha256'],
      file_sha256: sha(res.rawPayload),
    });
    const after = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE entity_type = 'report' AND action = 'generate'`,
    );
    expect(after[0]!.n).toBe(before[0]!.n + 1);
    const [row] = await db.query<{
      kind: string;
      format: string;
      file_sha256: string;
      data_sha256: string;
      generated_by: string;
    }>('SELECT kind, format, file_sha256, data_sha256, generated_by FROM generated_reports WHERE id = $1', [
      id,
    ]);
    expect(row).toEqual({
      kind: 'facility',
      format: 'csv',
      file_sha256: sha(res.rawPayload),
      data_sha256: res.headers['x-data-sha256'],
      generated_by: 'qa-desk',
    });
    // Every report so far has exactly one entry.
    const [counts] = await db.query<{ reports: number; entries: number }>(
      `SELECT (SELECT count(*)::int FROM generated_reports) AS reports,
              (SELECT count(*)::int FROM audit_log WHERE entity_type = 'report' AND action = 'generate') AS entries`,
    );
    expect(counts!.entries).toBe(counts!.reports);
  });

  it('says "data changed since" when a reading of the window was deleted after the report (audited deletion)', async () => {
    const res = await get(`/api/v1/reports/unit/${fridge.id}.csv?${WINDOW}`);
    const bytes = res.rawPayload;
    await db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('tms.reading_delete', 'audited', true)`);
      await tx.query('DELETE FROM temperature_readings WHERE storage_unit_id = $1 AND recorded_at = $2', [
        fridge.id,
        new Date(D0 + HOUR),
      ]);
    });
    const r = (await op('report.verify', { ...reportFileFacts(bytes) })) as {
      ok: boolean;
      problem: string;
      changedUnits: string[];
      message: string;
    };
    expect(r).toMatchObject({ ok: false, problem: 'data_changed', changedUnits: [fridge.unit_code] });
    expect(r.message).toMatch(/^Data changed since report/);
  });
});
