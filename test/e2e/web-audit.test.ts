/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserSkipReason } from '../support/browser.ts';
import { dashboardSuite, go, unitsOf, type PageOf } from '../support/web-dashboard.ts';

// The audit trail page and the report downloads in real Chromium: a change made through the API
// shows up on the page with who made it and which field changed; the admin's chain check is OK; a
// unit report downloads as a PDF. Parts whose API has not landed are skipped with a printed reason.

const skip = browserSkipReason();

interface Entry {
  id: string;
  actor: { name: string };
  entity_id: string | null;
  action: string;
  changes: Record<string, unknown>;
}

describe.skipIf(skip !== null)('web dashboard: audit trail and reports', () => {
  const suite = dashboardSuite();
  const { newPage, login } = suite;
  // A fresh browser context per test: each signs in with its own token (sessions are stored).
  let page: Page;
  let close: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    ({ page, close } = await newPage());
  });
  afterEach(async () => {
    await close?.();
  });

  const available = async (path: string, token: string) =>
    (await fetch(`${suite.sys.base}${path}`, { headers: { authorization: `Bearer ${token}` } })).status !==
    404;

  it('lists an audited unit change with its actor and field, newest first', async (ctx) => {
    const sys = suite.sys;
    if (!(await available('/api/v1/audit?limit=1', sys.writeTokenA))) {
      console.log('[web audit] skipped: GET /api/v1/audit has not landed');
      return ctx.skip();
    }
    const { units } = await unitsOf(sys, sys.writeTokenA);
    const unit = units[0]!;
    const name = `Audited ${Date.now() % 100000}`;
    await sys.api(`/api/v1/units/${unit.id}`, sys.writeTokenA, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, reason: 'relabelled for the audit test' }),
    });
    const mine = await sys.api<PageOf<Entry>>(`/api/v1/audit?entity_id=${unit.id}&limit=1`, sys.writeTokenA);
    const entry = mine.items[0]!;
    expect(entry.changes).toHaveProperty('name');

    await login(page, sys.writeTokenA);
    await go(page, '#/audit');
    const first = page.locator('[data-testid=audit-table] tbody tr').first();
    const text = (await first.textContent()) ?? '';
    expect(text).toContain(entry.actor.name);
    expect(text).toContain(`→ ${name}`);
    expect(text).toContain('relabelled for the audit test');
  });

  it('shows OK for the admin chain check', async (ctx) => {
    const sys = suite.sys;
    if (!(await available('/api/v1/admin/audit/verify', sys.tokens.admin))) {
      console.log('[web audit] skipped: GET /api/v1/admin/audit/verify has not landed');
      return ctx.skip();
    }
    await login(page, sys.tokens.admin);
    await go(page, '#/admin/audit');
    await page.click('[data-testid=audit-verify-btn]');
    const result = page.locator('[data-testid=audit-verify-result]');
    await result.waitFor();
    expect(await result.getAttribute('data-ok')).toBe('true');
    expect(await result.textContent()).toContain('OK');
  });

  it('downloads a unit report as a PDF', async (ctx) => {
    const sys = suite.sys;
    const { units } = await unitsOf(sys, sys.writeTokenA);
    const unit = units[0]!;
    if (!(await available(`/api/v1/reports/unit/${unit.id}.pdf`, sys.writeTokenA))) {
      console.log('[web audit] skipped the report download: /api/v1/reports has not landed');
      return ctx.skip();
    }
    await login(page, sys.writeTokenA);
    await go(page, `#/units/${unit.id}`);
    // The file the browser saves (a fetch with the token, handed over as a blob) is the PDF itself.
    const [response, download] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/api/v1/reports/unit/${unit.id}.pdf`)),
      page.waitForEvent('download'),
      page.click('[data-testid=report-pdf]'),
    ]);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toContain('application/pdf');
    const body = await readFile(await download.path());
    expect(body.subarray(0, 4).toString('latin1')).toBe('%PDF');
    expect(download.suggestedFilename()).toMatch(/report_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.pdf$/);
  });
});
