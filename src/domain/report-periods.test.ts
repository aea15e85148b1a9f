import { describe, expect, it } from 'vitest';
import { periodEndAfter, periodStartAtOrBefore, shiftBoundary } from './report-periods.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('report periods', () => {
  it('weeks start on Monday 00:00 local time', () => {
    // Wednesday 2026-06-10 12:00 UTC; Berlin is UTC+2 in summer.
    expect(iso(periodStartAtOrBefore(at('2026-06-10T12:00:00Z'), 'weekly', 'Europe/Berlin'))).toBe(
      '2026-06-07T22:00:00.000Z',
    );
    expect(iso(periodEndAfter(at('2026-06-10T12:00:00Z'), 'weekly', 'Europe/Berlin'))).toBe(
      '2026-06-14T22:00:00.000Z',
    );
    // Monday 00:00 local is its own start; one millisecond before belongs to the previous week.
    const monday = at('2026-06-07T22:00:00Z');
    expect(periodStartAtOrBefore(monday, 'weekly', 'Europe/Berlin')).toBe(monday);
    expect(iso(periodStartAtOrBefore(monday - 1, 'weekly', 'Europe/Berlin'))).toBe(
      '2026-05-31T22:00:00.000Z',
    );
    expect(iso(periodStartAtOrBefore(at('2026-06-14T12:00:00Z'), 'weekly', 'UTC'))).toBe(
      '2026-06-08T00:00:00.000Z',
    );
  });

  it('months start on the 1st 00:00 local time, across years', () => {
    expect(iso(periodStartAtOrBefore(at('2026-06-15T00:00:00Z'), 'monthly', 'America/New_York'))).toBe(
      '2026-06-01T04:00:00.000Z',
    );
    expect(iso(periodEndAfter(at('2026-12-31T23:00:00Z'), 'monthly', 'UTC'))).toBe(
      '2027-01-01T00:00:00.000Z',
    );
    // 2026-12-31 23:00 UTC is already January 1st in Berlin.
    expect(iso(periodEndAfter(at('2026-12-31T23:00:00Z'), 'monthly', 'Europe/Berlin'))).toBe(
      '2027-01-31T23:00:00.000Z',
    );
    expect(iso(shiftBoundary(at('2026-01-31T23:00:00Z'), 'monthly', 'Europe/Berlin', -1))).toBe(
      '2025-12-31T23:00:00.000Z',
    );
  });

  it('a week across a DST change is 167 or 169 hours', () => {
    // London springs forward on Sunday 2026-03-29.
    const start = periodStartAtOrBefore(at('2026-03-25T12:00:00Z'), 'weekly', 'Europe/London');
    expect(iso(start)).toBe('2026-03-23T00:00:00.000Z');
    const end = shiftBoundary(start, 'weekly', 'Europe/London', 1);
    expect(iso(end)).toBe('2026-03-29T23:00:00.000Z');
    expect((end - start) / 3_600_000).toBe(167);
    const autumnStart = at('2026-10-19T00:00:00Z') - 3_600_000;
    expect((shiftBoundary(autumnStart, 'weekly', 'Europe/London', 1) - autumnStart) / 3_600_000).toBe(169);
  });

  it('a zone whose clocks skip midnight still gives a boundary at or before the instant', () => {
    // Santiago springs forward at 00:00 on 2026-09-06 (clocks go to 01:00).
    const ms = at('2026-09-06T04:30:00Z');
    const start = periodStartAtOrBefore(ms, 'monthly', 'America/Santiago');
    expect(start).toBeLessThanOrEqual(ms);
    expect(periodEndAfter(ms, 'monthly', 'America/Santiago')).toBeGreaterThan(ms);
  });
});
