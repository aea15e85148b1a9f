/**
 * The most rows one collection run may read. A source sends one row per unit per reading interval;
 * more than a few times that is a broken or hostile source, and reading it all would cost memory and
 * event-loop time that the other customers (and, in `tms up`, the API) share.
 */

/** Allowed multiple of the expected row count: late rows, overlaps, re-sent rows, duplicates. */
export const ROW_CAP_MARGIN = 3;
/** Rows always allowed, whatever the expectation (tiny customers, units without an interval). */
export const ROW_CAP_FLOOR = 10_000;
/** Interval assumed for a unit that has none recorded (the fastest the fleet spec uses). */
export const DEFAULT_READING_INTERVAL_SECONDS = 60;
/**
 * Window assumed at least: some sources ignore since/until and serve the last day (the prototype's CSV
 * download served 24 h by default), and a short window must not turn such a source into a failure.
 */
export const MIN_EXPECTED_WINDOW_MS = 24 * 3_600_000;

export interface RowCapInput {
  /** Readings per second the customer's units produce together (Σ 1 / interval). */
  readingsPerSecond: number;
  /** Length of the requested window. */
  windowMs: number;
  /** Configured hard ceiling (TMS_INGEST_MAX_ROWS). */
  ceiling: number;
}

/** floor + margin × expected rows of the window (at least a day), never above the ceiling. */
export const rowCapFor = ({ readingsPerSecond, windowMs, ceiling }: RowCapInput): number => {
  const expected = (readingsPerSecond * Math.max(windowMs, MIN_EXPECTED_WINDOW_MS)) / 1000;
  return Math.min(ceiling, ROW_CAP_FLOOR + Math.ceil(ROW_CAP_MARGIN * expected));
};

/** Thrown by a collector that stopped reading because the source sent more than `cap` rows. */
export class RowCapExceededError extends Error {
  readonly cap: number;

  constructor(cap: number) {
    super(`row_cap_exceeded: the source sent more than ${cap} rows; stopped reading`);
    this.name = 'RowCapExceededError';
    this.cap = cap;
  }
}
