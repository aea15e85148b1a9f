import { zoneOffsetMs, zonedLocalToUtcMs } from './time.ts';

// The periods of scheduled reports (issue 12 item 3): a week runs from Monday 00:00 to the next
// Monday 00:00, a month from the 1st 00:00 to the next 1st, both on the wall clock of a zone, so a
// week is 167, 168 or 169 hours around DST changes and a month 28 to 31 days.

export type ReportPeriod = 'weekly' | 'monthly';
export const REPORT_PERIODS: readonly ReportPeriod[] = ['weekly', 'monthly'];

const DAY_MS = 86_400_000;

/** The wall-clock calendar date of an instant in a zone (year, month 0–11, day, weekday 0 = Sunday). */
const localDate = (utcMs: number, tz: string) => {
  const d = new Date(utcMs + zoneOffsetMs(tz, utcMs));
  return { y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate(), weekday: d.getUTCDay() };
};

/** Local midnight of a calendar date (day may overflow: Date.UTC normalises it). */
const midnight = (y: number, m: number, d: number, tz: string): number =>
  zonedLocalToUtcMs(Date.UTC(y, m, d), tz);

/** The start of the period that contains `utcMs` (the last boundary at or before it). */
export const periodStartAtOrBefore = (utcMs: number, period: ReportPeriod, tz: string): number => {
  const l = localDate(utcMs, tz);
  const start =
    period === 'monthly' ? midnight(l.y, l.m, 1, tz) : midnight(l.y, l.m, l.d - ((l.weekday + 6) % 7), tz);
  // A zone whose clocks skip midnight reads it an hour later; that boundary may lie just after utcMs.
  return start <= utcMs ? start : shiftBoundary(start, period, tz, -1);
};

/** The boundary `n` periods after (n < 0: before) the boundary `boundaryMs`. */
export const shiftBoundary = (boundaryMs: number, period: ReportPeriod, tz: string, n: number): number => {
  // Half a day in: safely inside the boundary's local date whatever the DST shift at midnight.
  const l = localDate(boundaryMs + DAY_MS / 2, tz);
  return period === 'monthly' ? midnight(l.y, l.m + n, 1, tz) : midnight(l.y, l.m, l.d + 7 * n, tz);
};

/** The end of the period that contains `utcMs`: the first boundary after it. */
export const periodEndAfter = (utcMs: number, period: ReportPeriod, tz: string): number =>
  shiftBoundary(periodStartAtOrBefore(utcMs, period, tz), period, tz, 1);
