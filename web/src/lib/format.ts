import { convertTemperature, convertTemperatureDelta } from '../../../src/domain/units.ts';
import type { TempUnit } from './types.ts';

/** The browser's IANA time zone: every time on screen is shown in it, and named in the header. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dateOnly = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit' });
const shortDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: '2-digit' });

export const fmtDateTime = (iso: string | null | undefined): string =>
  iso ? dateTime.format(new Date(iso)) : '—';
export const fmtDate = (iso: string | null | undefined): string =>
  iso ? dateOnly.format(new Date(iso)) : '—';
export const fmtShortDay = (iso: string): string => shortDay.format(new Date(iso));

export const fmtAgo = (iso: string | null | undefined, now = Date.now()): string => {
  if (!iso) return 'never';
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (s < 0) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
};

/** A value in the display unit; no `from` means the API already answered in it. */
export const toUnit = (v: number, from: TempUnit | null | undefined, to: TempUnit): number =>
  from ? convertTemperature(v, from, to) : v;
/** A difference of temperatures (deviation, band width) converts without the offset. */
export const deltaToUnit = (v: number, from: TempUnit | null | undefined, to: TempUnit): number =>
  from ? convertTemperatureDelta(v, from, to) : v;

export const fmtNum = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

/** A temperature in the display unit, converted if the API answered in another unit. */
export const fmtTemp = (
  v: number | null | undefined,
  from: TempUnit | null | undefined,
  to: TempUnit,
  digits = 1,
): string => (v === null || v === undefined ? '—' : `${toUnit(v, from, to).toFixed(digits)} °${to}`);

export const fmtInt = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : new Intl.NumberFormat().format(v);

export const fmtPct = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(digits)} %`;

/** `YYYY-MM-DD` of a date in the browser zone (value of an `<input type="date">`). */
export const isoDay = (d: Date): string =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** Local midnight of an `<input type="date">` value, as an ISO instant. */
export const dayStart = (day: string): string => new Date(`${day}T00:00:00`).toISOString();
export const dayEnd = (day: string): string => new Date(`${day}T23:59:59.999`).toISOString();

const INTERVAL_ADJECTIVE: Record<string, string> = {
  hour: 'hourly',
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
};
/** "hourly", "daily", …: appending "ly" to the interval name made "dayly". */
export const intervalAdjective = (interval: string): string => INTERVAL_ADJECTIVE[interval] ?? interval;
