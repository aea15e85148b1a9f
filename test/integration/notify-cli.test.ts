import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendCases, createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { runTms } from '../support/cli.ts';
import { customerId, seedDefaultFleet } from '../support/factories.ts';
import { startSmtpServer, type SmtpTestServer } from '../support/notify-servers.ts';

// `tms notify test`: the real binary against PostgreSQL, mailing a real SMTP server.

const pg = backendCases().some((c) => c.backend === 'postgres');

describe.skipIf(!pg)('tms notify test [postgres]', () => {
  let t: TestDatabase;
  let smtp: SmtpTestServer;
  let channel: string;

  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
    smtp = await startSmtpServer();
    [{ id: channel }] = (await t.db.query<{ id: string }>(
      `INSERT INTO notification_channels (customer_id, name, type, target) VALUES ($1, 'QA', 'email', 'qa@pharmacy.test') RETURNING id`,
      [await customerId(t.db, 'C')],
    )) as [{ id: string }];
  });
  afterAll(async () => {
    await smtp?.close();
    await t?.drop();
  });

  it('sends to a channel and prints the outcome', async () => {
    const r = await runTms(['notify', 'test', '--channel', channel], {
      DATABASE_URL: t.url!,
      SMTP_URL: smtp.url,
      TMS_MAIL_FROM: 'alarms@tms.test',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Sent: email to qa@pharmacy\.test \(delivery \d+\)\./);
    expect(r.code).toBe(0);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.headers.subject).toMatch(/^\[TEST\] tms test notification for .* \(C\)$/);
    const [row] = await t.db.query<{ status: string; event: string }>(
      'SELECT status, event FROM notification_outbox WHERE channel_id = $1',
      [channel],
    );
    expect(row).toEqual({ status: 'sent', event: 'test' });
  });

  it('says why it failed when SMTP_URL is unset, with exit code 1', async () => {
    const r = await runTms(['notify', 'test', '--customer', 'C', '--email', 'ops@pharmacy.test', '--json'], {
      DATABASE_URL: t.url!,
      SMTP_URL: '',
    });
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as { status: string; last_error: string; channel_id: string | null };
    expect(d).toMatchObject({ status: 'failed', channel_id: null });
    expect(d.last_error).toMatch(/SMTP_URL is not set/);
  });

  it('refuses bad usage and unknown channels', async () => {
    const env = { DATABASE_URL: t.url! };
    expect((await runTms(['notify', 'test'], env)).code).toBe(2);
    expect((await runTms(['notify', 'test', '--channel', 'nope'], env)).code).toBe(2);
    const missing = await runTms(
      ['notify', 'test', '--channel', '00000000-0000-4000-8000-000000000000'],
      env,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
    const bad = await runTms(
      ['notify', 'test', '--customer', 'C', '--webhook', 'http://169.254.169.254/'],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/link-local or metadata/);
  });
});
