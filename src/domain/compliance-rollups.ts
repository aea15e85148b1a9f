import {
  addEdgeGaps,
  emptySums,
  expectedReadings,
  scanReading,
  type ComplianceSums,
  type ScanState,
  type SeriesReading,
  type UnitConventions,
} from './compliance.ts';
import { arrheniusTerm, DEFAULT_ACTIVATION_KELVIN } from './mkt.ts';

// The fast path of compliance.ts for long windows and the default ΔH: one row per UTC hour from the
// hourly rollups (count, Σ t, Σ exp(−ΔH/RT) for ΔH/R = 10,000 K, min, max), and raw readings only for
// the hours that need them.
//
// What it approximates: it is COUNT-weighted, every reading holding one expected interval, where the
// definition (complianceOfSeries) is DURATION-weighted, every reading holding until the next one (at
// most maxGapMs). The two agree exactly when readings are regular (one per expected interval, no gap),
// and the property test (test/integration/mkt-rollups.test.ts) holds them to that. Otherwise:
// - MKT and mean weigh each reading equally: a unit that reports more often during an excursion
//   weighs it more; a gap is simply skipped (as in the definition, which caps the hold).
// - Minutes in and out of range and degree-minutes count each reading as one interval.
// - Excursions are counted exactly: every reading outside the range lies in an hour whose min or max
//   is outside, and those hours are read raw.
// - Gaps are measured exactly wherever an hour holds fewer readings than a full hour should, or
//   borders an hour without any (those hours are read raw); an hour with its full count of readings
//   is taken to hold no gap longer than the expected interval.

const HOUR_MS = 3_600_000;

/** One hour of a unit (an edge hour may be partial: [startMs, endMs)), readings with a temperature only. */
export interface HourRow {
  startMs: number;
  endMs: number;
  readings: number;
  celsiusSum: number;
  /** Σ exp(−ΔH/RT) with ΔH/R = 10,000 K (DEFAULT_ACTIVATION_KELVIN). */
  termSum: number;
  minC: number | null;
  maxC: number | null;
  /** Its readings are at hand (the partial edge hours, read raw). */
  raw?: boolean;
}

/** An hour row summed from readings (the window's partial edge hours). */
export const hourRowOf = (startMs: number, endMs: number, readings: readonly SeriesReading[]): HourRow => {
  let celsiusSum = 0;
  let termSum = 0;
  let minC: number | null = null;
  let maxC: number | null = null;
  for (const r of readings) {
    celsiusSum += r.celsius;
    termSum += arrheniusTerm(r.celsius, DEFAULT_ACTIVATION_KELVIN);
    minC = minC === null ? r.celsius : Math.min(minC, r.celsius);
    maxC = maxC === null ? r.celsius : Math.max(maxC, r.celsius);
  }
  return { startMs, endMs, readings: readings.length, celsiusSum, termSum, minC, maxC, raw: true };
};

/**
 * The start of every whole hour whose readings must be read raw: hours with a reading outside the
 * limits (by their min/max), hours with fewer readings than a full hour, the hours on either side of
 * an hour without readings, and the first and last hour with readings (the window's edge gaps).
 * `hours` ascending; rows marked `raw` are never asked for.
 */
export const hoursToRead = (hours: readonly HourRow[], u: UnitConventions): number[] => {
  const full = Math.floor(HOUR_MS / u.intervalMs);
  const filled = hours.filter((h) => h.readings > 0);
  const want = new Set<HourRow>();
  filled.forEach((h, i) => {
    const dirty = (h.minC ?? 0) < u.limits.lowC || (h.maxC ?? 0) > u.limits.highC;
    if (dirty || h.readings < full || i === 0 || i === filled.length - 1) want.add(h);
    const next = filled[i + 1];
    if (next && next.startMs > h.endMs) {
      want.add(h);
      want.add(next);
    }
  });
  return hours.filter((h) => want.has(h) && !h.raw).map((h) => h.startMs);
};

export interface RollupInput {
  /** Every hour with a row, ascending, covering [startMs, endMs) (edges partial and `raw`). */
  hours: readonly HourRow[];
  /** Readings of the `raw` rows and of the hours `hoursToRead` named, by row startMs, ascending. */
  readingsByHour: ReadonlyMap<number, readonly SeriesReading[]>;
  startMs: number;
  endMs: number;
  nowMs: number;
}

/**
 * The figures from hour rows, each reading holding one expected interval (see above). Needs the
 * default ΔH: the rows keep the Arrhenius terms of that one only.
 * @throws Error when `u.activationK` is not the default.
 */
export const complianceOfRollups = (input: RollupInput, u: UnitConventions): ComplianceSums => {
  if (u.activationK !== DEFAULT_ACTIVATION_KELVIN)
    throw new Error('The rollups keep MKT terms for the default activation energy only');
  const sums = emptySums();
  const state: ScanState = { prev: null };
  const hold = u.intervalMs;
  let unread = false;
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  for (const h of input.hours) {
    if (h.readings === 0) continue;
    sums.weightMs += h.readings * hold;
    sums.termSum += h.termSum * hold;
    sums.celsiusSum += h.celsiusSum * hold;
    sums.minC = sums.minC === null ? h.minC : Math.min(sums.minC, h.minC ?? sums.minC);
    sums.maxC = sums.maxC === null ? h.maxC : Math.max(sums.maxC, h.maxC ?? sums.maxC);
    sums.readings += h.readings;
    const readings = input.readingsByHour.get(h.startMs);
    if (!readings) {
      // Unread, so in range throughout: it ends any excursion, and the gaps on its sides are unknown.
      unread = true;
      state.prev = null;
      continue;
    }
    for (const r of readings) scanReading(sums, state, r, hold, u);
    firstAt ??= readings[0]?.atMs ?? null;
    lastAt = readings.at(-1)?.atMs ?? lastAt;
  }
  if (unread) sums.longestGapMs = Math.max(sums.longestGapMs, u.intervalMs);
  const untilMs = Math.min(input.endMs, input.nowMs);
  addEdgeGaps(sums, firstAt, lastAt, input.startMs, untilMs);
  sums.expectedReadings = expectedReadings(input.startMs, untilMs, u.intervalMs);
  return sums;
};
