import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's Chromium: playwright cannot download a browser on these machines. */
export const CHROMIUM_PATH = process.env.TMS_CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM_PATH);

/**
 * Why the browser suites must be skipped, or null when they can run. Under CI=true a missing
 * browser is a failure, not a skip.
 */
export const browserSkipReason = (): string | null => {
  if (chromiumAvailable()) return null;
  const reason = `${CHROMIUM_PATH} not found (apt-get install chromium): browser tests SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`${reason.split(':')[0]} is required under CI=true`);
  console.warn(`\n[tms tests] ${reason}\n`);
  return reason;
};

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with no network chatter of its own. Playwright gives every launch a
 * fresh throw-away profile (it refuses `--user-data-dir` in `launch`).
 */
export const launchChromium = async (): Promise<LaunchedBrowser> => {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
    },
  };
};

export interface ConsoleProblem {
  kind: 'console' | 'pageerror';
  text: string;
  url: string;
}

/**
 * Collects console errors and uncaught page errors. `allow` lists expected ones (e.g. the 401 of a
 * deliberately bad token), matched against the message text and the resource URL.
 */
export const watchConsole = (page: Page) => {
  const problems: ConsoleProblem[] = [];
  const allowed: RegExp[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return;
    problems.push({ kind: 'console', text: m.text(), url: m.location().url ?? '' });
  });
  page.on('pageerror', (e) => problems.push({ kind: 'pageerror', text: String(e.stack ?? e), url: '' }));
  return {
    allow: (re: RegExp) => allowed.push(re),
    /** Problems not matched by an `allow` pattern. */
    unexpected: () => problems.filter((p) => !allowed.some((re) => re.test(`${p.text} ${p.url}`))),
    all: () => problems,
  };
};
