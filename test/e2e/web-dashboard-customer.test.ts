/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, watchConsole } from '../support/browser.ts';
import {
  BROWSER_TZ,
  dashboardSuite,
  go,
  int,
  settle,
  temp,
  unitsOf,
  type Facility,
  type PageOf,
  type Stats,
  type Unit,
} from '../support/web-dashboard.ts';

// The customer pages in real Chromium against a system seeded by the real ingestion pipeline
// (then frozen: API role only). Every number on screen is compared with the same API call.

const skip = browserSkipReason();

describe.skipIf(skip !== null)('web dashboard: sign-in and the customer pages', () => {
  const suite = dashboardSuite();
  const { newPage, login, shot } = suite;
  let sys: typeof suite.sys;
  beforeAll(() => {
    sys = suite.sys;
  });

  it('serves the dashboard at / with a strict CSP, and JSON to API clients', async () => {
    const html = await fetch(`${sys.base}/`, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(html.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(html.headers.get('cache-control')).toBe('no-cache');
    const body = await html.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(body)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(sys.base + asset!);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${sys.base}/assets/..%2Fpackage.json`)).status).toBe(404);
    expect(await (await fetch(`${sys.base}/`)).json()).toMatchObject({
      message: 'Temperature Monitoring API',
    });
  });

  it('refuses a bad token with a clear message, and says when the API is down', async () => {
    const { page, console: con, close } = await newPage();
    con.allow(/status of 401/);
    await page.goto(`${sys.base}/`);
    await page.fill('#token', 'tms_not-a-real-token');
    await page.click('button[type=submit]');
    await expect
      .poll(() => page.locator('[data-testid=login-error]').textContent())
      .toMatch(/token was refused/);
    await shot(page, '01-login-bad-token');

    // The API goes away: the login page says so instead of failing silently.
    con.allow(/ERR_FAILED|ERR_CONNECTION/);
    await page.route('**/health', (r) => r.abort());
    await page.route('**/api/v1/**', (r) => r.abort());
    await page.reload();
    await page.waitForSelector('[data-testid=api-down]');
    await page.fill('#token', sys.tokens.customers.A!);
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('[data-testid=login-error]').textContent()).toMatch(/not reachable/);
    await shot(page, '02-login-api-down');
    expect(con.unexpected()).toEqual([]);
    await close();
  });

  describe('customer A', () => {
    let page: Page;
    let con: ReturnType<typeof watchConsole>;
    let urls: string[];
    let close: () => Promise<void>;
    let token: string;
    let units: Unit[];
    let facilities: Facility[];

    beforeAll(async () => {
      token = sys.writeTokenA;
      ({ page, console: con, urls, close } = await newPage());
      ({ facilities, units } = await unitsOf(sys, token));
    });
    afterAll(async () => {
      await close?.();
    });

    it('logs in and shows the home page with the API numbers', async () => {
      await login(page, token);
      const profile = await sys.api<{
        name: string;
        facility_count: number;
        unit_count: number;
        active_readings_count: number;
      }>('/api/v1/customers/profile', token);
      const stats = await sys.api<Stats>('/api/v1/temperature/stats?unit=C', token);
      expect(await page.textContent('[data-testid=who]')).toBe(profile.name);
      expect(await page.textContent('[data-testid=tz]')).toBe(BROWSER_TZ);
      expect(int(await page.textContent('[data-testid=kpi-facilities]'))).toBe(profile.facility_count);
      expect(int(await page.textContent('[data-testid=kpi-units]'))).toBe(profile.unit_count);
      expect(int(await page.textContent('[data-testid=kpi-readings]'))).toBe(profile.active_readings_count);
      expect(profile.active_readings_count).toBeGreaterThan(0);
      expect(await page.textContent('[data-testid=kpi-avg]')).toBe(temp(stats.avg_temperature, 'C', 2));
      expect(await page.textContent('[data-testid=kpi-min]')).toBe(temp(stats.min_temperature, 'C', 2));
      expect(await page.textContent('[data-testid=kpi-max]')).toBe(temp(stats.max_temperature, 'C', 2));
      expect(int(await page.textContent('[data-testid=kpi-reading-count]'))).toBe(stats.reading_count);
      const fresh = (await unitsOf(sys, token)).units;
      for (const s of ['normal', 'warning', 'critical', 'offline', 'unknown'])
        expect(int(await page.textContent(`[data-testid=status-counts-${s}]`)), s).toBe(
          fresh.filter((u) => (u.temperature_status ?? 'unknown') === s).length,
        );
      expect(Number(await page.getAttribute('[data-testid=trend-chart]', 'data-points'))).toBeGreaterThan(0);
      expect(await page.locator('[data-testid=trend-chart] canvas').count()).toBe(1);
      const latest = await sys.api<
        { storage_unit_id: string; temperature: number | null; unit_name: string; excursion: boolean }[]
      >('/api/v1/temperature/latest?limit=10&unit=C', token);
      expect(await page.locator('[data-testid=latest-table] tbody tr').count()).toBe(latest.length);
      expect(await page.locator('[data-testid=latest-temp]').first().textContent()).toBe(
        temp(latest[0]!.temperature),
      );
      // Names, never ids; and a row is marked as an excursion exactly when the API says so.
      for (const r of latest) {
        const row = page.locator(`[data-testid=latest-table] tr[data-unit-id="${r.storage_unit_id}"]`);
        expect(await row.locator('td').first().textContent()).toBe(r.unit_name);
        expect(await row.getAttribute('data-state')).not.toBe(r.excursion ? 'in-range' : 'excursion');
      }
      // The badge says "Live" only while the API calls the feed live (the data was collected just now).
      const feed = (await sys.api<{ feed: { status: string } }>('/api/v1/customers/profile', token)).feed;
      const badge = page.locator('[data-testid=live-badge]');
      await expect.poll(() => badge.getAttribute('data-feed-status')).toBe(feed.status);
      if (feed.status === 'live') expect(await badge.textContent()).toMatch(/Live/);
      await shot(page, '10-customer-home');
    });

    it('shows every facility with its status, and the comparison from the aggregate API', async () => {
      await go(page, '#/facilities');
      expect(await page.locator('[data-testid=facility-cards] article').count()).toBe(facilities.length);
      for (const f of facilities)
        expect(
          int(await page.textContent(`[data-facility-id="${f.id}"] [data-testid=facility-unit-count]`)),
        ).toBe(f.unit_count);
      const start = new Date(Date.now() - 7 * 86400_000).toISOString();
      const agg = await sys.api<unknown[]>('/api/v1/temperature/aggregate?unit=C', token, {
        method: 'POST',
        body: JSON.stringify({
          group_by: ['facility'],
          aggregations: ['avg', 'min', 'max', 'count'],
          start_date: start,
        }),
      });
      expect(Number(await page.getAttribute('[data-testid=comparison-chart]', 'data-points'))).toBe(
        agg.length,
      );
      await shot(page, '11-customer-facilities');
    });

    it('shows a facility: info, units table, trend and recent readings', async () => {
      const f = facilities[0]!;
      await go(page, `#/facilities/${f.id}`);
      const d = await sys.api<{ unit_count: number; units: Unit[]; average_temperature: number | null }>(
        `/api/v1/facilities/${f.id}/detailed?unit=C`,
        token,
      );
      expect(int(await page.textContent('[data-testid=facility-units]'))).toBe(d.unit_count);
      expect(await page.textContent('[data-testid=facility-avg]')).toBe(temp(d.average_temperature, 'C', 2));
      expect(await page.locator('[data-testid=units-table] tbody tr').count()).toBe(d.units.length);
      expect(
        Number(await page.getAttribute('[data-testid=facility-trend-chart]', 'data-points')),
      ).toBeGreaterThan(0);
      const recent = await sys.api<PageOf<unknown>>(`/api/v1/temperature/facility/${f.id}?limit=20`, token);
      expect(await page.locator('[data-testid=readings-table] tbody tr').count()).toBe(recent.items.length);
      await shot(page, '12-customer-facility-detail');
    });

    it('lists every unit, filters by status and searches', async () => {
      await go(page, '#/units');
      expect(await page.locator('[data-testid=units-table] tbody tr').count()).toBe(units.length);
      await page.selectOption('#unit-status', 'normal');
      await settle(page);
      const normal = (await unitsOf(sys, token)).units.filter(
        (u) => u.temperature_status === 'normal',
      ).length;
      expect(await page.locator('[data-testid=units-table] tbody tr').count()).toBe(normal);
      await page.selectOption('#unit-status', '');
      const target = units[units.length - 1]!;
      await page.fill('#unit-search', target.unit_code);
      await expect.poll(() => page.locator('[data-testid=units-table] tbody tr').count()).toBe(1);
      expect(await page.getAttribute('[data-testid=units-table] tbody tr', 'data-unit-id')).toBe(target.id);
      await page.fill('#unit-search', '');
      await shot(page, '13-customer-units');
    });

    it('filters analytics by a date range', async () => {
      await go(page, '#/analytics');
      const shown = page.locator('[data-testid=range-shown]');
      let q = `start_date=${await shown.getAttribute('data-start')}&end_date=${await shown.getAttribute('data-end')}`;
      let s = await sys.api<Stats>(`/api/v1/analytics/temperature/summary?${q}&unit=C`, token);
      expect(s.reading_count).toBeGreaterThan(0);
      expect(int(await page.textContent('[data-testid=an-count]'))).toBe(s.reading_count);
      expect(await page.textContent('[data-testid=an-avg]')).toBe(temp(s.avg_temperature, 'C', 2));
      expect(Number(await page.getAttribute('[data-testid=an-trend-chart]', 'data-points'))).toBeGreaterThan(
        0,
      );
      const perf = await sys.api<{
        uptime: { uptime_percentage: number };
        data_quality: { quality_percentage: number };
      }>(`/api/v1/analytics/performance?${q}&unit=C`, token);
      expect(await page.textContent('[data-testid=an-uptime]')).toBe(
        `${perf.uptime.uptime_percentage.toFixed(1)} %`,
      );
      expect(await page.textContent('[data-testid=an-quality]')).toBe(
        `${perf.data_quality.quality_percentage.toFixed(1)} %`,
      );
      await shot(page, '17-customer-analytics');

      // A range without data really filters: zero readings, empty charts.
      await page.fill('#an-from', '2020-01-01');
      await page.fill('#an-to', '2020-01-31');
      await page.click('[data-testid=apply-range]');
      await expect.poll(() => shown.getAttribute('data-start')).toMatch(/^2020-01-01T00:00:00/);
      await settle(page);
      q = `start_date=${await shown.getAttribute('data-start')}&end_date=${await shown.getAttribute('data-end')}`;
      s = await sys.api<Stats>(`/api/v1/analytics/temperature/summary?${q}&unit=C`, token);
      expect(s.reading_count).toBe(0);
      expect(int(await page.textContent('[data-testid=an-count]'))).toBe(0);
      expect(await page.locator('[data-testid=an-trend-chart]').count()).toBe(0);
    });

    it('creates a token (shown once) and revokes it', async () => {
      await go(page, '#/settings');
      await page.fill('#tok-name', 'browser-made');
      await page.click('[data-testid=create-token]');
      const value = await page.locator('[data-testid=new-token-value]').inputValue();
      expect(value).toMatch(/^tms_/);
      expect(
        (
          await fetch(`${sys.base}/api/v1/customers/profile`, {
            headers: { authorization: `Bearer ${value}` },
          })
        ).status,
      ).toBe(200);
      const row = page.locator('[data-testid=tokens-table] tr', { hasText: 'browser-made' });
      await expect.poll(() => row.count()).toBe(1);
      expect(await page.locator('[data-testid=tokens-table]').textContent()).not.toContain(value);
      await shot(page, '18-customer-settings-token-created');
      await page.click('[data-testid=new-token] >> text=Done');
      await row.locator('button', { hasText: 'Revoke' }).click();
      await expect.poll(() => page.textContent('[data-testid=token-msg]')).toMatch(/revoked/);
      await expect.poll(() => row.count()).toBe(0);
      expect(
        (
          await fetch(`${sys.base}/api/v1/customers/profile`, {
            headers: { authorization: `Bearer ${value}` },
          })
        ).status,
      ).toBe(401);
    });

    it('shows system health', async () => {
      await go(page, '#/health');
      const h = (await (await fetch(`${sys.base}/health`)).json()) as { database: string };
      expect(await page.textContent('[data-component=database] .badge')).toBe(
        h.database === 'ok' ? 'OK' : 'Error',
      );
      expect(await page.locator('[data-testid=health-table] tbody tr').count()).toBe(3);
      await shot(page, '19-customer-health');
    });

    it('is keyboard-usable with a visible focus ring', async () => {
      await go(page, '#/');
      await page.reload();
      await settle(page);
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => document.activeElement?.textContent);
      expect(first).toBe('Skip to content');
      let outline = 'none';
      for (let i = 0; i < 12 && outline === 'none'; i++) {
        await page.keyboard.press('Tab');
        outline = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          return el.closest('nav.mainnav') ? getComputedStyle(el).outlineStyle : 'none';
        });
      }
      expect(outline).not.toBe('none');
      await page.keyboard.press('Enter');
      await settle(page);
      expect(await page.evaluate(() => location.hash)).toMatch(/^#\//);
    });

    it('never puts the token in a URL, logs out and forgets it', async () => {
      expect(urls.filter((u) => u.includes(token))).toEqual([]);
      expect(await page.evaluate(() => location.href)).not.toContain(token);
      await page.click('[data-testid=logout]');
      await page.waitForSelector('#token');
      expect(await page.evaluate(() => sessionStorage.getItem('tms.token'))).toBeNull();
      expect(con.unexpected()).toEqual([]);
    });
  });
});
