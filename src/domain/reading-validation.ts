import { toCelsius, type TemperatureUnit } from './units.ts';

/** Why a source row was not stored. Counted per run in `ingestion_logs.rejection_reasons`. */
export type RejectionReason =
  | 'missing_field'
  | 'other_customer'
  | 'unknown_unit'
  | 'bad_temperature'
  | 'bad_unit'
  | 'implausible'
  | 'bad_timestamp'
  | 'future_timestamp'
  | 'bad_quality'
  | 'duplicate_in_batch'
  /** The source sent more rows than a run may read (the whole run is refused, see ingestion/row-cap.ts). */
  | 'row_cap_exceeded';

/**
 * Plausibility, in °C. Nothing a cold chain stores lies outside [-100, 60] (ultra-low freezers run
 * near -80 °C), and no working or failing unit drifts more than 50 °C from its set point; the
 * simulator's own envelope is set point -15/+20 °C. Values beyond either bound are sensor or
 * transmission garbage, not excursions, and are rejected rather than raising alarms.
 */
const PLAUSIBLE_MIN_C = -100;
const PLAUSIBLE_MAX_C = 60;
const MAX_SET_POINT_DEVIATION_C = 50;

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A temperature as sent: null for a failed sensor read (null/empty), NaN when it is not a finite number. */
export const parseTemperatureValue = (raw: unknown): number | null => {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : NaN;
  if (typeof raw !== 'string') return NaN;
  const s = raw.trim();
  if (s === '') return null;
  if (!NUMBER_RE.test(s)) return NaN;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
};

/** quality_score as a float in [0,1]; undefined when absent, NaN when present but not such a number. */
export const parseQualityScore = (raw: unknown): number | undefined => {
  if (raw === null || raw === undefined || raw === '') return undefined;
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && NUMBER_RE.test(raw.trim()) ? Number(raw) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : NaN;
};

/** True when a °C value is physically plausible for a unit with this set point (in its own unit). */
export const isPlausibleCelsius = (c: number, setTemperature: number, setUnit: TemperatureUnit): boolean =>
  c >= PLAUSIBLE_MIN_C &&
  c <= PLAUSIBLE_MAX_C &&
  Math.abs(c - toCelsius(setTemperature, setUnit)) <= MAX_SET_POINT_DEVIATION_C;
