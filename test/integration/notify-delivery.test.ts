import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteChannel } from '../../src/alarms/channels.ts';
import { cliActor, runAs } from '../../src/audit/context.ts';
import {
  startNotifier,
  sweepEscalations,
  type Notifier,
  type NotifierTuning,
} from '../../src/alarms/notifier.ts';
import { queueAlarmNotifications } from '../../src/alarms/outbox.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { manualClock, systemClock, type Clock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { metricsRegistry } from '../../src/lib/metrics.ts';
import {
  backendCases,
  createPostgresDatabase,
  describeEachBackend,
  type TestDatabase,
} from '../support/databases.ts';
import { seedDefaultFleet, unitsOf, type UnitRef } from '../support/factories.ts';
import {
  freePort,
  insertAlarm,
  startSmtpServer,
  startWebhookServer,
  type SmtpTestServer,
  type WebhookTestServer,
} from '../support/notify-servers.ts';
import { waitUntil } from '../support/wait.ts';

// The notifier against real receivers: mail through nodemailer into an SMTP server, webhooks into an
// HTTP server that checks the signature; retries, escalation, repeats, and two notifiers sharing one
// outbox. Alarms are inserted directly (the evaluator is tested elsewhere).

const log = createLogger('silent', false);
const FAST: Partial<NotifierTuning> = { pollMs: 50, sweepMs: 100, retryBaseMs: 300, retryMaxMs: 2_000 };

