/// <reference lib="dom" />
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, watchConsole, type LaunchedBrowser } from './browser.ts';
import { REPO_ROOT } from './cli.ts';
import { ensureDashboardBuilt, startSeededSystem, type SeededSystem } from './web-system.ts';

// What every dashboard browser suite shares: one seeded system and one Chromium per file, pages in
// the same time zone, screenshots in test-results/web/, and the API shapes the tests compare with.

export const SHOTS = path.join(REPO_ROOT, 'test-results', 'web');
export const BROWSER_TZ = 'Europe/London';

export interface PageOf<T> {
  items: T[];
  total: number;
}
export interface Unit {
  id: string;
  unit_code: string;
  name: string | null;
  facility_id: string;
  set_temperature: number;
  temperature_unit: 'C' | 'F';
  current_temperature: number | null;
  current_temperature_unit: 'C' | 'F' | null;
  temperature_status: string;
}
export interface Facility {
  id: string;
  name: string | null;
  facility_code: string;
  unit_count: number;
}
export interface Stats {
  avg_temperature: number | null;
  min_temperature: number | null;
  max_temperature: number | null;
  reading_count: number;
}

/** The integer in a figure such as "1,234 readings". */
export const int = (s: string | null) => Number((s ?? '').replace(/[^\d-]/g, ''));
/** A temperature as the dashboard prints it. */
export const temp = (v: number | null, unit = 'C', digits = 1) =>
  v === null ? '—' : `${v.toFixed(digits)} °${unit}`;

/** Waits until no spinner is left on the page (every request answered). */
export const settle = async (page: Page) => {
  await page.waitForFunction(() => document.querySelector('.loading') === null, undefined, {
    timeout: 30_000,
  });
};

export const go = async (page: Page, hash: string) => {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForTimeout(50);
  await settle(page);
};

/** `start_date=…&end_date=…` of the window a page element shows (`data-start`/`data-end`). */
export const windowQuery = async (page: Page, selector: string) => {
  const el = page.locator(selector);
  return `start_date=${await el.getAttribute('data-start')}&end_date=${await el.getAttribute('data-end')}`;
};

/** Every unit of a customer, facility by facility. */
export const unitsOf = async (sys: SeededSystem, token: string) => {
  const fs = await sys.api<PageOf<Facility>>('/api/v1/facilities?limit=1000', token);
  const units = (
    await Promise.all(
      fs.items.map((f) => sys.api<PageOf<Unit>>(`/api/v1/facilities/${f.id}/units?limit=1000`, token)),
    )
  ).flatMap((p) => p.items);
  return { facilities: fs.items, units };
};

export interface PageOptions {
  width?: number;
  height?: number;
  locale?: string;
}

/**
 * Registers the suite's beforeAll/afterAll: a seeded system, Chromium, and a list of the
 * screenshots taken (printed at the end). Call it inside a `describe`. `prepare` writes rows directly
 * while the system is stopped (see startSeededSystem).
 */
export const dashboardSuite = (prepare?: (env: Record<string, string>) => Promise<void>) => {
  let sys: SeededSystem | undefined;
  let chrome: LaunchedBrowser | undefined;
  const shots: string[] = [];

  beforeAll(async () => {
    ensureDashboardBuilt();
    await mkdir(SHOTS, { recursive: true });
    sys = await startSeededSystem(undefined, prepare);
    chrome = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await chrome?.close();
    await sys?.stop();
    if (shots.length) console.log(`[web e2e] screenshots:\n  ${shots.join('\n  ')}`);
  });

  const newPage = async ({ width = 1280, height = 900, locale }: PageOptions = {}) => {
    const options: BrowserContextOptions = {
      viewport: { width, height },
      timezoneId: BROWSER_TZ,
      acceptDownloads: true,
      ...(locale ? { locale } : {}),
    };
    const ctx = await chrome!.browser.newContext(options);
    const page = await ctx.newPage();
    page.on('dialog', (d) => void d.accept());
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    return { page, console: watchConsole(page), urls, close: () => ctx.close() };
  };

  return {
    get sys(): SeededSystem {
      return sys!;
    },
    newPage,
    login: async (page: Page, token: string) => {
      await page.goto(`${sys!.base}/`);
      await page.fill('#token', token);
      await page.click('button[type=submit]');
      await page.waitForSelector('nav.mainnav');
      await settle(page);
    },
    shot: async (page: Page, name: string) => {
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
      shots.push(`test-results/web/${name}.png`);
    },
  };
};
