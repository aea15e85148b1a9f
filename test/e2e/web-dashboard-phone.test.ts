/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason } from '../support/browser.ts';
import { dashboardSuite, go, int, unitsOf, type PageOf } from '../support/web-dashboard.ts';
import type { SeededSystem } from '../support/web-system.ts';

// Whether the dashboard tells the truth about its data (the "live" badge, the feed banner, overdue
// units, excursions) and whether every page works on a phone (390 × 844).

const skip = browserSkipReason();

interface Made {
  token: string;
  units: { id: string; name: string }[];
}

/**
 * A customer of its own, collected every minute, with ultra-low freezers (alarm band −79…−69 °C)
 * and one reading per unit `ageMin` minutes ago at the given temperatures.
 */
const customerWithReadings = async (
  sys: SeededSystem,
  code: string,
  temps: number[],
  ageMin: number,
): Promise<Made> => {
  const admin = sys.tokens.admin;
  const c = await sys.api<{ id: string }>('/api/v1/admin/customers', admin, {
    method: 'POST',
    body: JSON.stringify({
      customer_code: code,
      name: `Feed test ${code}`,
      data_sharing_method: 'api',
      data_frequency_seconds: 60,
    }),
  });
  const { token } = await sys.api<{ token: string }>(`/api/v1/admin/customers/${c.id}/tokens`, admin, {
    method: 'POST',
    body: JSON.stringify({ token_name: 'feed test', permissions: ['read', 'write'] }),
  });
  const f = await sys.api<{ id: string }>('/api/v1/facilities', token, {
    method: 'POST',
    body: JSON.stringify({ facility_code: `${code}-F1`, name: `${code} plant` }),
  });
  const units: Made['units'] = [];
  for (const [i, t] of temps.entries()) {
    const name = `Freezer ${code}${i + 1}`;
    const u = await sys.api<{ id: string }>(`/api/v1/facilities/${f.id}/units`, token, {
      method: 'POST',
      body: JSON.stringify({
        unit_code: `${code}-U${i + 1}`,
        name,
        size_value: 1,
        size_unit: 'sqm',
        set_temperature: -74,
        temperature_unit: 'C',
        equipment_type: 'freezer',
        alarm_low_limit: -79,
        alarm_high_limit: -69,
      }),
    });
    await sys.api('/api/v1/temperature', token, {
      method: 'POST',
      body: JSON.stringify({
        storage_unit_id: u.id,
        temperature: t,
        temperature_unit: 'C',
        recorded_at: new Date(Date.now() - ageMin * 60_000).toISOString(),
        sensor_id: `${code}-s${i + 1}`,
      }),
    });
    units.push({ id: u.id, name });
  }
  return { token, units };
};

/** Page wider than the screen, and elements that stick out to the right of it. */
const overflowOf = (page: Page) =>
  page.evaluate(() => {
    const root = document.scrollingElement!;
    const out = Array.from(document.querySelectorAll('body *'))
      .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && !el.closest('.table-wrap'))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    return { scroll: root.scrollWidth, client: root.clientWidth, out };
  });

/** Every navigation link lies inside the screen (none scrolled or clipped out of sight). */
const navLinksOnScreen = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('nav.mainnav a')).map((a) => {
      const r = a.getBoundingClientRect();
      return { text: a.textContent, visible: r.width > 0 && r.left >= 0 && r.right <= innerWidth };
    }),
  );

/** Rows of a table whose given cells a phone user cannot see without scrolling sideways. */
const rowsWithHiddenCells = (page: Page, table: string, cells: string[]) =>
  page.evaluate(
    ([table, cells]) =>
      Array.from(document.querySelectorAll(`[data-testid=${table}] tbody tr`)).filter((tr) =>
        cells.some((id) => {
          const td = tr.querySelector(`[data-testid=${id}]`) as HTMLElement | null;
          const r = td?.getBoundingClientRect();
          return !td || !r || r.width === 0 || r.right > innerWidth || !td.innerText.trim();
        }),
      ).length,
    [table, cells] as const,
  );

