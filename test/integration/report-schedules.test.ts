import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../src/alarms/deliver-email.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { periodStartAtOrBefore } from '../../src/domain/report-periods.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { MAX_SCHEDULE_ATTEMPTS, runDueSchedules } from '../../src/reports/schedule-runner.ts';
import { loadConfig } from '../../src/config/config.ts';
import { runOpInProcess } from '../../src/ops/ops.ts';
import { call, testApp } from '../support/api.ts';
import { runTms } from '../support/cli.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import {
  facilitiesOf,
  insertReadings,
  seedDefaultFleet,
  tokenFor,
  unitsOf,
  type FactoryReading,
} from '../support/factories.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from '../support/notify-servers.ts';

// Issue 12 item 3: scheduled facility reports. The API (CRUD, validation, tenants, audit), and the
// ingest role's due job with fixed clocks against a real SMTP server: one e-mail per period with the
// PDF attached (read back with pdftotext), never twice (twice in a row, two workers at once on
// PostgreSQL), retries of a failed send, `interrupted` after a crash, the report audited as
// system:scheduled-report.

const run = promisify(execFile);
const log = createLogger('silent', false);
const HOUR = 3_600_000;
const CREATED = new Date('2026-05-20T10:00:00Z');
// Berlin (UTC+2 in summer): May is [2026-04-30T22:00Z, 2026-05-31T22:00Z); the job runs an hour later.
const MAY_START = '2026-04-30T22:00:00.000Z';
const MAY_END = '2026-05-31T22:00:00.000Z';
const RUN_AT = new Date('2026-05-31T23:00:00Z');

/** The attachments of a raw MIME message: content type, file name and decoded bytes. */
const attachmentsOf = (m: ReceivedMail) => {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(m.raw)?.[1];
  if (!boundary) return [];
  return m.raw
    .split(`--${boundary}`)
    .filter((p) => /content-disposition:\s*attachment/i.test(p))
    .map((p) => {
      const [head = '', body = ''] =
        p.split(/\r?\n\r?\n/, 2).length === 2
          ? [p.slice(0, p.search(/\r?\n\r?\n/)), p.slice(p.search(/\r?\n\r?\n/)).trim()]
          : [p, ''];
      return {
        contentType: /content-type:\s*([^;\r\n]+)/i.exec(head)?.[1]?.trim(),
        fileName: /filename="?([^";\r\n]+)"?/i.exec(head)?.[1],
        bytes: Buffer.from(body.replace(/\s+/g, ''), 'base64'),
      };
    });
};

