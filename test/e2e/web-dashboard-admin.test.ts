/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, watchConsole } from '../support/browser.ts';
import { dashboardSuite, go, int, settle, temp, type PageOf, type Stats } from '../support/web-dashboard.ts';

// The admin pages in real Chromium, and what a token may do: an admin session without a refused
// customer request, a read-only customer token that is told so before filling a form.

const skip = browserSkipReason();

describe.skipIf(skip !== null)('web dashboard: admin pages and token rights', () => {
  const suite = dashboardSuite();
  const { newPage, login, shot } = suite;
  let sys: typeof suite.sys;
  beforeAll(() => {
    sys = suite.sys;
  });

  describe('admin', () => {
    let page: Page;
    let con: ReturnType<typeof watchConsole>;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ page, console: con, close } = await newPage());
      // This browser has not seen the admin token before: the login probe tries the customer
      // profile first and gets one 403 (the API has no endpoint both kinds of token may call).
      con.allow(/status of 403/);
    });
    afterAll(async () => {
      expect(con.unexpected()).toEqual([]);
      await close?.();
    });

    it('shows the overview with the API numbers', async () => {
      await login(page, sys.tokens.admin);
      expect(await page.evaluate(() => location.hash)).toBe('#/admin');
      const admin = sys.tokens.admin;
      const customers = await sys.api<PageOf<{ unit_count: number }>>(
        '/api/v1/admin/customers?limit=1000',
        admin,
      );
      const facilities = await sys.api<PageOf<unknown>>('/api/v1/admin/facilities?limit=1', admin);
      const summary = await sys.api<Record<string, Stats>>(
        '/api/v1/admin/analytics/temperature/summary?unit=C',
        admin,
      );
      expect(int(await page.textContent('[data-testid=adm-customers]'))).toBe(customers.total);
      expect(int(await page.textContent('[data-testid=adm-facilities]'))).toBe(facilities.total);
      expect(int(await page.textContent('[data-testid=adm-units]'))).toBe(
        customers.items.reduce((n, c) => n + c.unit_count, 0),
      );
      expect(int(await page.textContent('[data-testid=adm-readings]'))).toBe(summary.system!.reading_count);
      expect(await page.textContent('[data-testid=adm-avg]')).toBe(
        temp(summary.system!.avg_temperature, 'C', 2),
      );
      expect(Number(await page.getAttribute('[data-testid=adm-trend-chart]', 'data-points'))).toBeGreaterThan(
        0,
      );
      await shot(page, '30-admin-overview');
    });

    it('lists, creates, edits and deactivates customers, and issues their tokens', async () => {
      await go(page, '#/admin/customers');
      const list = await sys.api<
        PageOf<{ id: string; active_readings_count: number; customer_code: string }>
      >('/api/v1/admin/customers?limit=1000', sys.tokens.admin);
      expect(await page.locator('[data-testid=customers-table] tbody tr').count()).toBe(list.total);
      const a = list.items.find((c) => c.customer_code === 'A')!;
      expect(
        int(await page.textContent(`[data-customer-id="${a.id}"] [data-testid=customer-readings]`)),
      ).toBe(a.active_readings_count);
      await shot(page, '31-admin-customers');

      await page.click('text=New customer');
      await page.fill('#new-code', 'WEB1');
      await page.fill('#new-name', 'Browser Test Ltd');
      await page.fill('#new-url', 'http://127.0.0.1:9/none');
      await page.click('form[aria-label="New customer"] button[type=submit]');
      await page.waitForURL(/#\/admin\/customers\/[0-9a-f-]{36}$/);
      await settle(page);
      const id = (await page.evaluate(() => location.hash)).split('/').pop()!;
      await page.click('button:has-text("Edit")');
      await page.fill('#edit-name', 'Browser Test Renamed');
      await page.click('form[aria-label="Edit customer"] button[type=submit]');
      await expect
        .poll(
          async () =>
            (await sys.api<{ name: string }>(`/api/v1/admin/customers/${id}`, sys.tokens.admin)).name,
        )
        .toBe('Browser Test Renamed');
      await page.click('button:has-text("Deactivate")');
      await expect
        .poll(
          async () =>
            (await sys.api<{ is_active: boolean }>(`/api/v1/admin/customers/${id}`, sys.tokens.admin))
              .is_active,
        )
        .toBe(false);
      await page.fill('#tok-name', 'admin-issued');
      await page.click('[data-testid=create-token]');
      expect(await page.locator('[data-testid=new-token-value]').inputValue()).toMatch(/^tms_/);
      await expect
        .poll(() => page.locator('[data-testid=tokens-table] tr', { hasText: 'admin-issued' }).count())
        .toBe(1);
      await shot(page, '32-admin-customer-detail');
    });

    it('lists facilities, filtered by customer', async () => {
      await go(page, '#/admin/facilities');
      const all = await sys.api<PageOf<{ customer_id: string }>>(
        '/api/v1/admin/facilities?limit=50',
        sys.tokens.admin,
      );
      expect(await page.locator('[data-testid=adm-facilities-table] tbody tr').count()).toBe(
        all.items.length,
      );
      const cid = all.items[0]!.customer_id;
      await page.selectOption('#fac-customer', cid);
      await settle(page);
      const one = await sys.api<PageOf<unknown>>(
        `/api/v1/admin/facilities?limit=50&customer_id=${cid}`,
        sys.tokens.admin,
      );
      await expect
        .poll(() => page.locator('[data-testid=adm-facilities-table] tbody tr').count())
        .toBe(one.items.length);
      await shot(page, '33-admin-facilities');
    });

    it('edits a system_config value', async () => {
      await go(page, '#/admin/config');
      const input = page.locator('#cfg-data_retention_days');
      await input.fill('731');
      await page.click('tr[data-key=data_retention_days] button[type=submit]');
      await expect
        .poll(() => page.textContent('[data-testid=config-msg]'))
        .toMatch(/data_retention_days = 731/);
      const cfg = await sys.api<Record<string, { value: unknown }>>('/api/v1/admin/config', sys.tokens.admin);
      expect(cfg.data_retention_days!.value).toBe(731);
      await shot(page, '34-admin-config');
    });

    it('shows ingestion logs with filters', async () => {
      await go(page, '#/admin/ingestion');
      const logs = await sys.api<PageOf<unknown>>('/api/v1/admin/ingestion/logs?limit=50', sys.tokens.admin);
      expect(logs.total).toBeGreaterThan(0);
      expect(await page.locator('[data-testid=ingestion-table] tbody tr').count()).toBe(logs.items.length);
      await page.selectOption('#ing-status', 'success');
      await settle(page);
      const ok = await sys.api<PageOf<unknown>>(
        '/api/v1/admin/ingestion/logs?limit=50&status=success',
        sys.tokens.admin,
      );
      await expect
        .poll(() => page.locator('[data-testid=ingestion-table] tbody tr').count())
        .toBe(ok.items.length);
      expect(
        await page.locator('[data-testid=ingestion-table] tbody tr:not([data-status=success])').count(),
      ).toBe(0);
      await shot(page, '35-admin-ingestion');
    });

    it('shows system health with the last ingestion run per customer', async () => {
      await go(page, '#/health');
      const customers = await sys.api<PageOf<unknown>>(
        '/api/v1/admin/customers?limit=1000',
        sys.tokens.admin,
      );
      expect(await page.locator('[data-testid=ingestion-runs] tbody tr').count()).toBe(customers.total);
      await shot(page, '36-admin-health');
    });
    it('signs the admin in again without asking for a customer profile (no 403)', async () => {
      await page.click('[data-testid=logout]');
      await page.waitForSelector('#token');
      const before = con.all().length;
      const refused: string[] = [];
      page.on('response', (r) => {
        if (r.status() === 403) refused.push(r.url());
      });
      await login(page, sys.tokens.admin);
      expect(await page.evaluate(() => location.hash)).toBe('#/admin');
      expect(refused).toEqual([]);
      expect(con.all().slice(before)).toEqual([]);
    });
  });

  it('signs an admin and a customer in for the first time in a fresh browser without any 403', async () => {
    for (const [token, hash] of [
      [sys.tokens.admin, '#/admin'],
      [sys.tokens.customers.A!, '#/'],
    ] as const) {
      const { page, console: con, close } = await newPage();
      const refused: string[] = [];
      page.on('response', (r) => {
        if (r.status() === 403) refused.push(r.url());
      });
      await login(page, token);
      expect(await page.evaluate(() => location.hash)).toBe(hash);
      expect(refused).toEqual([]);
      expect(con.unexpected()).toEqual([]);
      await close();
    }
  });

  it('shows a read-only token the token form disabled, with the reason, before anything is typed', async () => {
    const { page, console: con, close } = await newPage();
    const readOnly = sys.tokens.customers.A!;
    const mine = (
      await sys.api<{ token_prefix: string; permissions: string[] }[]>('/api/v1/customers/tokens', readOnly)
    ).filter((t) => readOnly.startsWith(t.token_prefix));
    expect(mine.map((t) => t.permissions)).toEqual([['read']]);
    await login(page, readOnly);
    await go(page, '#/settings');
    await expect
      .poll(() => page.locator('[data-testid=token-form-locked]').textContent())
      .toMatch(/read-only/);
    expect(await page.locator('#tok-name').isDisabled()).toBe(true);
    expect(await page.locator('[data-testid=create-token]').isDisabled()).toBe(true);
    expect(await page.locator('[data-testid=tokens-table] button', { hasText: 'Revoke' }).count()).toBe(0);
    await shot(page, '37-customer-settings-read-only');
    // A read+write token gets the form enabled.
    await page.click('[data-testid=logout]');
    await login(page, sys.writeTokenA);
    await go(page, '#/settings');
    await page.waitForSelector('[data-testid=tokens-table]');
    expect(await page.locator('[data-testid=token-form-locked]').count()).toBe(0);
    expect(await page.locator('#tok-name').isDisabled()).toBe(false);
    expect(con.unexpected()).toEqual([]);
    await close();
  });
});
