import { zoneOffsetMs } from '../domain/time.ts';
import { celsiusDeltaTo, celsiusTo, type TemperatureUnit } from '../domain/units.ts';

// How reports print times and temperatures. Times are shown in the report's zone with their UTC
// offset (the zone is named in the header); temperatures with two decimals and their unit.

const QUARTER_HOUR_MS = 900_000;

/**
 * A zone's offsets, remembered per quarter hour (offsets change only at such instants): the CSV of a
 * year of minute readings asks 525,600 times, and Intl is slow.
 */
export const offsetCache = (tz: string): ((ms: number) => number) => {
  let bucket = Number.NaN;
  let offset = 0;
  return (ms) => {
    const b = Math.floor(ms / QUARTER_HOUR_MS);
    if (b !== bucket) {
      bucket = b;
      offset = zoneOffsetMs(tz, ms);
    }
    return offset;
  };
};

/** `+01:00`, `-05:30`, `+00:00`. */
export const offsetText = (offsetMs: number): string => {
  const sign = offsetMs < 0 ? '-' : '+';
  const m = Math.round(Math.abs(offsetMs) / 60_000);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

/** ISO 8601 local time with its offset, to the millisecond: `2026-03-01T01:00:00.000+01:00`. */
export const isoLocal = (ms: number, offsetMs: number): string =>
  new Date(ms + offsetMs).toISOString().slice(0, 23) + offsetText(offsetMs);

/** A time for people: `2026-03-01 01:00` in the zone (minutes), or with seconds. */
export const localText = (ms: number, tz: string, seconds = false): string =>
  new Date(ms + zoneOffsetMs(tz, ms))
    .toISOString()
    .slice(0, seconds ? 19 : 16)
    .replace('T', ' ');

/** `2026-03-01 01:00 (UTC+01:00)`: a time in the zone with its offset. */
export const localWithOffset = (ms: number, tz: string): string =>
  `${localText(ms, tz)} (UTC${offsetText(zoneOffsetMs(tz, ms))})`;

/** `2026-03-01 00:00 UTC`. */
export const utcText = (ms: number): string =>
  `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export const unitSymbol = (unit: TemperatureUnit): string => (unit === 'F' ? '°F' : '°C');

/** A temperature given in °C, printed in `unit` with two decimals; '–' when there is none. */
export const temperatureText = (c: number | null | undefined, unit: TemperatureUnit): string => {
  const v = celsiusTo(c, unit);
  return v === null ? '–' : `${v.toFixed(2)} ${unitSymbol(unit)}`;
};

/** Degree-minutes given in °C·min, printed in `unit`. */
export const degreeMinutesText = (cMin: number, unit: TemperatureUnit): string =>
  `${(celsiusDeltaTo(cMin, unit) ?? 0).toFixed(1)} ${unitSymbol(unit)}·min`;

export const percentText = (v: number | null): string => (v === null ? '–' : `${v.toFixed(2)} %`);

/** A duration in minutes as `3 d 4 h 05 min`, `2 h 10 min` or `45 min`. */
export const durationText = (minutes: number): string => {
  const total = Math.round(minutes);
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  if (d > 0) return `${d} d ${h} h ${String(m).padStart(2, '0')} min`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min`;
};