const addChannel = async (
  db: Db,
  customerId: string,
  c: {
    type: 'email' | 'webhook';
    target: string;
    secret?: string;
    escalate?: number;
    repeat?: number | null;
    min?: string;
  },
): Promise<string> =>
  (
    await db.query<{ id: string }>(
      `INSERT INTO notification_channels (customer_id, name, type, target, secret, min_severity, escalate_after_seconds, repeat_seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [
        customerId,
        `${c.type} ${c.target}`,
        c.type,
        c.target,
        c.secret ?? null,
        c.min ?? 'warning',
        c.escalate ?? 0,
        c.repeat ?? null,
      ],
    )
  )[0]!.id;

const outbox = (db: Db, alarmId: string) =>
  db.query<{
    event: string;
    status: string;
    attempts: number;
    last_error: string | null;
    idempotency_key: string;
    channel_id: string;
  }>(
    'SELECT event, status, attempts, last_error, idempotency_key, channel_id FROM notification_outbox WHERE alarm_id = $1 ORDER BY id',
    [alarmId],
  );

const events = async (db: Db, alarmId: string) =>
  (
    await db.query<{ type: string }>('SELECT type FROM alarm_events WHERE alarm_id = $1 ORDER BY at, id', [
      alarmId,
    ])
  ).map((r) => r.type);

describeEachBackend('notifier', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let smtp: SmtpTestServer;
  let hook: WebhookTestServer;
  let units: UnitRef[];
  let customer: string;
  let notifier: Notifier | undefined;

  /** smtpUrl null: SMTP_URL unset. */
  const start = (clock: Clock = systemClock, smtpUrl: string | null = smtp.url, tuning = FAST) => {
    notifier = startNotifier({
      db,
      clock,
      log,
      settings: {
        smtpUrl: smtpUrl ?? undefined,
        mailFrom: 'tms alarms <alarms@tms.test>',
        publicUrl: 'https://tms.example.com',
      },
      tuning,
    });
    return notifier;
  };

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    units = await unitsOf(db, 'A');
    customer = units[0]!.customer_id;
    smtp = await startSmtpServer();
    hook = await startWebhookServer();
  });
  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
    await db.query('DELETE FROM notification_outbox');
    await db.query('DELETE FROM notification_channels');
    await db.query('DELETE FROM alarms');
    smtp.mails.length = 0;
    hook.received.length = 0;
    hook.respond = 200;
  });
  afterAll(async () => {
    await smtp?.close();
    await hook?.close();
    await t?.drop();
  });

  it('mails an alarm through SMTP and posts a signed webhook, naming customer, facility, unit, values, zone time and link', async () => {
    await db.query(`UPDATE customers SET timezone = 'Europe/Berlin' WHERE id = $1`, [customer]);
    const mailChannel = await addChannel(db, customer, { type: 'email', target: 'qa@pharmacy.test' });
    const secret = 'b'.repeat(64);
    hook.secret = secret;
    await addChannel(db, customer, { type: 'webhook', target: hook.url, secret });
    const unit = units[0]!;
    const alarmId = await insertAlarm(db, unit, {
      thresholdC: 8,
      peakC: 9.5,
      startedAt: new Date('2026-07-01T10:00:00Z'),
    });
    expect(await queueAlarmNotifications(db, alarmId, 'started')).toBe(2);
    expect(await queueAlarmNotifications(db, alarmId, 'started')).toBe(0);
    start();
    await waitUntil('mail and webhook', () => smtp.mails.length === 1 && hook.received.length === 1, 15_000);

    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['qa@pharmacy.test']);
    expect(mail.from).toBe('alarms@tms.test');
    expect(mail.headers['message-id']).toBe(`<${alarmId}.${mailChannel}.started@tms.test>`);
    expect(mail.headers.subject).toContain('[CRITICAL] High temperature');
    const [f] = await db.query<{ name: string; facility_code: string }>(
      'SELECT name, facility_code FROM facilities WHERE id = $1',
      [unit.facility_id],
    );
    const [u] = await db.query<{ name: string; unit_code: string }>(
      'SELECT name, unit_code FROM storage_units WHERE id = $1',
      [unit.id],
    );
    for (const s of [
      u!.unit_code,
      f!.facility_code,
      'Customer',
      `https://tms.example.com/#/alarms/${alarmId}`,
    ])
      expect(mail.text).toContain(s);
    const temp = (c: number) =>
      unit.temperature_unit === 'F' ? ((c * 9) / 5 + 32).toFixed(1) : c.toFixed(1);
    expect(mail.text).toContain(`${temp(8)} °${unit.temperature_unit}`);
    expect(mail.text).toContain(`${temp(9.5)} °${unit.temperature_unit}`);
    // 10:00 UTC in July is 12:00 in Berlin (CEST).
    expect(mail.text).toContain('2026-07-01 12:00:00');
    expect(mail.text).toContain('2026-07-01 10:00:00 UTC');

    const w = hook.received[0]!;
    expect(w.signatureValid).toBe(true);
    expect(w.headers['idempotency-key']).toMatch(new RegExp(`^${alarmId}:[0-9a-f-]{36}:started$`));
    expect(Number(w.headers['x-tms-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
    const alarm = w.body.alarm as Record<string, unknown>;
    expect(alarm).toMatchObject({
      id: alarmId,
      kind: 'high',
      severity: 'critical',
      state: 'active',
      late: false,
    });
    expect(alarm.url).toBe(`https://tms.example.com/#/alarms/${alarmId}`);
    expect(w.body.unit).toMatchObject({ code: u!.unit_code });
    expect(w.body.facility).toMatchObject({ code: f!.facility_code });
    expect(w.body.customer).toMatchObject({ code: 'A', timezone: 'Europe/Berlin' });

    await waitUntil('both rows sent', async () =>
      (await outbox(db, alarmId)).every((r) => r.status === 'sent'),
    );
    expect(await events(db, alarmId)).toEqual(['notified', 'notified']);
    const metric = await metricsRegistry.getSingleMetricAsString('tms_notification_sends_total');
    expect(metric).toMatch(/channel="email",result="sent"/);
  });

  it('retries with backoff while the receiver is down, and delivers once it is up; the log shows attempts and the last error', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    await addChannel(db, customer, { type: 'webhook', target: url, secret: 's' });
    const alarmId = await insertAlarm(db, units[1]!);
    await queueAlarmNotifications(db, alarmId, 'started');
    start();
    await waitUntil('two failed attempts', async () => (await outbox(db, alarmId))[0]!.attempts >= 2, 10_000);
    const [failing] = await outbox(db, alarmId);
    expect(failing!.status).toBe('pending');
    expect(failing!.last_error).toMatch(/ECONNREFUSED/);
    const late = await startWebhookServer(port);
    try {
      await waitUntil(
        'delivered after the receiver came up',
        async () => (await outbox(db, alarmId))[0]!.status === 'sent',
        15_000,
      );
      const [sent] = await outbox(db, alarmId);
      expect(sent!.attempts).toBeGreaterThanOrEqual(3);
      expect(sent!.last_error).toBeNull();
      expect(late.received).toHaveLength(1);
    } finally {
      await late.close();
    }
  });

  it('gives up after the last attempt and records notify_failed; a 500 answer is a failure', async () => {
    hook.respond = 500;
    await addChannel(db, customer, { type: 'webhook', target: hook.url, secret: 's' });
    const alarmId = await insertAlarm(db, units[2]!);
    await queueAlarmNotifications(db, alarmId, 'started');
    start(systemClock, smtp.url, { ...FAST, retryBaseMs: 50, maxAttempts: 3 });
    await waitUntil('given up', async () => (await outbox(db, alarmId))[0]!.status === 'failed', 10_000);
    const [row] = await outbox(db, alarmId);
    expect(row).toMatchObject({ attempts: 3, last_error: 'webhook answered HTTP 500' });
    expect(hook.received).toHaveLength(3);
    expect(await events(db, alarmId)).toEqual(['notify_failed']);
  });

  it('fails e-mail with a clear reason when SMTP_URL is unset', async () => {
    await addChannel(db, customer, { type: 'email', target: 'qa@pharmacy.test' });
    const alarmId = await insertAlarm(db, units[3]!);
    await queueAlarmNotifications(db, alarmId, 'started');
    start(systemClock, null);
    await waitUntil(
      'attempted',
      async () =>
        (await outbox(db, alarmId))[0]!.attempts >= 1 && (await outbox(db, alarmId))[0]!.last_error !== null,
    );
    expect((await outbox(db, alarmId))[0]!.last_error).toMatch(/SMTP_URL is not set/);
    expect(smtp.mails).toHaveLength(0);
  });

  it('escalates to a second channel when the alarm is still unacknowledged after N s, and not when it was acknowledged', async () => {
    const first = await addChannel(db, customer, { type: 'email', target: 'first@pharmacy.test' });
    hook.secret = 'esc';
    const second = await addChannel(db, customer, {
      type: 'webhook',
      target: hook.url,
      secret: 'esc',
      escalate: 2,
    });
    const open = await insertAlarm(db, units[0]!);
    const acked = await insertAlarm(db, units[1]!);
    await queueAlarmNotifications(db, open, 'started');
    await queueAlarmNotifications(db, acked, 'started');
    await db.query(
      `UPDATE alarms SET acknowledged_at = now(), acknowledged_by = 'qa', comment = 'seen' WHERE id = $1`,
      [acked],
    );
    start();
    await waitUntil('both first-tier mails', () => smtp.mails.length === 2);
    expect(hook.received).toHaveLength(0);
    await waitUntil('escalation', () => hook.received.length >= 1, 10_000);
    // Give the sweep time to (wrongly) escalate the acknowledged one too.
    await sleep(1_000);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.body.event).toBe('escalated');
    expect((hook.received[0]!.body.alarm as { id: string }).id).toBe(open);
    expect(hook.received[0]!.signatureValid).toBe(true);
    expect(
      (await outbox(db, open)).map(
        (r) =>
          `${r.channel_id === first ? 'first' : r.channel_id === second ? 'second' : '?'}:${r.event}:${r.status}`,
      ),
    ).toEqual(['first:started:sent', 'second:escalated:sent']);
    expect((await outbox(db, acked)).map((r) => r.event)).toEqual(['started']);
    expect(await events(db, open)).toEqual(expect.arrayContaining(['notified', 'escalated', 'notified']));
    const [lvl] = await db.query<{ escalation_level: number }>(
      'SELECT escalation_level FROM alarms WHERE id = $1',
      [open],
    );
    expect(lvl!.escalation_level).toBe(1);

    // Clearing an unacknowledged alarm tells both the first-tier channel and the escalated one.
    await db.query('UPDATE alarms SET cleared_at = now() WHERE id = $1', [open]);
    expect(await queueAlarmNotifications(db, open, 'cleared')).toBe(2);
    await waitUntil('cleared on both', () => smtp.mails.length === 3 && hook.received.length === 2);
    expect(smtp.mails[2]!.headers.subject).toMatch(/^CLEARED: /);
    // The end of an acknowledged alarm is not mailed: whoever acknowledged it is on it.
    await db.query('UPDATE alarms SET cleared_at = now() WHERE id = $1', [acked]);
    expect(await queueAlarmNotifications(db, acked, 'cleared')).toBe(0);
  });

  it('repeats every repeat_seconds while active and unacknowledged, one reminder per period, none once acknowledged or shelved', async () => {
    await addChannel(db, customer, { type: 'email', target: 'night@pharmacy.test', repeat: 60 });
    const alarmId = await insertAlarm(db, units[4]!);
    await queueAlarmNotifications(db, alarmId, 'started');
    // After the database's now(), which stamped the alarm's detection and the row's due time.
    const clock = manualClock(new Date(Date.now() + 1_000));
    start(clock);
    await waitUntil('first mail', () => smtp.mails.length === 1);
    clock.advance(61_000);
    await waitUntil('first reminder', () => smtp.mails.length === 2, 10_000);
    expect(smtp.mails[1]!.headers.subject).toMatch(/^REMINDER: /);
    // A notifier away for five periods sends one reminder, not five.
    clock.advance(5 * 60_000);
    await waitUntil('second reminder', () => smtp.mails.length === 3, 10_000);
    await sleep(500);
    expect(smtp.mails).toHaveLength(3);
    expect((await outbox(db, alarmId)).map((r) => r.idempotency_key.split(':').slice(2).join(':'))).toEqual([
      'started',
      'repeat:1',
      'repeat:6',
    ]);
    await db.query(`UPDATE alarms SET shelved_until = $2 WHERE id = $1`, [
      alarmId,
      new Date(clock.now().getTime() + 3_600_000),
    ]);
    clock.advance(120_000);
    await sleep(500);
    expect(smtp.mails).toHaveLength(3);
    await db.query(
      `UPDATE alarms SET shelved_until = NULL, acknowledged_at = now(), acknowledged_by = 'qa', comment = 'ok' WHERE id = $1`,
      [alarmId],
    );
    clock.advance(120_000);
    await sleep(500);
    expect(smtp.mails).toHaveLength(3);
    expect((await events(db, alarmId)).filter((e) => e === 'repeated')).toHaveLength(2);
  });

  it('gives up the messages still queued for a deleted channel and keeps their log rows', async () => {
    const channel = await addChannel(db, customer, { type: 'email', target: 'gone@pharmacy.test' });
    const alarmId = await insertAlarm(db, units[6]!);
    await queueAlarmNotifications(db, alarmId, 'started');
    // As a CLI user giving the reason a deletion needs (audit trail).
    await runAs({ actor: cliActor('ops'), reason: 'channel retired' }, () =>
      deleteChannel({ db, clock: systemClock }, { customerId: customer, accessibleUnits: [] }, channel),
    );
    expect(await outbox(db, alarmId)).toMatchObject([
      { status: 'failed', last_error: 'channel deleted before delivery', channel_id: null },
    ]);
  });

  it('queues nothing twice when the sweep runs again', async () => {
    await addChannel(db, customer, { type: 'email', target: 'x@pharmacy.test', escalate: 1, repeat: 60 });
    const alarmId = await insertAlarm(db, units[5]!);
    const later = new Date(Date.now() + 62_000);
    expect(await sweepEscalations(db, later)).toEqual({ escalated: 1, repeated: 1 });
    expect(await sweepEscalations(db, later)).toEqual({ escalated: 0, repeated: 0 });
    expect((await outbox(db, alarmId)).map((r) => r.event)).toEqual(['escalated', 'repeat']);
  });
});

