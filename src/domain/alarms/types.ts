// The vocabulary of alarm evaluation: rules, readings, the per-unit state a caller stores between
// batches (plain JSON: numbers, nulls, arrays, no Dates or Infinity) and the events it emits.
// Temperatures are °C; converting a °F threshold is the caller's job. Times are epoch milliseconds of
// the reading's recorded_at (event time), never the wall clock of evaluation.

export type AlarmKind = 'high' | 'low' | 'no_data' | 'sensor_failure' | 'predicted_breach';
/** Which side of a threshold is bad: above it (high) or below it (low). */
export type AlarmDirection = 'high' | 'low';
export type AlarmSeverity = 'warning' | 'critical';

export interface AlarmRule {
  id: string;
  kind: AlarmKind;
  severity: AlarmSeverity;
  /**
   * high/low: the limit in °C; a value equal to it counts as beyond. predicted_breach: the limit whose
   * crossing is forecast (usually the unit's critical limit), on the side `direction` names.
   */
  threshold_c?: number;
  /** predicted_breach: 'high' forecasts a rise to threshold_c, 'low' a fall to it. */
  direction?: AlarmDirection;
  /** predicted_breach: how far ahead the trend is projected (default 3600 s). */
  horizon_seconds?: number;
  /** predicted_breach: the trend is fitted over the good readings this far back (default 1800 s). */
  lookback_seconds?: number;
  /** high/low single-event timer: the condition must hold this long without interruption. */
  delay_seconds: number;
  /** high/low: the alarm clears only once the value is back past threshold ∓ deadband_c. */
  deadband_c: number;
  /** high/low: ...and stays there this long without interruption (predicted_breach: see predicted.ts). */
  clear_delay_seconds: number;
  /** high/low cumulative timer: total time beyond within window_seconds; replaces delay_seconds when set. */
  cumulative_seconds?: number;
  window_seconds?: number;
  /**
   * high/low: how long one reading vouches for the value (see threshold.ts); a longer gap breaks a
   * pending run (predicted_breach: a pending or clear run). Default DEFAULT_MAX_GAP_SECONDS.
   */
  max_gap_seconds?: number;
  /** sensor_failure: this many failed reads in a row start it. */
  failures_in_row?: number;
  /** no_data: no reading for this long starts it. */
  no_data_seconds?: number;
  enabled: boolean;
}

/** One reading of one unit; temperatureC null is a failed read (equipment_status 'failure'). */
export interface AlarmReading {
  recordedAtMs: number;
  temperatureC: number | null;
}

/** Running figures of an alarm (or a pending run), kept as sums so they merge and serialise. */
export interface StatsAccumulator {
  readings: number;
  sumC: number;
  minC: number | null;
  maxC: number | null;
  failedReads: number;
  /** Time beyond the threshold, ms: each beyond reading's held interval (threshold.ts). */
  beyondMs: number;
  /** Σ (degrees beyond the threshold × minutes held); a reading equal to the threshold adds 0. */
  degreeMinutes: number;
}

/**
 * What the record of an alarm shows; peak is max for high, min for low (and for predicted_breach by its
 * direction), null for the other kinds.
 */
export interface AlarmStats {
  peakC: number | null;
  minC: number | null;
  maxC: number | null;
  /** Arithmetic mean of the good readings in [started, end), null when there were none. */
  meanC: number | null;
  readings: number;
  failedReads: number;
  timeBeyondSeconds: number;
  degreeMinutes: number;
}

export interface OpenAlarmState {
  /** When the condition began (the first reading of the run), not when the timer was met. */
  startedAtMs: number;
  /** When the delay, cumulative total, failure count or no-data limit was met (event time). */
  confirmedAtMs: number;
  stats: StatsAccumulator;
}

export interface PendingRun {
  startMs: number;
  stats: StatsAccumulator;
}

/** Per unit and rule; JSON-serialisable. Create with initialAlarmState(). */
export interface AlarmState {
  version: 1;
  /** recorded_at of the newest reading processed; readings at or before it are skipped. */
  watermarkMs: number | null;
  /** The previous reading that counts for this kind (good readings for high/low, any for the rest). */
  last: AlarmReading | null;
  /** high/low: the uninterrupted run of beyond readings not yet an alarm; sensor_failure: failed reads. */
  run: PendingRun | null;
  /** high/low while open: the uninterrupted run of readings back past the deadband. */
  clearRun: PendingRun | null;
  /** Cumulative timer: merged beyond intervals [start, end) ms still inside the window. */
  segments: [number, number][];
  /** End of the last alarm: beyond time before it never counts towards the next cumulative alarm. */
  lastClearedMs: number | null;
  open: OpenAlarmState | null;
  /**
   * predicted_breach: the good readings [recordedAtMs, °C] inside the lookback, oldest first (absent for
   * the other kinds and in states stored before the kind existed).
   */
  recent?: [number, number][];
}

export interface AlarmStartedEvent {
  type: 'started';
  ruleId: string;
  kind: AlarmKind;
  severity: AlarmSeverity;
  startedAtMs: number;
  confirmedAtMs: number;
}

export interface AlarmClearedEvent {
  type: 'cleared';
  ruleId: string;
  kind: AlarmKind;
  severity: AlarmSeverity;
  startedAtMs: number;
  /** When the condition ended: the first reading of the run that cleared it. */
  clearedAtMs: number;
  stats: AlarmStats;
}

export type AlarmEvent = AlarmStartedEvent | AlarmClearedEvent;

export interface EvaluationResult {
  state: AlarmState;
  /** In event-time order; an alarm is identified by (ruleId, startedAtMs). */
  events: AlarmEvent[];
  /**
   * Readings at or before the watermark that were skipped: redeliveries, or late readings the caller
   * must replay from a checkpoint (evaluate.ts explains which).
   */
  skipped: number;
  /** The oldest skipped recorded_at, null when none was skipped. */
  oldestSkippedMs: number | null;
}

/** A reading vouches for its value at most this long when the rule does not say (1 h). */
export const DEFAULT_MAX_GAP_SECONDS = 3600;
