import {
  addEdgeGaps,
  excessC,
  addToSums,
  emptySums,
  expectedReadings,
  scanReading,
  type ComplianceSums,
  type ScanState,
  type SeriesReading,
  type UnitConventions,
} from './compliance.ts';
import { DEFAULT_ACTIVATION_KELVIN } from './mkt.ts';

// The fast path of compliance.ts for long windows and the default ΔH: sums over the hourly rollups
// (count, Σ t, Σ exp(−ΔH/RT) for ΔH/R = 10,000 K, min, max), and raw readings only for the hours that
// need them (the partial hours at the window's edges, and the whole hours HOURS TO READ below).
//
// What it approximates: it is COUNT-weighted, every reading holding one expected interval, where the
// definition (complianceOfSeries) is DURATION-weighted, every reading holding until the next one (at
// most maxGapMs). The two agree exactly when readings are regular (one per expected interval, no gap),
// and the property tests (compliance.test.ts, test/integration/mkt-rollups.test.ts) hold them to that.
// Otherwise:
// - MKT and mean weigh each reading equally: a unit that reports more often during an excursion
//   weighs it more; a gap is simply skipped (as in the definition, which caps the hold).
// - Minutes in and out of range and degree-minutes count each reading as one interval.
// - Excursions are counted exactly: every reading outside the range lies in an hour whose min or max
//   is outside, and those hours are read.
// - Gaps are measured exactly wherever an hour holds fewer readings than a full hour should, or
//   borders an hour without any; an hour with its full count of readings (failed reads included) is
//   taken to hold no gap longer than the expected interval, so the two intervals around a failed read
//   in such an hour are not measured.
//
// HOURS TO READ, among the whole hours with a reading (db/compliance-repo.ts hoursToRead applies it in
// SQL): those whose min or max lies outside the limits; those with fewer readings (failed reads
// included) than floor(1 h / interval); those on either side of an hour without readings; the first
// and the last.

export const HOUR_MS = 3_600_000;

/** Readings a whole hour holds when none is missing. */
export const fullHourCount = (intervalMs: number): number => Math.floor(HOUR_MS / intervalMs);

/** Sums over whole hours, readings with a temperature only; termSum for ΔH/R = 10,000 K. */
export interface RollupTotals {
  readings: number;
  celsiusSum: number;
  termSum: number;
  minC: number | null;
  maxC: number | null;
}

/** The readings of one hour read raw, in time order with the others. */
export interface ReadBlock {
  readings: readonly SeriesReading[];
  /** True for a whole hour, whose readings `totals` already sums; false for a partial edge hour. */
  inTotals: boolean;
  /** Hours with readings that were not read lie between this block and the previous one. */
  afterUnread: boolean;
}

/**
 * The count-weighted sums of hourly totals, each reading holding one expected interval. Needs the
 * default ΔH: the rollups keep the Arrhenius terms of that one only.
 */
const sumsOfTotals = (t: RollupTotals, u: UnitConventions): ComplianceSums => {
  if (u.activationK !== DEFAULT_ACTIVATION_KELVIN)
    throw new Error('The rollups keep MKT terms for the default activation energy only');
  const sums = emptySums();
  const hold = u.intervalMs;
  sums.weightMs = t.readings * hold;
  sums.termSum = t.termSum * hold;
  sums.celsiusSum = t.celsiusSum * hold;
  sums.minC = t.minC;
  sums.maxC = t.maxC;
  sums.readings = t.readings;
  return sums;
};

export interface RollupInput {
  totals: RollupTotals;
  /** Ascending: the head edge, the whole hours to read, the tail edge. */
  blocks: readonly ReadBlock[];
  /** Some hour with readings was not read. */
  anyUnread: boolean;
  startMs: number;
  endMs: number;
  nowMs: number;
}

/**
 * The figures from hourly sums and the hours read, each reading holding one expected interval (see
 * above). Needs the default ΔH: the rollups keep the Arrhenius terms of that one only.
 * @throws Error when `u.activationK` is not the default.
 */
export const complianceOfRollups = (input: RollupInput, u: UnitConventions): ComplianceSums => {
  const sums = sumsOfTotals(input.totals, u);
  const hold = u.intervalMs;
  const state: ScanState = { prev: null };
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  for (const b of input.blocks) {
    // Unread hours are in range throughout: they end any excursion, and the gaps beside them are unknown.
    if (b.afterUnread) state.prev = null;
    for (const r of b.readings) {
      if (!b.inTotals) addToSums(sums, r.celsius, hold, DEFAULT_ACTIVATION_KELVIN);
      scanReading(sums, state, r, hold, u);
    }
    firstAt ??= b.readings[0]?.atMs ?? null;
    lastAt = b.readings.at(-1)?.atMs ?? lastAt;
  }
  if (input.anyUnread) sums.longestGapMs = Math.max(sums.longestGapMs, u.intervalMs);
  const untilMs = Math.min(input.endMs, input.nowMs);
  addEdgeGaps(sums, firstAt, lastAt, input.startMs, untilMs);
  sums.expectedReadings = expectedReadings(input.startMs, untilMs, u.intervalMs);
  return sums;
};

/** What the hourly rollups keep of whole hours whose raw readings were deleted by retention. */
export interface DeletedHoursInput {
  totals: RollupTotals;
  /** Hours with a reading beyond the limits: start (epoch ms), readings, min and max (°C). */
  beyond: ReadonlyArray<{ t: number; n: number; mn: number; mx: number }>;
  /** Start of the first and last hour with a reading (null: none). */
  firstHourMs: number | null;
  lastHourMs: number | null;
  /** The longest step between consecutive hours with readings (0: fewer than two). */
  maxStepMs: number;
  startMs: number;
  untilMs: number;
}

/**
 * The figures of a period whose raw readings retention deleted, from its hourly rollups alone.
 * MKT, mean, min, max, readings and completeness are as on the rollup path (count-weighted). What the
 * rollups cannot tell is bounded on the safe side: every reading of an hour with its min or max beyond
 * the limits counts as out of range, by the hour's largest excess (so excursion and degree-minutes are
 * upper bounds and time in range a lower bound); each run of such consecutive hours is one excursion;
 * gaps are measured in whole hours.
 * @throws Error when `u.activationK` is not the default (the rollups keep only its terms).
 */
export const complianceOfDeletedHours = (input: DeletedHoursInput, u: UnitConventions): ComplianceSums => {
  const sums = sumsOfTotals(input.totals, u);
  const hold = u.intervalMs;
  let prevBeyond: number | null = null;
  for (const h of input.beyond) {
    if (prevBeyond === null || h.t - prevBeyond > HOUR_MS) sums.excursions += 1;
    sums.excursionMs += h.n * hold;
    sums.degreeMs += h.n * hold * Math.max(excessC(u.limits, h.mn), excessC(u.limits, h.mx));
    prevBeyond = h.t;
  }
  if (input.firstHourMs === null || input.lastHourMs === null) {
    sums.longestGapMs = Math.max(0, input.untilMs - input.startMs);
  } else {
    sums.longestGapMs = Math.max(
      input.maxStepMs - HOUR_MS,
      input.firstHourMs - input.startMs,
      input.untilMs - (input.lastHourMs + HOUR_MS),
      input.totals.readings > 0 ? u.intervalMs : 0,
    );
  }
  sums.expectedReadings = expectedReadings(input.startMs, input.untilMs, u.intervalMs);
  return sums;
};
