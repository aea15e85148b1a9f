import { arrheniusTerm, mktFromSums } from './mkt.ts';

// Compliance figures of one unit over a window [start, end): MKT, mean, extremes, time in range,
// excursions, degree-minutes, completeness and the longest gap. All temperatures °C, times epoch ms.
//
// Time convention (the alarm engine's "hold", domain/alarms/threshold.ts): a reading with a
// temperature holds its value until the next such reading, but for at most `maxGapMs` (the unit's
// no-data limit), so a gap neither stretches the reading before it nor biases MKT. A reading belongs
// to the window of its recorded_at and carries its whole hold, even where that runs past the window
// end; the newest reading of a unit (no successor yet) holds one expected interval. Failed reads (no
// temperature) are skipped: they neither hold nor break anything, as in the alarm engine.
// In range: low ≤ t ≤ high (the unit's alarm limits, as /temperature/latest's `excursion`).
// An excursion is a run of consecutive readings outside the range; an in-range reading or a gap
// longer than maxGapMs ends it.

export interface ComplianceLimits {
  lowC: number;
  highC: number;
}

export interface UnitConventions {
  limits: ComplianceLimits;
  /** How often the unit's readings are expected (one reading per interval is 100 % completeness). */
  intervalMs: number;
  /** How long one reading vouches for its value at most. */
  maxGapMs: number;
  /** ΔH/R in kelvin. */
  activationK: number;
}

export interface SeriesReading {
  atMs: number;
  celsius: number;
}

/** Sums over readings, in ms-weighted units: two of them add up (units of a facility, paths). */
export interface ComplianceSums {
  /** Σ hold: the time the readings vouch for (monitored time). */
  weightMs: number;
  /** Σ hold × exp(−ΔH/RT). */
  termSum: number;
  /** Σ hold × t. */
  celsiusSum: number;
  minC: number | null;
  maxC: number | null;
  readings: number;
  expectedReadings: number;
  excursions: number;
  /** Σ hold of readings outside the range. */
  excursionMs: number;
  /** Σ hold × degrees beyond the limit crossed. */
  degreeMs: number;
  longestGapMs: number;
}

export const emptySums = (): ComplianceSums => ({
  weightMs: 0,
  termSum: 0,
  celsiusSum: 0,
  minC: null,
  maxC: null,
  readings: 0,
  expectedReadings: 0,
  excursions: 0,
  excursionMs: 0,
  degreeMs: 0,
  longestGapMs: 0,
});

/** Degrees outside [low, high]; 0 inside (the limits themselves are in range). */
export const excessC = (limits: ComplianceLimits, celsius: number): number =>
  celsius > limits.highC ? celsius - limits.highC : celsius < limits.lowC ? limits.lowC - celsius : 0;

const minOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);
const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/**
 * Readings expected in [startMs, untilMs): one per interval, rounded (a regular series of any phase
 * then has all of them). Time not yet due (after now) is not expected.
 */
export const expectedReadings = (startMs: number, untilMs: number, intervalMs: number): number =>
  untilMs > startMs ? Math.round((untilMs - startMs) / intervalMs) : 0;

/** The previous reading an excursion or a gap is judged against; null after a break in the series. */
export interface ScanState {
  prev: { atMs: number; outside: boolean } | null;
}

/**
 * Adds the excursion figures and the gap to the previous reading of one reading holding `holdMs`.
 * Sums of temperatures and terms are the caller's (the rollup path takes them from rollup rows).
 */
export const scanReading = (
  sums: ComplianceSums,
  state: ScanState,
  r: SeriesReading,
  holdMs: number,
  u: UnitConventions,
): void => {
  const excess = excessC(u.limits, r.celsius);
  const outside = excess > 0;
  const prev = state.prev;
  if (prev) sums.longestGapMs = Math.max(sums.longestGapMs, r.atMs - prev.atMs);
  if (outside) {
    const continues = prev !== null && prev.outside && r.atMs - prev.atMs <= u.maxGapMs;
    if (!continues) sums.excursions += 1;
    sums.excursionMs += holdMs;
    sums.degreeMs += holdMs * excess;
  }
  state.prev = { atMs: r.atMs, outside };
};

/** Adds one reading's temperature, term and count with weight `holdMs`. */
export const addToSums = (
  sums: ComplianceSums,
  celsius: number,
  holdMs: number,
  activationK: number,
): void => {
  sums.weightMs += holdMs;
  sums.termSum += holdMs * arrheniusTerm(celsius, activationK);
  sums.celsiusSum += holdMs * celsius;
  sums.minC = minOf(sums.minC, celsius);
  sums.maxC = maxOf(sums.maxC, celsius);
  sums.readings += 1;
};

