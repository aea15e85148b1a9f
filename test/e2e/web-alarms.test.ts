/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { openDb } from '../../src/db/open.ts';
import { insertReadingsWithRollups, type NewReading } from '../../src/db/readings-query-repo.ts';
import { browserSkipReason, watchConsole } from '../support/browser.ts';
import { dashboardSuite, go, settle, type PageOf } from '../support/web-dashboard.ts';

// The alarms UI in real Chromium: the header's open-alarm count, the alarms page's order,
// acknowledging with a required comment, the excursion on the alarm page's chart, the rule editor
// in °F, and notification channels with a test send. Alarms are written straight into the stopped
// system's database (with the readings of one excursion), so every expected figure is known.

const skip = browserSkipReason();

const MIN = 60_000;

interface Alarm {
  id: string;
  severity: string;
  state: string;
  started_at: string;
  acknowledged_by: string | null;
  comment: string | null;
}
interface Rule {
  id: string;
  kind: string;
  severity: string;
  threshold: number | null;
  deadband: number;
  delay_seconds: number;
  [field: string]: unknown;
}
/** The rule fields the editor shows and sends back. */
const EDITED = [
  'severity',
  'enabled',
  'threshold',
  'delay_seconds',
  'deadband',
  'clear_delay_seconds',
  'cumulative_seconds',
  'window_seconds',
  'no_data_seconds',
  'failures_in_row',
];

/** What the seeding wrote: the excursion's unit and its alarm, and the other alarms by role. */
const seeded = {
  unitId: '',
  setC: 0,
  excursionStart: 0,
  ids: { excursion: '', warning: '', lateCritical: '', closed: '' },
};

/**
 * One hour of minute readings 3 h ago on a °C unit of customer A rising to set point + 8 °C and
 * back; a critical high alarm (threshold set + 4 °C) over the part above it, cleared and not yet
 * acknowledged; an active warning; a late critical low; a closed (cleared, acknowledged) no_data alarm.
 */