describe.skipIf(skip !== null)('web dashboard: feed truth and phones', () => {
  const suite = dashboardSuite();
  const { newPage, login, shot } = suite;
  let sys: SeededSystem;
  beforeAll(() => {
    sys = suite.sys;
  });

  it('says "Live" for fresh data and marks the unit in excursion on the latest-readings table', async () => {
    const fresh = await customerWithReadings(sys, 'FRESH', [-74.2, -60.5], 0);
    const { page, console: con, close } = await newPage();
    await login(page, fresh.token);
    const badge = page.locator('[data-testid=live-badge]');
    await expect.poll(() => badge.getAttribute('data-feed-status')).toBe('live');
    expect(await badge.textContent()).toMatch(/^\s*Live/);
    expect(await page.locator('[data-testid=feed-banner]').count()).toBe(0);
    const latest = await sys.api<{ storage_unit_id: string; excursion: boolean }[]>(
      '/api/v1/temperature/latest?limit=10',
      fresh.token,
    );
    expect(latest.find((r) => r.storage_unit_id === fresh.units[1]!.id)?.excursion).toBe(true);
    const hot = page.locator(`[data-testid=latest-table] tr[data-unit-id="${fresh.units[1]!.id}"]`);
    const ok = page.locator(`[data-testid=latest-table] tr[data-unit-id="${fresh.units[0]!.id}"]`);
    expect(await hot.getAttribute('class')).toContain('row-excursion');
    expect(await hot.locator('[data-testid=latest-state]').textContent()).toBe('Excursion');
    expect(await ok.getAttribute('class')).toBeNull();
    expect(await ok.locator('[data-testid=latest-state]').textContent()).toBe('In range');
    // The mark is more than colour: the row's edge differs from an in-range row's.
    const edge = (loc: typeof hot) =>
      loc
        .locator('td')
        .first()
        .evaluate((td) => getComputedStyle(td).boxShadow);
    expect(await edge(hot)).not.toBe(await edge(ok));
    await shot(page, '40-feed-live-excursion');
    expect(con.unexpected()).toEqual([]);
    await close();
  });

  it('shows a banner, stops saying "Live" and shows units offline when no data arrives', async () => {
    // The source stopped 30 minutes ago: the newest readings are 30 min old (collected every minute).
    const stopped = await customerWithReadings(sys, 'STOPPED', [-74.1, -73.9], 30);
    const feed = (
      await sys.api<{ feed: { status: string; overdue_after_minutes: number } }>(
        '/api/v1/customers/profile',
        stopped.token,
      )
    ).feed;
    expect(feed.status).toBe('stale');
    const { page, console: con, close } = await newPage();
    await login(page, stopped.token);
    const banner = page.locator('[data-testid=feed-banner]');
    await banner.waitFor();
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await banner.textContent()).toMatch(/No new data/);
    expect(await banner.textContent()).toMatch(/30 min ago/);
    const badge = page.locator('[data-testid=live-badge]');
    expect(await badge.getAttribute('data-feed-status')).toBe('stale');
    expect(await badge.textContent()).not.toMatch(/Live/);
    expect(int(await page.textContent('[data-testid=status-counts-offline]'))).toBe(2);
    await go(page, '#/units');
    for (const u of stopped.units)
      expect(await page.textContent(`tr[data-unit-id="${u.id}"] [data-testid=unit-status]`)).toBe('Offline');
    // The banner is on every page, not only on the home page.
    await banner.waitFor();
    await shot(page, '41-feed-stale-banner');
    expect(con.unexpected()).toEqual([]);
    await close();
  });

  it('fits every customer page on a 390 × 844 phone, status visible, navigation reachable', async () => {
    const token = sys.writeTokenA;
    const { facilities, units } = await unitsOf(sys, token);
    const { page, console: con, close } = await newPage({ width: 390, height: 844 });
    await login(page, token);
    const pages = [
      ['#/', 'home'],
      ['#/facilities', 'facilities'],
      [`#/facilities/${facilities[0]!.id}`, 'facility'],
      ['#/units', 'units'],
      [`#/units/${units[0]!.id}`, 'unit'],
      ['#/analytics', 'analytics'],
      ['#/settings', 'settings'],
      ['#/health', 'health'],
      ['#/audit', 'audit'],
    ] as const;
    for (const [hash, name] of pages) {
      await go(page, hash);
      const o = await overflowOf(page);
      expect(o.scroll, `${name}: ${o.out.join(', ')}`).toBeLessThanOrEqual(o.client);
      const nav = await navLinksOnScreen(page);
      expect(
        nav.filter((n) => !n.visible),
        name,
      ).toEqual([]);
      // Home, facilities, units, alarms, analytics, audit, settings, health.
      expect(nav.length).toBe(8);
      expect(await rowsWithHiddenCells(page, 'units-table', ['unit-status', 'unit-last-reading']), name).toBe(
        0,
      );
      await shot(page, `50-phone-${name}`);
    }
    await go(page, '#/units');
    expect(await page.locator('[data-testid=units-table] tbody tr').count()).toBe(units.length);
    expect(con.unexpected()).toEqual([]);
    await close();
  });

  it('fits every admin page on a 390 × 844 phone', async () => {
    const { page, console: con, close } = await newPage({ width: 390, height: 844 });
    con.allow(/status of 403/); // first admin sign-in in this browser (see the admin suite)
    await login(page, sys.tokens.admin);
    const customers = await sys.api<PageOf<{ id: string }>>(
      '/api/v1/admin/customers?limit=1',
      sys.tokens.admin,
    );
    for (const [hash, name] of [
      ['#/admin', 'admin-overview'],
      ['#/admin/customers', 'admin-customers'],
      [`#/admin/customers/${customers.items[0]!.id}`, 'admin-customer'],
      ['#/admin/facilities', 'admin-facilities'],
      ['#/admin/config', 'admin-config'],
      ['#/admin/ingestion', 'admin-ingestion'],
      ['#/health', 'admin-health'],
    ] as const) {
      await go(page, hash);
      const o = await overflowOf(page);
      expect(o.scroll, `${name}: ${o.out.join(', ')}`).toBeLessThanOrEqual(o.client);
      expect(
        (await navLinksOnScreen(page)).filter((n) => !n.visible),
        name,
      ).toEqual([]);
      expect(await rowsWithHiddenCells(page, 'customers-table', ['customer-state']), name).toBe(0);
      await shot(page, `51-phone-${name}`);
    }
    expect(con.unexpected()).toEqual([]);
    await close();
  });
});
