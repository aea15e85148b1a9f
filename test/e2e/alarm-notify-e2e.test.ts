import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFleet } from '../../src/simulation/fleet.ts';
import { unitReadings } from '../../src/simulation/reading-generator.ts';
import { randomPortBase, startTms, waitForProcessHttp, type RunningTms } from '../support/cli.ts';
import { backendCases, createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { startSmtpServer, type SmtpTestServer } from '../support/notify-servers.ts';
import { waitUntil } from '../support/wait.ts';

// The whole chain on the real binary: the simulator's fault on a unit → collected and stored →
// the alarm starts (zero-delay rule) → the e-mail reaches an SMTP server → acknowledged through the
// API → the unit recovers and the alarm clears only past threshold − deadband → no further e-mail.
// One fridge read every 5 s, collected every 10 s, so the whole run takes a couple of minutes at
// most. On PostgreSQL, so the test can read the stored readings' commit times.

const FLEET = `customers:
  A:
    name: Notify Pharmacy
    data_sharing_method: api
    data_config:
      api_polling_frequency_minutes: 0.1667
    data_quality: { equipment_reliability: high, null_reading_probability: 0.0 }
    facilities:
    - id: facility_N_1
      name: Notify Facility
      city: Oxford
      country: England
      units:
      - id: unit_N_1
        name: Vaccine Fridge 1
        data_frequency: 5
        set_temperature: 5.0
        size: 2
        size_unit: sqm
        temperature_unit: C
        equipment_type: refrigerator
        alarm_low_limit: 2.0
        alarm_high_limit: 8.0
        data_quality: { equipment_reliability: high, null_reading_probability: 0.0 }
`;
const SEED = 'notify-e2e-seed';
const FAULT = { minutes: 0.25, delta: 15 };
const DEADBAND = 0.5;

const pg = backendCases().some((c) => c.backend === 'postgres');

describe.skipIf(!pg)('alarm → e-mail → acknowledge → clear, on tms up [postgres]', () => {
  let t: TestDatabase;
  let smtp: SmtpTestServer;
  let up: RunningTms;
  let dir: string;
  let base: number;
  let api: string;

  const request = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tms-notify-e2e-'));
    await writeFile(path.join(dir, 'fleet.yaml'), FLEET);
    t = await createPostgresDatabase();
    smtp = await startSmtpServer();
    base = randomPortBase();
    api = `http://127.0.0.1:${base}`;
    up = startTms(['up'], {
      DATABASE_URL: t.url!,
      TMS_DATA_DIR: path.join(dir, 'data'),
      PORT: String(base),
      SIM_PORT_START: String(base + 1),
      SIM_SEED: SEED,
      TMS_FLEET_FILE: path.join(dir, 'fleet.yaml'),
      TMS_INITIAL_BACKFILL_HOURS: '1',
      SMTP_URL: smtp.url,
      TMS_MAIL_FROM: 'tms alarms <alarms@tms.test>',
      TMS_PUBLIC_URL: 'https://tms.example.com',
    });
    await waitForProcessHttp(up, `${api}/health`, 90_000);
  }, 120_000);
  afterAll(async () => {
    await up?.stop();
    await smtp?.close();
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('mails the alarm once, and nothing more after acknowledgement and a clear past the deadband', async () => {
    const tokens = JSON.parse(await readFile(path.join(dir, 'data', 'tokens.json'), 'utf8'));
    const [unit] = await t.db.query<{ id: string; customer_id: string }>(
      `SELECT id, customer_id FROM storage_units WHERE unit_code = 'unit_N_1'`,
    );
    const issued = await request(
      'POST',
      `/api/v1/admin/customers/${unit!.customer_id}/tokens`,
      tokens.admin.token,
      {
        token_name: 'e2e writer',
        permissions: ['read', 'write'],
      },
    );
    const token = issued.token as string;
    await waitUntil(
      'the first collection',
      async () =>
        (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM temperature_readings'))[0]!.n > 0,
      60_000,
      250,
    );
    await request('POST', '/api/v1/notification-channels', token, {
      name: 'QA',
      type: 'email',
      target: 'qa@pharmacy.test',
      min_severity: 'critical',
    });

    // The threshold just below the fault's plateau, from the simulator's own model (deterministic), so
    // the excursion is beyond it for a few readings and then decays through the deadband band.
    const fleet = parseFleet(FLEET);
    const customer = fleet.customers[0]!;
    const facility = customer.facilities[0]!;
    const fleetUnit = facility.units[0]!;
    const startMs = Math.ceil(Date.now() / 1000) * 1000 + 3_000;
    const predicted = unitReadings({
      seed: SEED,
      customer,
      facility,
      unit: fleetUnit,
      fromMs: startMs,
      toMs: startMs + 120_000,
      faults: [{ unitCode: 'unit_N_1', startMs, durationMs: FAULT.minutes * 60_000, delta: FAULT.delta }],
    }).map((r) => r.temperature!);
    const threshold = Math.round((Math.max(...predicted) - 0.6) * 100) / 100;
    await request('PUT', `/api/v1/units/${unit!.id}/alarm-rules`, token, {
      reason: 'e2e: threshold just below the fault',
      rules: [
        {
          kind: 'high',
          severity: 'critical',
          threshold,
          delay_seconds: 0,
          deadband: DEADBAND,
          clear_delay_seconds: 0,
          enabled: true,
        },
      ],
    });

    await sleep(Math.max(0, startMs - Date.now()));
    const fault = await fetch(
      `http://127.0.0.1:${base + 1}/simulate/fault/unit_N_1?duration_minutes=${FAULT.minutes}&delta=${FAULT.delta}`,
      { method: 'POST' },
    );
    expect(fault.status).toBe(201);
    const faultAt = Date.now();

    await waitUntil('the alarm e-mail', () => smtp.mails.length >= 1, 90_000, 50).catch(async (e: Error) => {
      const state = await t.db.query(
        `SELECT (SELECT count(*)::int FROM temperature_readings) AS readings,
                (SELECT max(temperature_c) FROM temperature_readings) AS max_c,
                (SELECT count(*)::int FROM alarms) AS alarms,
                (SELECT count(*)::int FROM alarm_pending) AS pending,
                (SELECT json_agg(o) FROM notification_outbox o) AS outbox`,
      );
      throw new Error(`${e.message}; threshold ${threshold}; ${JSON.stringify(state)}\n${up.output()}`);
    });
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['qa@pharmacy.test']);
    expect(mail.headers.subject).toBe(
      '[CRITICAL] High temperature: Vaccine Fridge 1 (unit_N_1) at Notify Facility (facility_N_1)',
    );
    expect(mail.text).toContain('Notify Pharmacy (A)');
    expect(mail.text).toMatch(new RegExp(`Threshold: +${threshold.toFixed(1)} °C`));

    const { items } = await request('GET', `/api/v1/alarms?state=active&storage_unit_id=${unit!.id}`, token);
    expect(items).toHaveLength(1);
    const alarm = items[0];
    expect(mail.text).toContain(`https://tms.example.com/#/alarms/${alarm.id}`);
    // Commit of the reading that started the alarm → the SMTP server accepting the mail.
    const [trigger] = await t.db.query<{ created_at: Date; temperature_c: number }>(
      'SELECT created_at, temperature_c FROM temperature_readings WHERE storage_unit_id = $1 AND recorded_at = $2',
      [unit!.id, new Date(alarm.started_at)],
    );
    expect(trigger!.temperature_c).toBeGreaterThanOrEqual(threshold);
    const latencyMs = mail.acceptedAtMs - trigger!.created_at.getTime();
    console.log(
      `[alarm-notify e2e] fault → mail ${mail.acceptedAtMs - faultAt} ms; reading commit → SMTP accept ${latencyMs} ms`,
    );
    expect(latencyMs).toBeLessThan(10_000);

    await request('POST', `/api/v1/alarms/${alarm.id}/acknowledge`, token, {
      comment: 'door was open, closed it',
    });

    await waitUntil(
      'the alarm to clear',
      async () => (await request('GET', `/api/v1/alarms/${alarm.id}`, token)).cleared_at !== null,
      120_000,
      500,
    ).catch(async (e: Error) => {
      const rows = await t.db.query<{ recorded_at: Date; temperature_c: number }>(
        `SELECT recorded_at, temperature_c FROM temperature_readings WHERE storage_unit_id = $1 AND recorded_at >= $2
         ORDER BY recorded_at`,
        [unit!.id, new Date(alarm.started_at)],
      );
      const seen = rows
        .map((r) => `${r.recorded_at.toISOString().slice(11, 19)} ${r.temperature_c}`)
        .join(', ');
      throw new Error(
        `${e.message}; threshold ${threshold}; readings since the start: ${seen}\n${up.output()}`,
      );
    });
    const done = await request('GET', `/api/v1/alarms/${alarm.id}`, token);
    expect(done.state).toBe('closed');

    // Respecting the deadband: readings below the threshold but within the band did not clear it;
    // the first reading past threshold − deadband did (a value exactly on that line is not past it:
    // readings and the threshold have two decimals, so it happens). Failed reads (null) play no part in a
    // high rule, so they are left out.
    const readings = await t.db.query<{ recorded_at: Date; temperature_c: number }>(
      `SELECT recorded_at, temperature_c FROM temperature_readings
       WHERE storage_unit_id = $1 AND recorded_at >= $2 AND recorded_at <= $3
         AND temperature_c IS NOT NULL ORDER BY recorded_at`,
      [unit!.id, new Date(alarm.started_at), new Date(done.cleared_at)],
    );
    const clearing = readings.at(-1)!;
    expect(clearing.recorded_at.toISOString()).toBe(new Date(done.cleared_at).toISOString());
    expect(clearing.temperature_c).toBeLessThan(threshold - DEADBAND);
    const before = readings.slice(0, -1);
    const seen = readings.map((r) => r.temperature_c).join(', ');
    expect(
      before.every((r) => r.temperature_c >= threshold - DEADBAND),
      `threshold ${threshold}: ${seen}`,
    ).toBe(true);
    expect(
      before.some((r) => r.temperature_c < threshold),
      `threshold ${threshold}: ${seen}`,
    ).toBe(true);

    // No further e-mail: the acknowledged alarm's end is not mailed, and no new alarm followed.
    await sleep(5_000);
    expect(smtp.mails).toHaveLength(1);
    const log = await request('GET', '/api/v1/notifications', token);
    expect(log.items.map((d: { event: string; status: string }) => `${d.event}:${d.status}`)).toEqual([
      'started:sent',
    ]);
    const events = done.events.map((e: { type: string }) => e.type);
    expect(events).toEqual(expect.arrayContaining(['started', 'notified', 'acknowledged', 'cleared']));
  }, 300_000);
});
