import { AppError } from '../lib/errors.ts';

const DAY_MS = 86_400_000;
/** Longest range of raw readings one request may ask for; longer ranges use the aggregates. */
export const MAX_RAW_RANGE_DAYS = 31;

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** True for an ISO 8601 instant we accept: date, or date-time with optional offset (naive = UTC). */
export const isIsoInstant = (s: string): boolean => ISO.test(s) && parseInstantOrNaN(s) !== undefined;

const parseInstantOrNaN = (s: string): Date | undefined => {
  let text = s.trim().replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00';
  if (!/(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(text.slice(10))) text += 'Z';
  // Sub-millisecond digits are dropped: JS dates have millisecond precision.
  text = text.replace(/(\.\d{3})\d+/, '$1');
  const d = new Date(text);
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1900 || d.getUTCFullYear() > 9999 ? undefined : d;
};

/** Parses a request instant; a value without an offset is UTC. */
export const parseInstant = (s: string | undefined, name: string): Date | undefined => {
  if (s === undefined) return undefined;
  const d = parseInstantOrNaN(s);
  if (!d) throw new AppError('VALIDATION', `${name} is not an ISO 8601 date-time`);
  return d;
};

export interface Range {
  start?: Date;
  end?: Date;
}

/** Checks start ≤ end (a 422 otherwise). */
export const checkOrder = (r: Range): Range => {
  if (r.start && r.end && r.start.getTime() > r.end.getTime())
    throw new AppError('VALIDATION', 'start_date must not be after end_date');
  return r;
};

/**
 * A bounded range for raw-reading endpoints: at most `maxDays`. Missing ends are filled in
 * (no dates: the last `maxDays` days up to now and beyond, for slightly future readings).
 */
export const boundedRawRange = (
  r: Range,
  now: Date,
  maxDays = MAX_RAW_RANGE_DAYS,
): { start: Date; end?: Date } => {
  checkOrder(r);
  const span = maxDays * DAY_MS;
  if (r.start && r.end) {
    if (r.end.getTime() - r.start.getTime() > span)
      throw new AppError(
        'VALIDATION',
        `At most ${maxDays} days of raw readings per request; narrow start_date/end_date or use /api/v1/analytics/temperature/trends`,
      );
    return { start: r.start, end: r.end };
  }
  if (r.start) return { start: r.start, end: new Date(r.start.getTime() + span) };
  if (r.end) return { start: new Date(r.end.getTime() - span), end: r.end };
  return { start: new Date(now.getTime() - span) };
};

// Creating an Intl.DateTimeFormat costs far more than a query; keep one per zone (bounded).
const formats = new Map<string, Intl.DateTimeFormat>();
const formatFor = (tz: string): Intl.DateTimeFormat => {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    if (formats.size > 1000) formats.clear();
    formats.set(tz, f);
  }
  return f;
};

/** Validates an IANA zone name. */
export const checkTimeZone = (tz: string): string => {
  try {
    formatFor(tz);
  } catch {
    throw new AppError('VALIDATION', `Unknown time zone '${tz}' (use an IANA name such as Europe/London)`);
  }
  return tz;
};

const offsetMinutes = (tz: string, at: Date): number => {
  const parts = formatFor(tz).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((local - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
};

/**
 * True when local hours of `tz` coincide with UTC hours over the range (every zone except the
 * few with :30/:45 offsets), so UTC-hour rollups can be regrouped into local days exactly.
 */
export const wholeHourZone = (tz: string, start: Date, end: Date): boolean => {
  if (tz === 'UTC' || tz === 'Etc/UTC') return true;
  const step = Math.max(DAY_MS, (end.getTime() - start.getTime()) / 48);
  for (let t = start.getTime(); t <= end.getTime() + step; t += step) {
    if (offsetMinutes(tz, new Date(Math.min(t, end.getTime()))) % 60 !== 0) return false;
  }
  return true;
};
