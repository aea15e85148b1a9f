import { isValidTimeZone, parseSourceTimestamp, zoneOffsetMs } from '../domain/time.ts';
import { AppError } from '../lib/errors.ts';

const DAY_MS = 86_400_000;
/** Longest range of raw readings one request may ask for; longer ranges use the aggregates. */
export const MAX_RAW_RANGE_DAYS = 31;

const MIN_INSTANT_MS = Date.UTC(1900, 0, 1);

/** A request instant: an ISO 8601 date or date-time, naive = UTC, years 1900–9999; undefined otherwise. */
const parseRequestInstant = (s: string): Date | undefined => {
  const ms = parseSourceTimestamp(s, 'UTC');
  return ms === undefined || ms < MIN_INSTANT_MS ? undefined : new Date(ms);
};

/** True for an ISO 8601 instant we accept: date, or date-time with optional offset (naive = UTC). */
export const isIsoInstant = (s: string): boolean => parseRequestInstant(s) !== undefined;

/** Parses a request instant; a value without an offset is UTC. */
export const parseInstant = (s: string | undefined, name: string): Date | undefined => {
  if (s === undefined) return undefined;
  const d = parseRequestInstant(s);
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

/** Validates an IANA zone name. */
export const checkTimeZone = (tz: string): string => {
  if (!isValidTimeZone(tz))
    throw new AppError('VALIDATION', `Unknown time zone '${tz}' (use an IANA name such as Europe/London)`);
  return tz;
};

const HOUR_MS = 3_600_000;

/**
 * True when local hours of `tz` coincide with UTC hours over the range (every zone except the
 * few with :30/:45 offsets), so UTC-hour rollups can be regrouped into local days exactly.
 */
export const wholeHourZone = (tz: string, start: Date, end: Date): boolean => {
  if (tz === 'UTC' || tz === 'Etc/UTC') return true;
  const step = Math.max(DAY_MS, (end.getTime() - start.getTime()) / 48);
  for (let t = start.getTime(); t <= end.getTime() + step; t += step) {
    if (zoneOffsetMs(tz, Math.min(t, end.getTime())) % HOUR_MS !== 0) return false;
  }
  return true;
};
