/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserSkipReason } from '../support/browser.ts';
import { dashboardSuite, go, unitsOf, type PageOf } from '../support/web-dashboard.ts';

// The facility page's "Scheduled reports" card in real Chromium: a schedule added there is the API's,
// removing it asks for a reason, which lands in the audit trail.

const skip = browserSkipReason();

interface Schedule {
  id: string;
  period: string;
  tz: string;
}

describe.skipIf(skip !== null)('web dashboard: scheduled reports', () => {
  const suite = dashboardSuite();
  const { newPage, login } = suite;
  let page: Page;
  let close: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    ({ page, close } = await newPage());
  });
  afterEach(async () => {
    await close?.();
  });

  it('adds a weekly schedule on the facility page and removes it with a reason', async () => {
    const sys = suite.sys;
    const { units } = await unitsOf(sys, sys.writeTokenA);
    const facilityId = units[0]!.facility_id;
    const listed = () =>
      sys.api<Schedule[]>(`/api/v1/report-schedules?facility_id=${facilityId}`, sys.writeTokenA);
    expect(await listed()).toEqual([]);

    await login(page, sys.writeTokenA);
    await go(page, `#/facilities/${facilityId}`);
    await page.selectOption('#rs-period', 'weekly');
    await page.fill('#rs-tz', 'Europe/Berlin');
    await page.click('[data-testid=report-schedule-add]');
    const row = page.locator('[data-testid=report-schedules-table] tbody tr');
    await row.first().waitFor();
    const [made] = await listed();
    expect(made).toMatchObject({ period: 'weekly', tz: 'Europe/Berlin' });
    expect(await row.first().getAttribute('data-schedule-id')).toBe(made!.id);
    expect(await row.first().textContent()).toContain('every e-mail channel');
    await suite.shot(page, 'facility-report-schedules');

    await page.click('[data-testid=report-schedule-remove]');
    expect(await page.isDisabled('[data-testid=report-schedule-confirm-remove]')).toBe(true);
    await page.fill(`#rs-reason-${made!.id}`, 'moving to monthly');
    await page.click('[data-testid=report-schedule-confirm-remove]');
    await page.waitForSelector('[data-testid=report-schedules-table]', { state: 'detached' });
    expect(await listed()).toEqual([]);
    const trail = await sys.api<PageOf<{ action: string; reason: string | null }>>(
      `/api/v1/audit?entity_id=${made!.id}`,
      sys.writeTokenA,
    );
    expect(trail.items.map((e) => [e.action, e.reason])).toEqual([
      ['delete', 'moving to monthly'],
      ['create', null],
    ]);
  });
});
