import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNotifier, type Notifier } from '../../src/alarms/notifier.ts';
import { queueAlarmNotifications } from '../../src/alarms/outbox.ts';
import type { Db } from '../../src/db/types.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet, tokenFor, unitsOf, type UnitRef } from '../support/factories.ts';
import {
  insertAlarm,
  startSmtpServer,
  startWebhookServer,
  type SmtpTestServer,
  type WebhookTestServer,
} from '../support/notify-servers.ts';
import { FORBIDDEN_URLS } from '../support/ssrf-cases.ts';

// The channels API and the delivery log: validation (e-mail syntax, the SSRF guard for webhooks),
// the secret shown once, scopes, tenant isolation, tokens limited to some units, and test sends
// through a running notifier into real receivers.

const CH = '/api/v1/notification-channels';

describeEachBackend('notification channels API', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let smtp: SmtpTestServer;
  let hook: WebhookTestServer;
  let notifier: Notifier;
  let aUnits: UnitRef[];
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
    aUnits = await unitsOf(db, 'A');
    tok.aWrite = (await tokenFor(db, 'A', ['read', 'write'])).token;
    tok.aRead = (await tokenFor(db, 'A', ['read'])).token;
    tok.aLimited = (await tokenFor(db, 'A', ['read', 'write'], { accessibleUnits: [aUnits[0]!.id] })).token;
    tok.bWrite = (await tokenFor(db, 'B', ['read', 'write'])).token;
    tok.admin = (await tokenFor(db, null)).token;
    smtp = await startSmtpServer();
    hook = await startWebhookServer();
    app = await testApp(db);
    notifier = startNotifier({
      db,
      clock: systemClock,
      log: createLogger('silent', false),
      settings: { smtpUrl: smtp.url, mailFrom: 'alarms@tms.test', publicUrl: 'http://tms.test' },
      tuning: { pollMs: 50 },
    });
  });
  afterAll(async () => {
    await notifier?.stop();
    await app?.close();
    await smtp?.close();
    await hook?.close();
    await t?.drop();
  });

  it('creates, lists, changes and deletes channels; a webhook secret is shown once', async () => {
    const mail = await call(app, 'POST', CH, tok.aWrite, {
      name: 'Night shift',
      type: 'email',
      target: 'night@pharmacy.test',
      min_severity: 'critical',
    });
    expect(mail.status).toBe(201);
    expect(mail.body).toMatchObject({
      name: 'Night shift',
      type: 'email',
      target: 'night@pharmacy.test',
      min_severity: 'critical',
      escalate_after_seconds: 0,
      repeat_seconds: null,
      is_active: true,
    });
    expect(mail.body).not.toHaveProperty('secret');

    const wh = await call(app, 'POST', CH, tok.aWrite, {
      type: 'webhook',
      target: hook.url,
      escalate_after_seconds: 900,
      repeat_seconds: 3600,
    });
    expect(wh.status).toBe(201);
    expect(wh.body.secret).toMatch(/^[0-9a-f]{64}$/);

    const list = await call(app, 'GET', CH, tok.aRead);
    expect(list.status).toBe(200);
    expect(list.body.map((c: { id: string }) => c.id)).toEqual([mail.body.id, wh.body.id]);
    expect(list.text).not.toContain(wh.body.secret);
    expect(list.body[1]).not.toHaveProperty('secret');

    const put = await call(app, 'PUT', `${CH}/${mail.body.id}`, tok.aWrite, {
      target: 'day@pharmacy.test',
      repeat_seconds: 600,
      is_active: false,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      target: 'day@pharmacy.test',
      repeat_seconds: 600,
      is_active: false,
      name: 'Night shift',
    });
    const cleared = await call(app, 'PUT', `${CH}/${mail.body.id}`, tok.aWrite, { repeat_seconds: null });
    expect(cleared.body.repeat_seconds).toBeNull();
    // The type is fixed: an e-mail channel's new target must be an address.
    expect((await call(app, 'PUT', `${CH}/${mail.body.id}`, tok.aWrite, { target: hook.url })).status).toBe(
      422,
    );

    const del = await call(app, 'DELETE', `${CH}/${mail.body.id}?reason=test`, tok.aWrite);
    expect(del.status).toBe(200);
    expect((await call(app, 'DELETE', `${CH}/${mail.body.id}?reason=test`, tok.aWrite)).status).toBe(404);
    expect((await call(app, 'GET', CH, tok.aRead)).body).toHaveLength(1);
    await call(app, 'DELETE', `${CH}/${wh.body.id}?reason=test`, tok.aWrite);
  });

  it('refuses malformed targets and settings with 422, never 500', async () => {
    const bad: unknown[] = [
      { type: 'email', target: 'not-an-address' },
      { type: 'email', target: 'a@b@c.test' },
      { type: 'email', target: 'Name <a@b.test>' },
      { type: 'email', target: 'a@-b.test' },
      { type: 'webhook', target: 'ftp://example.com/x' },
      { type: 'webhook', target: 'http://user:pw@example.com/x' },
      { type: 'webhook', target: 'not a url' },
      { type: 'sms', target: '+1555' },
      { type: 'email', target: 'a@b.test', repeat_seconds: 30 },
      { type: 'email', target: 'a@b.test', escalate_after_seconds: -1 },
      { type: 'email', target: 'a@b.test', min_severity: 'info' },
      { type: 'email' },
    ];
    for (const body of bad) {
      const r = await call(app, 'POST', CH, tok.aWrite, body);
      expect({ body, status: r.status }).toEqual({ body, status: 422 });
      expect(r.body).toHaveProperty('detail');
    }
  });

  it('applies the source URLs\u2019 SSRF guard to webhooks: metadata and link-local refused in every notation, loopback allowed', async () => {
    for (const target of FORBIDDEN_URLS) {
      const r = await call(app, 'POST', CH, tok.aWrite, { type: 'webhook', target });
      expect({ target, status: r.status }).toEqual({ target, status: 422 });
      expect(String(r.body.detail)).toMatch(/webhook URL|resolves to forbidden/);
    }
    // Loopback stays allowed, as for source URLs (the simulator, receivers on the same host).
    const ok = await call(app, 'POST', CH, tok.aWrite, {
      type: 'webhook',
      target: 'http://localhost:9/hook',
    });
    expect(ok.status).toBe(201);
    await call(app, 'DELETE', `${CH}/${ok.body.id}?reason=test`, tok.aWrite);
    expect((await call(app, 'GET', CH, tok.aRead)).body).toHaveLength(0);
  });

  it('keeps channels and the log per customer: another customer gets 404 and sees none', async () => {
    const a = await call(app, 'POST', CH, tok.aWrite, { type: 'email', target: 'a@pharmacy.test' });
    const alarm = await insertAlarm(db, aUnits[0]!);
    await queueAlarmNotifications(db, alarm, 'started');
    for (const [method, url, body] of [
      ['PUT', `${CH}/${a.body.id}`, { name: 'hijack' }],
      ['DELETE', `${CH}/${a.body.id}`, undefined],
      ['POST', `${CH}/${a.body.id}/test`, undefined],
    ] as const) {
      const r = await call(app, method, url, tok.bWrite, body);
      expect({ method, url, status: r.status }).toEqual({ method, url, status: 404 });
    }
    expect((await call(app, 'GET', CH, tok.bWrite)).body).toEqual([]);
    const bLog = await call(app, 'GET', '/api/v1/notifications', tok.bWrite);
    expect(bLog.body).toMatchObject({ items: [], total: 0 });
    const bFiltered = await call(app, 'GET', `/api/v1/notifications?alarm_id=${alarm}`, tok.bWrite);
    expect(bFiltered.body.total).toBe(0);
    const aLog = await call(app, 'GET', `/api/v1/notifications?alarm_id=${alarm}`, tok.aRead);
    expect(aLog.body.total).toBe(1);
    expect((await call(app, 'GET', CH, tok.admin)).status).toBe(403);
    await call(app, 'DELETE', `${CH}/${a.body.id}?reason=test`, tok.aWrite);
  });

  it('lets read tokens and tokens limited to some units read, but not change channels (403)', async () => {
    const a = await call(app, 'POST', CH, tok.aWrite, { type: 'email', target: 'lim@pharmacy.test' });
    for (const token of [tok.aLimited, tok.aRead]) {
      expect((await call(app, 'GET', CH, token)).status).toBe(200);
      expect((await call(app, 'GET', '/api/v1/notifications', token)).status).toBe(200);
      for (const [method, url, body] of [
        ['POST', CH, { type: 'email', target: 'x@pharmacy.test' }],
        ['PUT', `${CH}/${a.body.id}`, { name: 'x' }],
        ['DELETE', `${CH}/${a.body.id}`, undefined],
        ['POST', `${CH}/${a.body.id}/test`, undefined],
      ] as const) {
        const r = await call(app, method, url, token, body);
        expect({ method, url, status: r.status }).toEqual({ method, url, status: 403 });
      }
    }
    await call(app, 'DELETE', `${CH}/${a.body.id}?reason=test`, tok.aWrite);
  });

  it('sends a test message through the notifier and answers with the outcome; the log lists it', async () => {
    const mail = await call(app, 'POST', CH, tok.aWrite, {
      name: 'QA',
      type: 'email',
      target: 'qa@pharmacy.test',
    });
    const r = await call(app, 'POST', `${CH}/${mail.body.id}/test`, tok.aWrite);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      channel_id: mail.body.id,
      event: 'test',
      status: 'sent',
      attempts: 1,
      last_error: null,
    });
    const got = smtp.mails.find((m) => m.to.includes('qa@pharmacy.test'));
    expect(got?.headers.subject).toMatch(/^\[TEST\] tms test notification for .* \(A\)$/);

    const wh = await call(app, 'POST', CH, tok.aWrite, { type: 'webhook', target: hook.url });
    hook.secret = wh.body.secret;
    const w = await call(app, 'POST', `${CH}/${wh.body.id}/test`, tok.aWrite);
    expect(w.body.status).toBe('sent');
    expect(hook.received.at(-1)!.signatureValid).toBe(true);
    expect(hook.received.at(-1)!.body.event).toBe('test');

    hook.respond = 503;
    const failed = await call(app, 'POST', `${CH}/${wh.body.id}/test`, tok.aWrite);
    expect(failed.body).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'webhook answered HTTP 503',
    });
    hook.respond = 200;

    const log = await call(app, 'GET', `/api/v1/notifications?channel_id=${wh.body.id}&limit=1`, tok.aRead);
    expect(log.body).toMatchObject({ total: 2, page: 1, page_size: 1, pages: 2 });
    expect(log.body.items[0]).toMatchObject({ status: 'failed', event: 'test' });
    const sent = await call(
      app,
      'GET',
      `/api/v1/notifications?status=sent&channel_id=${wh.body.id}`,
      tok.aRead,
    );
    expect(sent.body.items.map((i: { status: string }) => i.status)).toEqual(['sent']);
    expect((await call(app, 'GET', '/api/v1/notifications?status=bogus', tok.aRead)).status).toBe(422);
  });
});