const seed = async (env: Record<string, string>) => {
  const db = await openDb(parseConfig({ TMS_DATA_DIR: env.TMS_DATA_DIR!, LOG_LEVEL: 'warn' }), {
    holder: 'test:web-alarms',
  });
  try {
    const units = await db.query<{ id: string; customer_id: string; facility_id: string; set_c: number }>(
      `SELECT u.id, u.customer_id, u.facility_id, u.set_temperature::float8 AS set_c
         FROM storage_units u JOIN customers c ON c.id = u.customer_id
        WHERE c.customer_code = 'A' AND u.temperature_unit = 'C' ORDER BY u.unit_code`,
    );
    expect(units.length).toBeGreaterThanOrEqual(4);
    const [u1, u2, u3, u4] = units as [
      (typeof units)[0],
      (typeof units)[0],
      (typeof units)[0],
      (typeof units)[0],
    ];
    const t0 = Math.floor((Date.now() - 3 * 60 * MIN) / MIN) * MIN;
    const readings: NewReading[] = [];
    for (let k = 0; k <= 60; k++) {
      const v = Math.round((u1.set_c + 8 * Math.sin((Math.PI * k) / 60)) * 100) / 100;
      readings.push({
        customerId: u1.customer_id,
        facilityId: u1.facility_id,
        unitId: u1.id,
        recordedAt: new Date(t0 + k * MIN),
        temperatureC: v,
        sourceValue: v,
        sourceUnit: 'C',
        sensorId: 'web-alarms',
        qualityScore: 1,
        equipmentStatus: 'normal',
      });
    }
    await insertReadingsWithRollups(db, readings);
    // sin(πk/60) ≥ 0.5 for k in [10, 50]: above set + 4 from minute 10 to minute 50.
    const insert = async (
      u: (typeof units)[0],
      a: {
        kind: string;
        severity: string;
        thresholdC: number | null;
        startedMs: number;
        clearedMs?: number;
        late?: boolean;
        ack?: { by: string; comment: string };
        peakC?: number;
      },
    ) => {
      const rule = {
        id: `${a.kind}-${a.severity}`.replace('_', '-'),
        kind: a.kind,
        severity: a.severity,
        threshold_c: a.thresholdC ?? undefined,
        delay_seconds: 300,
        deadband_c: 1,
        clear_delay_seconds: 0,
        enabled: true,
      };
      const started = new Date(a.startedMs);
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO alarms (customer_id, facility_id, storage_unit_id, rule_id, kind, severity, rule_snapshot,
           threshold_c, started_at, confirmed_at, detected_at, late, cleared_at, acknowledged_at, acknowledged_by,
           comment, peak_c, min_c, max_c, mean_c, reading_count, time_beyond_seconds, degree_minutes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9::timestamptz + interval '5 minutes', $10, $11, $12,
           $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
         RETURNING id`,
        [
          u.customer_id,
          u.facility_id,
          u.id,
          rule.id,
          a.kind,
          a.severity,
          JSON.stringify(rule),
          a.thresholdC,
          started,
          new Date(a.late ? Date.now() : a.startedMs + 6 * MIN),
          a.late ?? false,
          a.clearedMs ? new Date(a.clearedMs) : null,
          a.ack ? new Date() : null,
          a.ack?.by ?? null,
          a.ack?.comment ?? null,
          a.peakC ?? null,
          a.peakC !== undefined ? u.set_c + 4 : null,
          a.peakC ?? null,
          a.peakC !== undefined ? u.set_c + 6.5 : null,
          a.peakC !== undefined ? 41 : 0,
          a.peakC !== undefined ? 2400 : 0,
          a.peakC !== undefined ? 100 : 0,
        ],
      );
      await db.query(
        `INSERT INTO alarm_events (alarm_id, type, at, details) VALUES ($1, 'started', $2, '{}')`,
        [row!.id, started],
      );
      if (a.clearedMs)
        await db.query(
          `INSERT INTO alarm_events (alarm_id, type, at, details) VALUES ($1, 'cleared', $2, '{}')`,
          [row!.id, new Date(a.clearedMs)],
        );
      return row!.id;
    };
    seeded.unitId = u1.id;
    seeded.setC = u1.set_c;
    seeded.excursionStart = t0 + 10 * MIN;
    seeded.ids.excursion = await insert(u1, {
      kind: 'high',
      severity: 'critical',
      thresholdC: u1.set_c + 4,
      startedMs: t0 + 10 * MIN,
      clearedMs: t0 + 50 * MIN,
      peakC: u1.set_c + 8,
    });
    seeded.ids.warning = await insert(u2, {
      kind: 'high',
      severity: 'warning',
      thresholdC: u2.set_c + 2,
      startedMs: Date.now() - 4 * 60 * MIN,
      peakC: u2.set_c + 3,
    });
    seeded.ids.lateCritical = await insert(u3, {
      kind: 'low',
      severity: 'critical',
      thresholdC: u3.set_c - 5,
      startedMs: Date.now() - 30 * MIN,
      late: true,
      peakC: u3.set_c - 6,
    });
    seeded.ids.closed = await insert(u4, {
      kind: 'no_data',
      severity: 'warning',
      thresholdC: null,
      startedMs: Date.now() - 26 * 60 * MIN,
      clearedMs: Date.now() - 25 * 60 * MIN,
      ack: { by: 'night shift', comment: 'router restarted' },
    });
  } finally {
    await db.close();
  }
};

const rowOrder = (page: Page, table: string) =>
  page.$$eval(`[data-testid=${table}] tbody tr[data-alarm-id]`, (rows) =>
    rows.map((r) => ({ id: r.getAttribute('data-alarm-id')!, severity: r.getAttribute('data-severity')! })),
  );

describe.skipIf(skip !== null)('web dashboard: alarms and notifications', () => {
  const suite = dashboardSuite(seed);
  const { newPage, login, shot } = suite;
  let sys: typeof suite.sys;
  let page: Page;
  let con: ReturnType<typeof watchConsole>;
  let close: () => Promise<void>;
  let token: string;
  const openCounts = async () => {
    const all = await sys.api<PageOf<Alarm>>('/api/v1/alarms?state=open&limit=1', token);
    const crit = await sys.api<PageOf<Alarm>>('/api/v1/alarms?state=open&severity=critical&limit=1', token);
    return { total: all.total, critical: crit.total };
  };
  const header = async () => ({
    total: Number(await page.getAttribute('[data-testid=open-alarms]', 'data-count')),
    critical: Number(await page.getAttribute('[data-testid=open-alarms]', 'data-critical')),
  });

  beforeAll(async () => {
    sys = suite.sys;
    token = sys.writeTokenA;
    ({ page, console: con, close } = await newPage());
    await login(page, token);
  });
  afterAll(async () => {
    expect(con.unexpected()).toEqual([]);
    await close?.();
  });

  it('counts open alarms in the header, red while one is critical', async () => {
    await page.waitForSelector('[data-testid=open-alarms]');
    const api = await openCounts();
    expect(api.total).toBeGreaterThanOrEqual(3);
    expect(api.critical).toBeGreaterThanOrEqual(2);
    expect(await header()).toEqual(api);
    expect(await page.getAttribute('[data-testid=open-alarms]', 'class')).toContain('alarm-count-critical');
    // On every page: the units page too, where a unit with open alarms shows them as the API counts them.
    await go(page, '#/units');
    expect(await header()).toEqual(api);
    const u = await sys.api<{ open_alarms: number; alarm_severity: string | null }>(
      `/api/v1/units/${seeded.unitId}`,
      token,
    );
    expect(u.open_alarms).toBeGreaterThanOrEqual(1);
    const badge = page.locator(`tr[data-unit-id="${seeded.unitId}"] [data-testid=unit-alarm-badge]`);
    expect(Number(await badge.getAttribute('data-count'))).toBe(u.open_alarms);
    expect(await badge.getAttribute('data-severity')).toBe(u.alarm_severity ?? '');
  });

  it('lists open alarms first, critical before warning, the longest open first', async () => {
    await page.click('[data-testid=open-alarms]');
    await page.waitForSelector('[data-testid=open-alarms-table]');
    await settle(page);
    const rows = await rowOrder(page, 'open-alarms-table');
    const open = (await sys.api<PageOf<Alarm>>('/api/v1/alarms?state=open&limit=1000', token)).items;
    expect(rows.map((r) => r.id).sort()).toEqual(open.map((a) => a.id).sort());
    const started = new Map(open.map((a) => [a.id, Date.parse(a.started_at)]));
    const rank = (s: string) => (s === 'critical' ? 0 : 1);
    for (let i = 1; i < rows.length; i++) {
      const [a, b] = [rows[i - 1]!, rows[i]!];
      expect(rank(a.severity)).toBeLessThanOrEqual(rank(b.severity));
      if (a.severity === b.severity) expect(started.get(a.id)!).toBeLessThanOrEqual(started.get(b.id)!);
    }
    const at = (id: string) => rows.findIndex((r) => r.id === id);
    expect(at(seeded.ids.excursion)).toBeLessThan(at(seeded.ids.lateCritical));
    expect(at(seeded.ids.lateCritical)).toBeLessThan(at(seeded.ids.warning));
    expect(at(seeded.ids.closed)).toBe(-1);
    expect(
      await page
        .locator(
          `[data-testid=open-alarms-table] tr[data-alarm-id="${seeded.ids.lateCritical}"] [data-testid=late-badge]`,
        )
        .count(),
    ).toBe(1);
    // The closed alarm is in the history, filtered by state, with who acknowledged it and why.
    await go(page, '#/alarms?state=closed');
    const closedRow = page.locator(
      `[data-testid=alarm-history-table] tr[data-alarm-id="${seeded.ids.closed}"] [data-testid=alarm-ack]`,
    );
    expect(await closedRow.textContent()).toMatch(/night shift.*router restarted/);
    await shot(page, '70-alarms-history-closed');
  });

  it('acknowledges only with a comment, and the header counts again', async () => {
    await go(page, '#/alarms');
    const before = await header();
    const row = `[data-testid=open-alarms-table] tr[data-alarm-id="${seeded.ids.excursion}"]`;
    await page.click(`${row} [data-testid=ack-open]`);
    const submit = page.locator('[data-testid=ack-form] [data-testid=ack-submit]');
    expect(await submit.isDisabled()).toBe(true);
    await page.fill('[data-testid=ack-form] [data-testid=ack-comment]', '   ');
    expect(await submit.isDisabled()).toBe(true);
    await page.fill(
      '[data-testid=ack-form] [data-testid=ack-comment]',
      'Door found ajar; goods moved to Freezer 2',
    );
    expect(await submit.isDisabled()).toBe(false);
    await shot(page, '71-alarms-ack-form');
    await submit.click();
    // Cleared and now acknowledged: closed, so it leaves the open list and the count.
    await page.waitForSelector(row, { state: 'detached' });
    const a = await sys.api<Alarm>(`/api/v1/alarms/${seeded.ids.excursion}`, token);
    expect(a.state).toBe('closed');
    expect(a.comment).toBe('Door found ajar; goods moved to Freezer 2');
    expect(a.acknowledged_by).toBeTruthy();
    await expect.poll(header).toEqual({ total: before.total - 1, critical: before.critical - 1 });
    expect(await header()).toEqual(await openCounts());
  });

  it('draws the excursion on the unit chart with its threshold and lists its events in order', async () => {
    await go(page, `#/alarms/${seeded.ids.excursion}`);
    await page.waitForSelector('[data-testid=alarm-chart][data-drawn]');
    const wrap = page.locator('[data-testid=alarm-chart-wrap]');
    expect(Number(await wrap.getAttribute('data-threshold'))).toBeCloseTo(seeded.setC + 4, 6);
    const labels = JSON.parse((await wrap.getAttribute('data-series'))!) as string[];
    expect(labels).toContain('Threshold (critical high)');
    expect(labels).toContain('Clears at (deadband)');
    expect(await page.locator('[data-testid=alarm-chart-wrap] .u-legend').textContent()).toContain(
      'Threshold (critical high)',
    );
    // Every reading of the window is drawn, the excursion's 61 among them.
    const q = `start_date=${await wrap.getAttribute('data-start')}&end_date=${await wrap.getAttribute('data-end')}`;
    const readings = await sys.api<PageOf<{ temperature: number | null }>>(
      `/api/v1/temperature/unit/${seeded.unitId}?${q}&limit=1000`,
      token,
    );
    expect(readings.total).toBeGreaterThanOrEqual(61);
    expect(Number(await page.getAttribute('[data-testid=alarm-chart]', 'data-points'))).toBe(
      readings.items.filter((r) => r.temperature !== null).length,
    );
    expect(await page.textContent('[data-testid=fig-peak]')).toContain(`${(seeded.setC + 8).toFixed(1)} °C`);
    expect(await page.textContent('[data-testid=fig-beyond]')).toBe('40 min');
    const events = await page.$$eval('[data-testid=alarm-events] li', (li) =>
      li.map((l) => l.getAttribute('data-type')),
    );
    expect(events).toEqual(['started', 'cleared', 'acknowledged']);
    await shot(page, '72-alarm-page-chart');
  });

  it('saves a rule typed in °F in the unit’s own °C', async () => {
    const before = await sys.api<{ rules: Rule[]; temperature_unit: string }>(
      `/api/v1/units/${seeded.unitId}/alarm-rules`,
      token,
    );
    expect(before.temperature_unit).toBe('C');
    const target = before.rules.find((r) => r.kind === 'high' && r.severity === 'critical')!;
    await page.click('[data-testid=unit-F]');
    await go(page, `#/units/${seeded.unitId}`);
    await page.waitForSelector('[data-testid=rule-editor]');
    const input = page.locator(`tr[data-rule-id="${target.id}"] input[data-field=threshold]`);
    // The editor shows the °C threshold in °F.
    expect(Number(await input.inputValue())).toBeCloseTo((target.threshold! * 9) / 5 + 32, 1);
    await input.fill('50');
    // A rule change needs a reason (audit trail): without one the editor says so and saves nothing.
    await page.click('[data-testid=rules-save]');
    const noReason = page.locator('[data-testid=rule-editor] .alert-error');
    await noReason.waitFor();
    expect(await noReason.textContent()).toMatch(/reason/i);
    await page.fill('[data-testid=rules-reason]', 'Vaccines: high alarm at 10 °C (SOP-12)');
    await page.click('[data-testid=rules-save]');
    await page.waitForSelector('[data-testid=rules-saved]');
    const after = await sys.api<{ rules: Rule[]; source: string }>(
      `/api/v1/units/${seeded.unitId}/alarm-rules`,
      token,
    );
    expect(after.source).toBe('unit');
    const audit = await sys.api<{ items: { actor: { name: string }; action: string; reason: string }[] }>(
      `/api/v1/audit?entity_type=alarm_rules&entity_id=${seeded.unitId}`,
      token,
    );
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      action: 'update',
      reason: 'Vaccines: high alarm at 10 °C (SOP-12)',
    });
    const saved = after.rules.find((r) => r.id === target.id)!;
    expect(saved.threshold).toBeCloseTo(10, 6); // 50 °F
    // Untouched rules and fields come back as they were (the fields the editor shows).
    const shown = (rs: Rule[]) =>
      rs.map((r) => ({ ...Object.fromEntries(EDITED.map((k) => [k, r[k]])), id: r.id, kind: r.kind }));
    expect(saved.deadband).toBe(target.deadband);
    expect(shown(after.rules.filter((r) => r.id !== target.id))).toEqual(
      shown(before.rules.filter((r) => r.id !== target.id)),
    );
    await shot(page, '73-unit-rule-editor-F');
    await page.click('[data-testid=unit-C]');
  });

  it('creates a channel, sends a test and shows the delivery result; a refused webhook says why', async () => {
    await go(page, '#/notifications');
    await page.click('[data-testid=channel-new]');
    await page.fill('#ch-target', 'quality@example.com');
    await page.fill('#ch-name', 'Quality manager');
    await page.click('[data-testid=channel-save]');
    await page.waitForSelector('[data-testid=channel-msg]');
    const channels = await sys.api<{ id: string; target: string }[]>('/api/v1/notification-channels', token);
    const ch = channels.find((c) => c.target === 'quality@example.com')!;
    const test = page.locator(`tr[data-channel-id="${ch.id}"] [data-testid=channel-test]`);
    await test.click();
    const result = page.locator(`tr[data-channel-id="${ch.id}"] [data-testid=test-result]`);
    await result.waitFor({ timeout: 30_000 });
    // The api-only system has no notifier: whatever the outcome, the page shows the API's.
    const log = await sys.api<PageOf<{ status: string; event: string; last_error: string | null }>>(
      `/api/v1/notifications?channel_id=${ch.id}&limit=1`,
      token,
    );
    expect(log.items[0]!.event).toBe('test');
    expect(await result.getAttribute('data-status')).toBe(log.items[0]!.status);
    if (log.items[0]!.last_error) expect(await result.textContent()).toContain(log.items[0]!.last_error);
    await page.waitForSelector('[data-testid=deliveries-table] tr[data-event=test]');
    await shot(page, '74-notification-channels');

    // A webhook to the cloud metadata address is refused (SSRF rules): the form shows the API's reason.
    con.allow(/status of 422/);
    await page.click('[data-testid=channel-new]');
    await page.selectOption('#ch-type', 'webhook');
    await page.fill('#ch-target', 'http://169.254.169.254/latest/meta-data');
    await page.click('[data-testid=channel-save]');
    const err = page.locator('[data-testid=channel-form] .alert-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/webhook URL/i);
  });

  it('shows the admin every customer’s alarms, and their open count in the header', async () => {
    const admin = await newPage();
    // The login probe tries the customer profile first: one expected 403 for an admin token.
    admin.console.allow(/status of 403/);
    try {
      await login(admin.page, sys.tokens.admin);
      const total = (
        await sys.api<PageOf<Alarm>>('/api/v1/admin/alarms?state=open&limit=1', sys.tokens.admin)
      ).total;
      await admin.page.waitForSelector('[data-testid=open-alarms]');
      expect(Number(await admin.page.getAttribute('[data-testid=open-alarms]', 'data-count'))).toBe(total);
      const customers = await sys.api<PageOf<{ id: string; customer_code: string }>>(
        '/api/v1/admin/customers?limit=1000',
        sys.tokens.admin,
      );
      const a = customers.items.find((c) => c.customer_code === 'A')!;
      await go(admin.page, `#/admin/alarms?customer=${a.id}`);
      const rows = await rowOrder(admin.page, 'admin-alarms-table');
      expect(rows.map((r) => r.id)).toContain(seeded.ids.lateCritical);
      expect(rows.map((r) => r.id)).not.toContain(seeded.ids.closed);
      expect(
        await admin.page.textContent(
          `tr[data-alarm-id="${seeded.ids.lateCritical}"] td[data-label=Customer]`,
        ),
      ).toMatch(/^A · /);
      await shot(admin.page, '75-admin-alarms');
      expect(admin.console.unexpected()).toEqual([]);
    } finally {
      await admin.close();
    }
  });

  it('fits the alarm pages on a 390 × 844 phone', async () => {
    const phone = await newPage({ width: 390, height: 844 });
    try {
      await login(phone.page, token);
      for (const hash of ['#/alarms', `#/alarms/${seeded.ids.excursion}`, '#/notifications']) {
        await go(phone.page, hash);
        const o = await phone.page.evaluate(() => ({
          scroll: document.scrollingElement!.scrollWidth,
          client: document.scrollingElement!.clientWidth,
        }));
        expect(o.scroll, hash).toBeLessThanOrEqual(o.client);
      }
      await shot(phone.page, '76-phone-notifications');
      expect(phone.console.unexpected()).toEqual([]);
    } finally {
      await phone.close();
    }
  });
});