// Two notifiers on one PostgreSQL outbox (two connection pools, as two ingest processes would have).
const pg = backendCases().some((c) => c.backend === 'postgres');
describe.skipIf(!pg)('two notifiers on one outbox [postgres]', () => {
  let t: TestDatabase;
  let second: Db;
  let hook: WebhookTestServer;
  const notifiers: Notifier[] = [];

  beforeAll(async () => {
    t = await createPostgresDatabase();
    second = await openPostgres({ url: t.url!, max: 4 });
    await seedDefaultFleet(t.db);
    hook = await startWebhookServer();
  });
  afterAll(async () => {
    for (const n of notifiers) await n.stop();
    await hook?.close();
    await second?.close();
    await t?.drop();
  });

  it('sends each row once', async () => {
    const units = await unitsOf(t.db, 'B');
    const customer = units[0]!.customer_id;
    hook.secret = 'two';
    // A slow receiver widens the window in which both notifiers look at the same rows.
    await addChannel(t.db, customer, { type: 'webhook', target: hook.url, secret: 'two' });
    await addChannel(t.db, customer, { type: 'webhook', target: `${hook.url}?second`, secret: 'two' });
    const alarms: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = await insertAlarm(t.db, units[i % units.length]!, {
        startedAt: new Date(Date.now() - (i + 1) * 60_000),
      });
      await queueAlarmNotifications(t.db, id, 'started');
      alarms.push(id);
    }
    for (const db of [t.db, second])
      notifiers.push(
        startNotifier({
          db,
          clock: systemClock,
          log,
          settings: { smtpUrl: undefined, mailFrom: 'a@b.test', publicUrl: 'http://x' },
          tuning: { ...FAST, batchSize: 4 },
        }),
      );
    await waitUntil('60 deliveries', () => hook.received.length >= 60, 30_000);
    await sleep(500);
    const keys = hook.received.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(60);
    expect(new Set(keys).size).toBe(60);
    expect(hook.received.every((r) => r.signatureValid)).toBe(true);
    const [s] = await t.db.query<{ sent: number; attempts: number }>(
      `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, sum(attempts)::int AS attempts FROM notification_outbox`,
    );
    expect(s).toEqual({ sent: 60, attempts: 60 });
  });
});