/** The gaps at the window's edges: from its start to the first reading, from the last to its end. */
export const addEdgeGaps = (
  sums: ComplianceSums,
  firstAtMs: number | null,
  lastAtMs: number | null,
  startMs: number,
  untilMs: number,
): void => {
  if (firstAtMs === null || lastAtMs === null) {
    sums.longestGapMs = Math.max(sums.longestGapMs, untilMs - startMs);
    return;
  }
  sums.longestGapMs = Math.max(sums.longestGapMs, firstAtMs - startMs, untilMs - lastAtMs);
};

export interface SeriesInput {
  /** Readings with a temperature in [startMs, endMs), ascending. */
  readings: readonly SeriesReading[];
  /** The first reading with a temperature at or after endMs, if any. */
  nextAtMs: number | null;
  startMs: number;
  endMs: number;
  nowMs: number;
}

/**
 * The exact, duration-weighted figures from every reading of the window (the definition; the rollup
 * path in compliance-rollups.ts equals it for regular readings).
 */
export const complianceOfSeries = (input: SeriesInput, u: UnitConventions): ComplianceSums => {
  const sums = emptySums();
  const state: ScanState = { prev: null };
  const { readings } = input;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    const nextAt = i + 1 < readings.length ? readings[i + 1]!.atMs : input.nextAtMs;
    const holdMs = Math.min(nextAt === null ? u.intervalMs : nextAt - r.atMs, u.maxGapMs);
    addToSums(sums, r.celsius, holdMs, u.activationK);
    scanReading(sums, state, r, holdMs, u);
  }
  const untilMs = Math.min(input.endMs, input.nowMs);
  addEdgeGaps(sums, readings[0]?.atMs ?? null, readings.at(-1)?.atMs ?? null, input.startMs, untilMs);
  sums.expectedReadings = expectedReadings(input.startMs, untilMs, u.intervalMs);
  return sums;
};

/** Sums of several units (a facility): counts and weights add, extremes and the longest gap combine. */
export const mergeSums = (all: readonly ComplianceSums[]): ComplianceSums => {
  const out = emptySums();
  for (const s of all) {
    out.weightMs += s.weightMs;
    out.termSum += s.termSum;
    out.celsiusSum += s.celsiusSum;
    out.minC = minOf(out.minC, s.minC);
    out.maxC = maxOf(out.maxC, s.maxC);
    out.readings += s.readings;
    out.expectedReadings += s.expectedReadings;
    out.excursions += s.excursions;
    out.excursionMs += s.excursionMs;
    out.degreeMs += s.degreeMs;
    out.longestGapMs = Math.max(out.longestGapMs, s.longestGapMs);
  }
  return out;
};

export interface ComplianceFigures {
  mkt_c: number | null;
  mean_c: number | null;
  min_c: number | null;
  max_c: number | null;
  time_in_range_pct: number | null;
  time_in_range_minutes: number;
  monitored_minutes: number;
  excursions: number;
  excursion_minutes: number;
  degree_minutes: number;
  readings: number;
  expected_readings: number;
  completeness_pct: number | null;
  longest_gap_minutes: number;
}

const MINUTE_MS = 60_000;
const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
const roundOrNull = (v: number | null, digits: number): number | null =>
  v === null ? null : round(v, digits);

/**
 * The figures from sums: temperatures to 0.001 °C, minutes to 0.01, percentages to 0.01.
 * `activationK` null: the sums mix activation energies (a facility whose units differ), so no MKT.
 */
export const figuresOf = (s: ComplianceSums, activationK: number | null): ComplianceFigures => {
  const inRangeMs = s.weightMs - s.excursionMs;
  return {
    mkt_c: activationK === null ? null : roundOrNull(mktFromSums(s.termSum, s.weightMs, activationK), 3),
    mean_c: s.weightMs > 0 ? round(s.celsiusSum / s.weightMs, 3) : null,
    min_c: s.minC,
    max_c: s.maxC,
    time_in_range_pct: s.weightMs > 0 ? round((inRangeMs / s.weightMs) * 100, 2) : null,
    time_in_range_minutes: round(inRangeMs / MINUTE_MS, 2),
    monitored_minutes: round(s.weightMs / MINUTE_MS, 2),
    excursions: s.excursions,
    excursion_minutes: round(s.excursionMs / MINUTE_MS, 2),
    degree_minutes: round(s.degreeMs / MINUTE_MS, 2),
    readings: s.readings,
    expected_readings: s.expectedReadings,
    completeness_pct:
      s.expectedReadings > 0 ? round(Math.min(1, s.readings / s.expectedReadings) * 100, 2) : null,
    longest_gap_minutes: round(s.longestGapMs / MINUTE_MS, 2),
  };
};