describeEachBackend('report schedules', ({ backend, create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let smtp: SmtpTestServer;
  let mailer: Mailer;
  let dir: string;
  let facilityId: string;
  let otherFacilityId: string;
  let foreignFacilityId: string;
  let emailChannel: string;
  let webhookChannel: string;
  const tokens: Record<string, string> = {};
  const api = (method: string, url: string, who = 'a', body?: unknown) =>
    call(app, method, url, tokens[who], body);
  const due = (at: Date | string, m: Mailer = mailer, on: Db = db) =>
    runDueSchedules({ db: on, clock: fixedClock(at), log, mailer: m });
  const scheduleRow = async (id: string) =>
    (
      await db.query<{
        next_run_at: Date;
        period_end_at: Date;
        attempts: number;
        last_status: string | null;
        last_error: string | null;
        retry_channel_ids: string[] | null;
      }>('SELECT * FROM report_schedules WHERE id = $1', [id])
    )[0]!;
  const auditOf = (entityType: string, entityId?: string) =>
    db.query<{ action: string; actor_name: string; reason: string | null; changes: Record<string, unknown> }>(
      `SELECT action, actor_name, reason, changes FROM audit_log WHERE entity_type = $1 AND ($2::text IS NULL OR entity_id = $2) ORDER BY seq`,
      [entityType, entityId ?? null],
    );

  beforeAll(async () => {
    t = await create();
    db = t.db;
    dir = await mkdtemp(path.join(os.tmpdir(), 'tms-schedules-'));
    smtp = await startSmtpServer();
    mailer = createMailer({ smtpUrl: smtp.url, mailFrom: 'tms@pharmacy.test' });
    await seedDefaultFleet(db);
    const [f1, f2] = await facilitiesOf(db, 'A');
    facilityId = f1!;
    otherFacilityId = f2 ?? f1!;
    foreignFacilityId = (await facilitiesOf(db, 'B'))[0]!;
    // Hourly readings of one unit of the facility through May (Berlin).
    const unit = (await unitsOf(db, 'A')).find((u) => u.facility_id === facilityId)!;
    const rows: FactoryReading[] = [];
    for (let ms = Date.parse(MAY_START); ms < Date.parse(MAY_END); ms += HOUR)
      rows.push({ unit, at: new Date(ms), c: 4.5 });
    await insertReadings(db, rows);
    tokens.a = (await tokenFor(db, 'A', ['read', 'write'], { name: 'qa-desk' })).token;
    tokens.aRead = (await tokenFor(db, 'A', ['read'])).token;
    tokens.aUnit = (await tokenFor(db, 'A', ['read', 'write'], { accessibleUnits: [unit.id] })).token;
    tokens.b = (await tokenFor(db, 'B', ['read', 'write'])).token;
    app = await testApp(db, fixedClock(CREATED));
    await app.ready();
    const mail = await api('POST', '/api/v1/notification-channels', 'a', {
      type: 'email',
      target: 'qa@pharmacy.test',
    });
    expect(mail.status).toBe(201);
    emailChannel = mail.body.id;
    const [hook] = await db.query<{ id: string }>(
      `INSERT INTO notification_channels (customer_id, type, target) SELECT customer_id, 'webhook', 'https://example.com/h' FROM facilities WHERE id = $1 RETURNING id`,
      [facilityId],
    );
    webhookChannel = hook!.id;
  });
  afterAll(async () => {
    await app?.close();
    mailer?.close();
    await smtp?.close();
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates, lists, changes and deletes schedules, each change audited', async () => {
    const created = await api('POST', '/api/v1/report-schedules', 'a', {
      facility_id: otherFacilityId,
      period: 'weekly',
      tz: 'UTC',
      reason: 'QA wants Monday reports',
    });
    expect(created.status).toBe(201);
    const s = created.body;
    // Wednesday 2026-05-20: the first report covers the week of Monday 2026-05-18.
    expect(s).toMatchObject({
      facility_id: otherFacilityId,
      period: 'weekly',
      format: 'pdf',
      tz: 'UTC',
      channel_ids: null,
      enabled: true,
      next_period_start: '2026-05-18T00:00:00.000Z',
      next_period_end: '2026-05-25T00:00:00.000Z',
      next_run_at: '2026-05-25T01:00:00.000Z',
      last_status: null,
    });
    expect((await api('GET', '/api/v1/report-schedules')).body.map((x: { id: string }) => x.id)).toContain(
      s.id,
    );
    expect((await api('GET', `/api/v1/report-schedules/${s.id}`)).body.id).toBe(s.id);

    const changed = await api('PATCH', `/api/v1/report-schedules/${s.id}`, 'a', {
      period: 'monthly',
      channel_ids: [emailChannel],
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      period: 'monthly',
      channel_ids: [emailChannel],
      next_period_end: '2026-06-01T00:00:00.000Z',
    });
    const put = await api('PUT', `/api/v1/report-schedules/${s.id}`, 'a', { enabled: false });
    expect(put.body).toMatchObject({ enabled: false, next_run_at: null });

    const noReason = await api('DELETE', `/api/v1/report-schedules/${s.id}`);
    expect(noReason.status).toBe(422);
    expect(noReason.body.detail).toMatch(/reason is required/);
    const del = await api(
      'DELETE',
      `/api/v1/report-schedules/${s.id}?reason=${encodeURIComponent('facility closed')}`,
    );
    expect(del.status).toBe(200);
    expect((await api('GET', `/api/v1/report-schedules/${s.id}`)).status).toBe(404);

    const trail = await auditOf('report_schedule', s.id);
    expect(trail.map((e) => e.action)).toEqual(['create', 'update', 'update', 'delete']);
    expect(trail.every((e) => e.actor_name === 'qa-desk')).toBe(true);
    expect(trail[0]!.reason).toBe('QA wants Monday reports');
    expect(trail[1]!.changes).toMatchObject({ period: { old: 'weekly', new: 'monthly' } });
    expect(trail[3]!.reason).toBe('facility closed');
  });

  it('refuses bad input with 422 and a message, and keeps tenants apart', async () => {
    const bad = async (body: Record<string, unknown>, pattern: RegExp) => {
      const r = await api('POST', '/api/v1/report-schedules', 'a', {
        facility_id: facilityId,
        period: 'monthly',
        ...body,
      });
      expect({ body, status: r.status }).toEqual({ body, status: 422 });
      expect(JSON.stringify(r.body.detail)).toMatch(pattern);
    };
    await bad({ period: 'daily' }, /period/);
    await bad({ tz: 'Mars/Olympus' }, /Mars\/Olympus/);
    await bad({ channel_ids: [] }, /channel_ids is empty/);
    await bad({ channel_ids: [webhookChannel] }, /webhook channel; reports are sent by e-mail only/);
    await bad(
      { channel_ids: ['00000000-0000-4000-8000-000000000000'] },
      /not a notification channel of this customer/,
    );
    await bad({ format: 'docx' }, /format/);

    // Another customer's facility, and another customer's schedule: 404, before any 422.
    const foreign = await api('POST', '/api/v1/report-schedules', 'a', {
      facility_id: foreignFacilityId,
      period: 'monthly',
    });
    expect(foreign.status).toBe(404);
    const mine = await api('POST', '/api/v1/report-schedules', 'a', {
      facility_id: facilityId,
      period: 'weekly',
    });
    expect(mine.status).toBe(201);
    expect((await api('GET', '/api/v1/report-schedules', 'b')).body).toEqual([]);
    expect((await api('GET', `/api/v1/report-schedules/${mine.body.id}`, 'b')).status).toBe(404);
    expect(
      (await api('PATCH', `/api/v1/report-schedules/${mine.body.id}`, 'b', { period: 'daily' })).status,
    ).toBe(422);
    expect(
      (await api('PATCH', `/api/v1/report-schedules/${mine.body.id}`, 'b', { enabled: false })).status,
    ).toBe(404);
    expect((await api('DELETE', `/api/v1/report-schedules/${mine.body.id}`, 'b')).status).toBe(404);
    // A read token may not write; a token limited to some units reads its facility's schedules only.
    expect(
      (await api('POST', '/api/v1/report-schedules', 'aRead', { facility_id: facilityId, period: 'weekly' }))
        .status,
    ).toBe(403);
    expect(
      (await api('GET', '/api/v1/report-schedules', 'aUnit')).body.map((x: { id: string }) => x.id),
    ).toEqual([mine.body.id]);
    expect((await api('DELETE', `/api/v1/report-schedules/${mine.body.id}?reason=x`, 'aUnit')).status).toBe(
      403,
    );
    const gone = await api('DELETE', `/api/v1/report-schedules/${mine.body.id}?reason=test done`);
    expect(gone.status).toBe(200);
  });

  it('e-mails the last full month once, with the PDF attached, as system:scheduled-report', async () => {
    const created = await api('POST', '/api/v1/report-schedules', 'a', {
      facility_id: facilityId,
      period: 'monthly',
      tz: 'Europe/Berlin',
    });
    expect(created.body).toMatchObject({
      next_period_start: MAY_START,
      next_period_end: MAY_END,
      next_run_at: RUN_AT.toISOString(),
    });
    const id = created.body.id as string;
    const before = smtp.mails.length;
    // Period over, grace not yet: nothing.
    expect(await due('2026-05-31T22:30:00Z')).toMatchObject({ claimed: 0 });
    expect(await due(RUN_AT)).toMatchObject({ claimed: 1, sent: 1 });
    // Again at the same time, and later that day: nothing more.
    expect(await due(RUN_AT)).toMatchObject({ claimed: 0 });
    expect(await due('2026-06-01T12:00:00Z')).toMatchObject({ claimed: 0 });
    const mails = smtp.mails.slice(before);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.to).toEqual(['qa@pharmacy.test']);
    expect(mail.headers.subject).toMatch(/^Monthly temperature report: .*May 2026$/);
    const [pdf] = attachmentsOf(mail);
    expect(pdf!.contentType).toBe('application/pdf');
    expect(pdf!.fileName).toMatch(/2026-05-01-2026-05-31\.pdf$/);
    expect(pdf!.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const file = path.join(dir, `${backend}-may.pdf`);
    await writeFile(file, pdf!.bytes);
    const text = (await run('pdftotext', ['-layout', file, '-'])).stdout;
    const [facility] = await db.query<{ facility_code: string }>(
      'SELECT facility_code FROM facilities WHERE id = $1',
      [facilityId],
    );
    expect(text).toContain(facility!.facility_code);
    expect(text).toMatch(/2026-05-01 00:00 \(UTC\+02:00\) to 2026-06-01 00:00 \(UTC\+02:00\)/);

    const row = await scheduleRow(id);
    expect(row.last_status).toBe('sent');
    // July 1st 00:00 Berlin, plus the hour's grace.
    expect(row.period_end_at.toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(row.next_run_at.toISOString()).toBe('2026-06-30T23:00:00.000Z');
    const listed = (await api('GET', `/api/v1/report-schedules/${id}`)).body;
    expect(listed).toMatchObject({
      last_status: 'sent',
      last_period_start: MAY_START,
      last_period_end: MAY_END,
    });
    const generated = await db.query<{ generated_by: string; range_start: Date; range_end: Date }>(
      'SELECT generated_by, range_start, range_end FROM generated_reports WHERE id = $1',
      [listed.last_report_id],
    );
    expect(generated).toEqual([
      {
        generated_by: 'system:scheduled-report',
        range_start: new Date(MAY_START),
        range_end: new Date(MAY_END),
      },
    ]);
    const trail = await auditOf('report', listed.last_report_id);
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ action: 'generate', actor_name: 'system:scheduled-report' });
    await db.query('DELETE FROM report_schedules WHERE id = $1', [id]);
  });

  it('retries a failed send for the failed channels only, then gives up and moves on', async () => {
    const second = await api('POST', '/api/v1/notification-channels', 'a', {
      type: 'email',
      target: 'second@pharmacy.test',
    });
    const s = (
      await api('POST', '/api/v1/report-schedules', 'a', {
        facility_id: facilityId,
        period: 'weekly',
        tz: 'UTC',
        channel_ids: [emailChannel, second.body.id],
      })
    ).body;
    const runAt = new Date(s.next_run_at as string);
    const refusing: Mailer = {
      send: (to, m, key, att) =>
        to.startsWith('second')
          ? Promise.reject(new Error('550 mailbox unavailable'))
          : mailer.send(to, m, key, att),
      close: () => undefined,
    };
    const before = smtp.mails.length;
    expect(await due(runAt, refusing)).toMatchObject({ claimed: 1, retrying: 1 });
    let row = await scheduleRow(s.id);
    expect(row).toMatchObject({ last_status: 'retrying', attempts: 1, retry_channel_ids: [second.body.id] });
    expect(row.last_error).toMatch(/second@pharmacy\.test: 550 mailbox unavailable/);
    expect(row.period_end_at.toISOString()).toBe(s.next_period_end);
    expect(row.next_run_at.getTime()).toBe(runAt.getTime() + 60_000);
    // Next tick: only the channel that failed gets it.
    expect(await due(new Date(runAt.getTime() + 60_000))).toMatchObject({ claimed: 1, sent: 1 });
    expect(smtp.mails.slice(before).map((m) => m.to[0])).toEqual([
      'qa@pharmacy.test',
      'second@pharmacy.test',
    ]);
    row = await scheduleRow(s.id);
    expect(row.last_status).toBe('sent');
    expect(row.next_run_at.getTime()).toBe(runAt.getTime() + 7 * 24 * HOUR);

    // A server that never answers: retried MAX times with backoff, then failed and on to the next week.
    const dead: Mailer = {
      send: () => Promise.reject(new Error('connect ECONNREFUSED')),
      close: () => undefined,
    };
    let at = row.next_run_at;
    for (let i = 1; i <= MAX_SCHEDULE_ATTEMPTS; i++) {
      const r = await due(at, dead);
      expect(r).toMatchObject({
        claimed: 1,
        ...(i < MAX_SCHEDULE_ATTEMPTS ? { retrying: 1 } : { failed: 1 }),
      });
      row = await scheduleRow(s.id);
      at = row.next_run_at;
    }
    expect(row.last_status).toBe('failed');
    expect(row.last_error).toMatch(
      new RegExp(`gave up after ${MAX_SCHEDULE_ATTEMPTS} attempts: .*ECONNREFUSED`),
    );
    expect(row.next_run_at.getTime()).toBe(runAt.getTime() + 14 * 24 * HOUR);
    expect(row.attempts).toBe(0);
    await db.query('DELETE FROM report_schedules WHERE id = $1', [s.id]);
  });

  it('never sends again after a crash between claim and outcome: interrupted', async () => {
    const s = (
      await api('POST', '/api/v1/report-schedules', 'a', {
        facility_id: facilityId,
        period: 'weekly',
        tz: 'UTC',
      })
    ).body;
    const runAt = new Date(s.next_run_at as string);
    // The process died during the send: the claim committed, no outcome.
    const hanging: Mailer = { send: () => new Promise(() => undefined), close: () => undefined };
    void due(runAt, hanging);
    await expect.poll(async () => (await scheduleRow(s.id)).last_status).toBe('sending');
    const before = smtp.mails.length;
    expect(await due(new Date(runAt.getTime() + 10 * 60_000))).toMatchObject({ claimed: 0, interrupted: 0 });
    expect(await due(new Date(runAt.getTime() + 31 * 60_000))).toMatchObject({ claimed: 0, interrupted: 1 });
    expect(smtp.mails.length).toBe(before);
    const row = await scheduleRow(s.id);
    expect(row.last_status).toBe('interrupted');
    expect(row.next_run_at.getTime()).toBe(runAt.getTime() + 7 * 24 * HOUR);
    await db.query('DELETE FROM report_schedules WHERE id = $1', [s.id]);
  });

  it.runIf(backend === 'postgres')('two workers at once send a period once', async () => {
    const other = await openPostgres({ url: t.url!, max: 4 });
    try {
      const s = (
        await api('POST', '/api/v1/report-schedules', 'a', {
          facility_id: facilityId,
          period: 'monthly',
          tz: 'Europe/Berlin',
        })
      ).body;
      const before = smtp.mails.length;
      const [x, y] = await Promise.all([due(RUN_AT, mailer, db), due(RUN_AT, mailer, other)]);
      expect(x.claimed + y.claimed).toBe(1);
      expect(x.sent + y.sent).toBe(1);
      // One message per active e-mail channel of the customer, each sent once.
      const targets = await db.query<{ target: string }>(
        `SELECT target FROM notification_channels c JOIN facilities f ON f.customer_id = c.customer_id
          WHERE f.id = $1 AND c.type = 'email' AND c.is_active ORDER BY target`,
        [facilityId],
      );
      expect(
        smtp.mails
          .slice(before)
          .map((m) => m.to[0])
          .sort(),
      ).toEqual(targets.map((r) => r.target));
      expect(
        (await auditOf('report')).filter((e) => e.actor_name === 'system:scheduled-report').length,
      ).toBeGreaterThan(0);
      await db.query('DELETE FROM report_schedules WHERE id = $1', [s.id]);
    } finally {
      await other.close();
    }
  });

  it('CLI operations add, list and remove schedules as cli:<user>, a removal needing a reason', async () => {
    const op = (name: string, args: Record<string, unknown>) =>
      runOpInProcess({ db, config: loadConfig(), clock: fixedClock(CREATED) }, name, {
        cliUser: 'inspector',
        ...args,
      });
    const [f] = await db.query<{ facility_code: string }>(
      'SELECT facility_code FROM facilities WHERE id = $1',
      [facilityId],
    );
    const added = (await op('report.schedules.add', {
      facility: f!.facility_code,
      customer: 'A',
      period: 'weekly',
      tz: 'UTC',
      channels: emailChannel,
    })) as { id: string; channel_ids: string[]; next_period_end: string };
    expect(added).toMatchObject({
      channel_ids: [emailChannel],
      next_period_end: '2026-05-25T00:00:00.000Z',
    });
    await expect(
      op('report.schedules.add', { facility: f!.facility_code, customer: 'A', period: 'daily' }),
    ).rejects.toThrow(/--period must be weekly or monthly/);
    const listed = (await op('report.schedules.list', { customer: 'A' })) as Array<{ id: string }>;
    expect(listed.map((x) => x.id)).toContain(added.id);
    expect(await op('report.schedules.list', { customer: 'B' })).toEqual([]);
    await expect(op('report.schedules.remove', { id: added.id })).rejects.toThrow(/reason is required/);
    await op('report.schedules.remove', { id: added.id, reason: 'replaced by monthly' });
    const trail = await auditOf('report_schedule', added.id);
    expect(trail.map((e) => [e.action, e.actor_name])).toEqual([
      ['create', 'cli:inspector'],
      ['delete', 'cli:inspector'],
    ]);
    expect(trail[1]!.reason).toBe('replaced by monthly');
  });

  it.runIf(backend === 'postgres')('tms report schedules add | list | run-due | remove', async () => {
    const env = { DATABASE_URL: t.url!, SMTP_URL: smtp.url, TMS_MAIL_FROM: 'tms@pharmacy.test' };
    const [f] = await db.query<{ facility_code: string }>(
      'SELECT facility_code FROM facilities WHERE id = $1',
      [facilityId],
    );
    const add = await runTms(
      [
        'report',
        'schedules',
        'add',
        f!.facility_code,
        '--customer',
        'A',
        '--period',
        'monthly',
        '--tz',
        'Europe/Berlin',
        '--channels',
        emailChannel,
        '--json',
      ],
      env,
    );
    expect(add.stderr).toBe('');
    const id = (JSON.parse(add.stdout) as { id: string }).id;
    const list = await runTms(['report', 'schedules', 'list', '--customer', 'A'], env);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain('monthly');
    // Due now: the month that ended last (this run's wall clock is not the fixed clocks above).
    const monthStart = new Date(periodStartAtOrBefore(Date.now(), 'monthly', 'Europe/Berlin'));
    await db.query(`UPDATE report_schedules SET period_end_at = $2, next_run_at = $2 WHERE id = $1`, [
      id,
      monthStart,
    ]);
    const before = smtp.mails.length;
    const ran = await runTms(['report', 'schedules', 'run-due'], env);
    expect(ran.stdout).toContain('claimed 1, sent 1');
    expect(smtp.mails.slice(before).map((m) => m.to[0])).toEqual(['qa@pharmacy.test']);
    const removed = await runTms(['report', 'schedules', 'remove', id, '--reason', 'test over'], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`Removed ${id}`);
  });
});
