// Timestamps from sources: ISO 8601 with `Z` or an offset is an instant as is; a naive local time
// (`2025-06-17 11:39:29`, `2025-06-17T20:25:27.520281`) is read in the customer's IANA time zone.
// The same parser reads request instants (naive = UTC), and the one zone cache below serves both
// ingestion and the API.

// Creating an Intl.DateTimeFormat costs far more than a query: one per zone name, bounded because
// request parameters choose the names (case variants of valid zones are distinct keys).
const MAX_CACHED_ZONES = 1000;
const formatters = new Map<string, Intl.DateTimeFormat>();

const formatterFor = (zone: string): Intl.DateTimeFormat => {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    if (formatters.size >= MAX_CACHED_ZONES) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
};

/** True when the runtime knows this IANA zone name. */
export const isValidTimeZone = (zone: string): boolean => {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
};

/** The zone's UTC offset at an instant, in ms (Europe/London in summer: +3,600,000). */
export const zoneOffsetMs = (zone: string, utcMs: number): number => {
  const p: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
};

const HALF_DAY_MS = 12 * 3_600_000;

/**
 * The instant at which a zone's clocks show `localMs` (a wall-clock time encoded as if it were UTC).
 * A time skipped by a DST change (01:30 on the spring-forward day in London) is read with the offset
 * before the change, i.e. one hour later (02:30 BST); a time that occurs twice (01:30 on the
 * fall-back day) is the earlier of the two. This matches Temporal's `disambiguation: 'compatible'`.
 */
export const zonedLocalToUtcMs = (localMs: number, zone: string): number => {
  const before = zoneOffsetMs(zone, localMs - HALF_DAY_MS);
  const after = zoneOffsetMs(zone, localMs + HALF_DAY_MS);
  const candidates = [...new Set([before, after])]
    .map((o) => localMs - o)
    .filter((t) => localMs - zoneOffsetMs(zone, t) === t);
  if (candidates.length > 0) return Math.min(...candidates);
  return localMs - before;
};

const DAY_MS = 86_400_000;

/** The calendar buckets a time series can be grouped into (in a zone: local hours, days, weeks, months). */
export type TimeGroup = 'hour' | 'day' | 'week' | 'month';
export const TIME_GROUPS: readonly TimeGroup[] = ['hour', 'day', 'week', 'month'];

/** A local calendar day of a zone: its date (YYYY-MM-DD) and the instant of its midnight. */
export interface LocalDay {
  date: string;
  startMs: number;
}

/** The local day whose wall-clock midnight is `dayLocalMs`; undefined if that midnight does not exist. */
const localDayAt = (zone: string, dayLocalMs: number): LocalDay | undefined => {
  const startMs = zonedLocalToUtcMs(dayLocalMs, zone);
  // A DST change at midnight (a few zones) skips 00:00: no exact day boundary to split at.
  if (startMs + zoneOffsetMs(zone, startMs) !== dayLocalMs) return undefined;
  return { date: new Date(dayLocalMs).toISOString().slice(0, 10), startMs };
};

/**
 * The first local midnight at or after `utcMs` (`'ceil'`) or the last at or before it (`'floor'`)
 * in the zone; undefined where the midnight does not exist.
 */
export const localMidnight = (zone: string, utcMs: number, dir: 'floor' | 'ceil'): LocalDay | undefined => {
  if (zone === 'UTC') {
    // No Intl lookups for the common case (every ungrouped stat splits at UTC days).
    const startMs = (dir === 'floor' ? Math.floor(utcMs / DAY_MS) : Math.ceil(utcMs / DAY_MS)) * DAY_MS;
    return { date: new Date(startMs).toISOString().slice(0, 10), startMs };
  }
  const dayLocal = Math.floor((utcMs + zoneOffsetMs(zone, utcMs)) / DAY_MS) * DAY_MS;
  const day = localDayAt(zone, dayLocal);
  if (!day || dir === 'floor' || day.startMs === utcMs) return day;
  return localDayAt(zone, dayLocal + DAY_MS);
};

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses a source timestamp to epoch ms (sub-millisecond digits are truncated). Naive times are
 * read in `zone`. Returns undefined for anything that is not a valid calendar date and time.
 */
export const parseSourceTimestamp = (raw: unknown, zone: string): number | undefined => {
  if (typeof raw !== 'string') return undefined;
  const m = ISO_RE.exec(raw.trim());
  if (!m) return undefined;
  const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', frac = '', tz] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = Number(hs);
  const mi = Number(mis);
  const s = Number(ss);
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1]! || h > 23 || mi > 59 || s > 59)
    return undefined;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return undefined;
  const ms = Number((frac + '000').slice(0, 3));
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (!tz) return zone === 'UTC' ? local : zonedLocalToUtcMs(local, zone);
  if (tz.toUpperCase() === 'Z') return local;
  const sign = tz[0] === '-' ? -1 : 1;
  const digits = tz.slice(1).replace(':', '');
  const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
  return local - sign * offMin * 60_000;
};

/**
 * Parses a duration such as `30d`, `12h`, `90m`, `3600s`, `2w` into milliseconds.
 * @returns undefined when the text is not a duration.
 */
export const parseDurationMs = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
    m[2] as 's' | 'm' | 'h' | 'd' | 'w'
  ];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : undefined;
};
