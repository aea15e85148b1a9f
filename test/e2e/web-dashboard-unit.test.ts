/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
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
  type PageOf,
  type Stats,
  type Unit,
} from '../support/web-dashboard.ts';

// The unit page in real Chromium: charts (signed axes, server-side buckets, zoom), the custom
// range, CSV export, °F, live updates and dates in the browser's locale.

const skip = browserSkipReason();

/** The calendar day (YYYY-MM-DD) of an instant in the browser's zone. */
const dayIn = (iso: string | null) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: BROWSER_TZ, dateStyle: 'short' }).format(new Date(iso!));
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** The y-axis labels a chart drew, and whether the widest fits left of the plot (nothing cut off). */
const yAxisOf = (page: Page, testid: string) =>
  page.evaluate((id) => {
    const host = document.querySelector(`[data-testid=${id}]`) as HTMLElement;
    const labels = JSON.parse(host.dataset.yTicks ?? '[]') as string[];
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
    const widest = Math.max(...labels.map((l) => ctx.measureText(l).width));
    const plotLeft = (host.querySelector('.u-over') as HTMLElement).offsetLeft;
    // Ticks 10 px and a 5 px gap sit between a label and the plot.
    return { labels, fits: widest + 15 <= plotLeft };
  }, testid);

describe.skipIf(skip !== null)('web dashboard: the unit page', () => {
  const suite = dashboardSuite();
  const { newPage, login, shot } = suite;
  let sys: typeof suite.sys;
  let page: Page;
  let con: ReturnType<typeof watchConsole>;
  let close: () => Promise<void>;
  let token: string;
  let u: Unit;
  let fileStem: string;

  beforeAll(async () => {
    sys = suite.sys;
    token = sys.writeTokenA;
    const { facilities, units } = await unitsOf(sys, token);
    // An ultra-low freezer of customer A (about −74 °C): every axis label of its chart is negative.
    u = units.find(
      (x) => x.current_temperature !== null && x.temperature_unit === 'C' && x.set_temperature < -20,
    )!;
    expect(u.set_temperature).toBeLessThan(-20);
    const f = facilities.find((x) => x.id === u.facility_id)!;
    fileStem = slug(`${f.name ?? f.facility_code} ${u.name ?? u.unit_code}`);
    ({ page, console: con, close } = await newPage());
    await login(page, token);
  });
  afterAll(async () => {
    expect(con.unexpected()).toEqual([]);
    await close?.();
  });

  it('shows current and set temperature and a 24 h chart of every reading', async () => {
    await go(page, `#/units/${u.id}?range=24h`);
    const fresh = await sys.api<Unit>(`/api/v1/units/${u.id}`, token);
    expect(await page.textContent('[data-testid=current-temp]')).toBe(
      temp(fresh.current_temperature, fresh.current_temperature_unit ?? 'C'),
    );
    expect(await page.textContent('[data-testid=set-temp]')).toBe(
      temp(fresh.set_temperature, fresh.temperature_unit),
    );
    const wrap = page.locator('[data-testid=unit-chart-wrap]');
    expect(await wrap.getAttribute('data-resolution')).toBe('raw');
    const q = `start_date=${await wrap.getAttribute('data-start')}&end_date=${await wrap.getAttribute('data-end')}`;
    const rows: { temperature: number | null }[] = [];
    for (let offset = 0; ; offset += 1000) {
      const p = await sys.api<PageOf<{ temperature: number | null }>>(
        `/api/v1/temperature/unit/${u.id}?${q}&limit=1000&offset=${offset}`,
        token,
      );
      rows.push(...p.items);
      if (rows.length >= p.total || p.items.length === 0) break;
    }
    expect(rows.length).toBeGreaterThan(0);
    expect(Number(await page.getAttribute('[data-testid=unit-chart]', 'data-points'))).toBe(
      rows.filter((r) => r.temperature !== null).length,
    );
    await page.waitForSelector('[data-testid=unit-chart][data-drawn]');
    const summary = await sys.api<Stats>(
      `/api/v1/analytics/temperature/summary?unit_id=${u.id}&${q}&unit=C`,
      token,
    );
    expect(int(await page.textContent('[data-testid=range-count]'))).toBe(summary.reading_count);
    expect(await page.textContent('[data-testid=range-avg]')).toBe(temp(summary.avg_temperature, 'C', 2));
    await shot(page, '14-customer-unit-24h');
  });

  it('pages through the readings table', async () => {
    const status = page.locator('[data-testid=pager-status]');
    expect(await status.textContent()).toMatch(/^Page 1 of \d+/);
    await page.click('text=Next ›');
    await expect.poll(() => status.textContent()).toMatch(/^Page 2 of/);
    await settle(page);
    expect(await page.locator('[data-testid=readings-table] tbody tr').count()).toBeGreaterThan(0);
  });

  let csvRows: Record<string, string>[] = [];

  it('exports the range as a CSV file that downloads', async () => {
    const wrap = page.locator('[data-testid=unit-chart-wrap]');
    const q = `start_date=${await wrap.getAttribute('data-start')}&end_date=${await wrap.getAttribute('data-end')}`;
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=export-csv]'),
    ]);
    const text = await readFile(await download.path(), 'utf8');
    expect(text.split(/\r?\n/)[0]).toMatch(/^id,recorded_at,.*unit_name.*storage_unit_id.*temperature/);
    // Named after the unit (with its facility: unit names repeat) and the days of the range.
    expect(download.suggestedFilename()).toBe(
      `${fileStem}_${dayIn(await wrap.getAttribute('data-start'))}_${dayIn(await wrap.getAttribute('data-end'))}.csv`,
    );
    csvRows = parse(text, { columns: true }) as Record<string, string>[];
    expect(csvRows.length).toBeGreaterThan(0);
    // The file is exactly what the export endpoint answers for the same request.
    const res = await fetch(
      `${sys.base}/api/v1/temperature/export.csv?storage_unit_id=${u.id}&${q}&unit=C&tz=${BROWSER_TZ}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(text).toBe(await res.text());
    expect(await page.textContent('[data-testid=export-status]')).toMatch(/^Downloaded/);
  });

  it("exports only this unit's readings", async () => {
    const wrap = page.locator('[data-testid=unit-chart-wrap]');
    const q = `start_date=${await wrap.getAttribute('data-start')}&end_date=${await wrap.getAttribute('data-end')}`;
    const expected = await sys.api<PageOf<unknown>>(`/api/v1/temperature/unit/${u.id}?${q}&limit=1`, token);
    expect(csvRows.length).toBe(expected.total);
    expect(csvRows.every((r) => r.storage_unit_id === u.id)).toBe(true);
  });

  it('draws 7 d and 1 y from server-side buckets with a min/max envelope', async () => {
    for (const [range, resolution] of [
      ['7d', 'hour'],
      ['1y', 'day'],
    ] as const) {
      await page.click(`[data-range="${range}"]`);
      await page.waitForSelector(`[data-testid=unit-chart-wrap][data-resolution=${resolution}]`);
      await settle(page);
      const wrap = page.locator('[data-testid=unit-chart-wrap]');
      const q = `start_date=${await wrap.getAttribute('data-start')}&end_date=${await wrap.getAttribute('data-end')}`;
      const buckets = await sys.api<unknown[]>(
        `/api/v1/analytics/temperature/trends?interval=${resolution}&unit_id=${u.id}&${q}&tz=${BROWSER_TZ}`,
        token,
      );
      expect(Number(await page.getAttribute('[data-testid=unit-chart]', 'data-points')), range).toBe(
        buckets.length,
      );
      await shot(page, `15-customer-unit-${range}`);
    }
  });

  it('zooms by dragging across the chart, loading finer data for the zoomed window', async () => {
    await page.click('[data-range="7d"]');
    await page.waitForSelector('[data-testid=unit-chart-wrap][data-resolution=hour]');
    await settle(page);
    const box = (await page.locator('[data-testid=unit-chart] .u-over').boundingBox())!;
    // The right-most eighth of 7 days is 21 h: raw readings.
    await page.mouse.move(box.x + box.width * 0.87, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.99, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForSelector('[data-testid=unit-chart-wrap][data-resolution=raw]');
    await settle(page);
    expect(Number(await page.getAttribute('[data-testid=unit-chart]', 'data-points'))).toBeGreaterThan(0);
    await shot(page, '15-customer-unit-zoomed');
    await page.click('[data-testid=reset-zoom]');
    await page.waitForSelector('[data-testid=unit-chart-wrap][data-resolution=hour]');
  });

  it('labels every chart axis with signed values, in °C and in °F, none cut off', async () => {
    for (const range of ['24h', '1y'] as const) {
      await page.click(`[data-range="${range}"]`);
      await settle(page);
      await page.waitForSelector('[data-testid=unit-chart][data-drawn]');
      const axis = await yAxisOf(page, 'unit-chart');
      expect(axis.labels.length, range).toBeGreaterThan(1);
      for (const l of axis.labels) {
        expect(l, range).toMatch(/^-\d+(\.\d+)?°C$/);
        expect(parseFloat(l), range).toBeLessThan(0);
      }
      expect(axis.fits, `${range}: ${axis.labels.join(' ')}`).toBe(true);
    }
    await shot(page, '14-customer-unit-1y-signed-axis');
    await page.click('[data-testid=unit-F]');
    await settle(page);
    await expect
      .poll(async () => (await yAxisOf(page, 'unit-chart')).labels.every((l) => /^-\d+(\.\d+)?°F$/.test(l)))
      .toBe(true);
    expect((await yAxisOf(page, 'unit-chart')).fits).toBe(true);
    await page.click('[data-testid=unit-C]');
    await settle(page);
    // The home page's 7-day trend of all freezers is below zero as well.
    await go(page, '#/');
    await page.waitForSelector('[data-testid=trend-chart][data-drawn]');
    const home = await yAxisOf(page, 'trend-chart');
    // (Customer A also has +2…+8 °C refrigerators: the axis spans both signs.)
    expect(home.labels.some((l) => /^-\d/.test(l) && parseFloat(l) < -20)).toBe(true);
    expect(home.fits).toBe(true);
    await go(page, `#/units/${u.id}?range=24h`);
  });

  it('shows a custom range of days and names the export after the unit and those days', async () => {
    const today = dayIn(new Date().toISOString());
    const from = dayIn(new Date(Date.now() - 7 * 86400_000).toISOString());
    await page.fill('#range-from', from);
    await page.fill('#range-to', today);
    await page.click('[data-testid=apply-custom-range]');
    await settle(page);
    expect(await page.evaluate(() => location.hash)).toContain(`from=${from}`);
    const wrap = page.locator('[data-testid=unit-chart-wrap]');
    await expect.poll(() => wrap.getAttribute('data-resolution')).toBe('hour');
    expect(dayIn(await wrap.getAttribute('data-start'))).toBe(from);
    // Local midnight of the first day in the browser's zone.
    const start = new Date((await wrap.getAttribute('data-start'))!);
    expect(
      new Intl.DateTimeFormat('en-GB', { timeZone: BROWSER_TZ, timeStyle: 'medium' }).format(start),
    ).toBe('00:00:00');
    expect(await page.locator('#unit-chart [aria-pressed=true][data-range]').count()).toBe(0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=export-csv]'),
    ]);
    expect(download.suggestedFilename()).toBe(`${fileStem}_${from}_${today}.csv`);
    // A reversed range is refused on the page, not sent.
    await page.fill('#range-from', today);
    await page.fill('#range-to', from);
    await page.click('[data-testid=apply-custom-range]');
    expect(await page.locator('.range-form [role=alert]').textContent()).toMatch(/must not be after/);
    await shot(page, '15-customer-unit-custom-range');
    await page.click('[data-range="24h"]');
    await settle(page);
  });

  it('switches to °F everywhere (the API converts)', async () => {
    await page.click('[data-range="24h"]');
    await page.click('[data-testid=unit-F]');
    await settle(page);
    const f = await sys.api<Unit>(`/api/v1/units/${u.id}`, token);
    const c = f.current_temperature!;
    const inF = f.current_temperature_unit === 'F' ? c : (c * 9) / 5 + 32;
    await expect.poll(() => page.textContent('[data-testid=current-temp]')).toBe(`${inF.toFixed(1)} °F`);
    expect(await page.evaluate(() => localStorage.getItem('tms.unit'))).toBe('F');
    await shot(page, '16-customer-unit-fahrenheit');
    await page.click('[data-testid=unit-C]');
  });

  it('updates the current temperature live, without a reload', async () => {
    const value = Math.round((u.set_temperature + 0.37) * 100) / 100;
    await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));
    await sys.api(`/api/v1/temperature`, sys.writeTokenA, {
      method: 'POST',
      body: JSON.stringify({
        storage_unit_id: u.id,
        temperature: value,
        temperature_unit: u.temperature_unit,
        recorded_at: new Date().toISOString(),
        sensor_id: 'web-e2e',
      }),
    });
    await expect
      .poll(() => page.textContent('[data-testid=current-temp]'), { timeout: 25_000, interval: 500 })
      .toBe(temp(value, u.temperature_unit));
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);
  }, 40_000);

  it("writes dates in the browser's locale: a 24-hour clock in German, AM/PM in US English", async () => {
    const texts: Record<string, { cell: string; ticks: string[] }> = {};
    for (const locale of ['de-DE', 'en-US']) {
      const p = await newPage({ locale });
      await login(p.page, token);
      await go(p.page, `#/units/${u.id}?range=24h`);
      await p.page.waitForSelector('[data-testid=unit-chart][data-drawn]');
      texts[locale] = {
        cell: (await p.page.locator('[data-testid=readings-table] tbody tr td').first().textContent())!,
        ticks: JSON.parse(
          (await p.page.getAttribute('[data-testid=unit-chart]', 'data-x-ticks'))!,
        ) as string[],
      };
      await shot(p.page, `16-unit-locale-${locale}`);
      await p.close();
    }
    const de = texts['de-DE']!;
    const en = texts['en-US']!;
    expect(de.cell).toMatch(/\d{2}:\d{2}:\d{2}/);
    expect(de.cell).not.toMatch(/AM|PM/i);
    expect(en.cell).toMatch(/\b(AM|PM)\b/);
    expect(de.ticks.join(' ')).toMatch(/\b\d{2}:\d{2}\b/);
    expect(de.ticks.join(' ')).not.toMatch(/AM|PM|am|pm/);
    expect(en.ticks.join(' ')).toMatch(/AM|PM/);
  });
});
