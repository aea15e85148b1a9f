import { setImmediate } from 'node:timers/promises';
import {
  isPlausibleCelsius,
  parseQualityScore,
  parseTemperatureValue,
  type RejectionReason,
} from '../domain/reading-validation.ts';
import { parseSourceTimestamp } from '../domain/time.ts';
import { parseTemperatureUnit, toCelsius, type TemperatureUnit } from '../domain/units.ts';
import type { Reading, RejectionSummary } from '../domain/reading.ts';
import type { RawRow } from './types.ts';

/** What the processor needs to know about a storage unit, found by its (facility code, unit code). */
export interface UnitRef {
  storageUnitId: string;
  facilityId: string;
  setTemperature: number;
  temperatureUnit: TemperatureUnit;
}

export interface UnitLookup {
  get(facilityCode: string, unitCode: string): UnitRef | undefined;
}

export interface ProcessInput {
  rows: readonly RawRow[];
  customerCode: string;
  /** IANA zone in which naive timestamps are read. */
  timezone: string;
  units: UnitLookup;
  nowMs: number;
  /** How far in the future a reading may lie (clock skew) before it is rejected. */
  futureToleranceMs: number;
  /** Row number of rows[0], for examples when a file is processed in chunks (default 1). */
  firstRow?: number;
}

export interface ProcessResult {
  readings: Reading[];
  rejected: number;
  rejections: RejectionSummary;
}

export const MAX_REJECTION_EXAMPLES = 10;

const str = (v: unknown): string | undefined => {
  if (typeof v === 'string') {
    const s = v.trim();
    return s === '' ? undefined : s;
  }
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
};

// Column aliases across the prototype's formats (seed-system.md §5, §10).
const facilityCodeOf = (r: RawRow) => str(r.facility_id) ?? str(r.facility_code);
const unitCodeOf = (r: RawRow) => str(r.unit_id) ?? str(r.unit_code);
// An empty CSV cell is a missing field, like an absent JSON key.
const unitFieldOf = (r: RawRow) => str(r.temperature_unit) ?? str(r.degrees);
const timestampOf = (r: RawRow) => str(r.timestamp) ?? str(r.recorded_at) ?? str(r.reading_time);

/** Every field of a row this processor reads (keep in step with the accessors above and below). */
export const SOURCE_FIELDS: ReadonlySet<string> = new Set([
  'customer_id',
  'facility_id',
  'facility_code',
  'unit_id',
  'unit_code',
  'temperature_unit',
  'degrees',
  'timestamp',
  'recorded_at',
  'reading_time',
  'temperature',
  'sensor_id',
  'quality_score',
]);

/** Creates an empty rejection summary. */
export const emptyRejections = (): RejectionSummary => ({ counts: {}, examples: [] });

/** Adds one rejection to a summary, keeping the first MAX_REJECTION_EXAMPLES examples. */
export const addRejection = (
  s: RejectionSummary,
  row: number,
  reason: RejectionReason,
  detail: string,
): void => {
  s.counts[reason] = (s.counts[reason] ?? 0) + 1;
  if (s.examples.length < MAX_REJECTION_EXAMPLES) s.examples.push({ row, reason, detail });
};

/** Adds `b` into `a` (counts summed, examples kept up to the limit). */
export const mergeRejections = (a: RejectionSummary, b: RejectionSummary): RejectionSummary => {
  for (const [k, n] of Object.entries(b.counts) as [RejectionReason, number][])
    a.counts[k] = (a.counts[k] ?? 0) + n;
  for (const e of b.examples) if (a.examples.length < MAX_REJECTION_EXAMPLES) a.examples.push(e);
  return a;
};

/** Total of all counts in a summary. */
export const rejectionTotal = (s: RejectionSummary): number =>
  Object.values(s.counts).reduce((a, n) => a + (n ?? 0), 0);

/**
 * Validates and normalises source rows for one customer. Pure: every row becomes a Reading or a
 * counted rejection. Temperatures are converted to °C (the source value and unit are kept); empty or
 * null temperatures are failed sensor reads, kept with equipment_status `failure`. Two rows for the
 * same (unit, instant) keep one: a real value wins over a failed read, else the first.
 */
export const processRows = (input: ProcessInput): ProcessResult => {
  const state = emptyState();
  processSlice(input, state, 0, input.rows.length);
  return resultOf(state);
};

/** Rows validated between two turns of the event loop (a few milliseconds of work). */
export const PROCESS_SLICE_ROWS = 2_000;

/**
 * processRows with a turn of the event loop after every `sliceRows` rows, for runs large enough to
 * hold up other work in the process (the API, in `tms up`). Same result, duplicates included.
 */
export const processRowsYielding = async (
  input: ProcessInput,
  sliceRows = PROCESS_SLICE_ROWS,
): Promise<ProcessResult> => {
  const state = emptyState();
  for (let from = 0; from < input.rows.length; from += sliceRows) {
    if (from > 0) await setImmediate();
    processSlice(input, state, from, Math.min(input.rows.length, from + sliceRows));
  }
  return resultOf(state);
};

/** What a run's rows have made so far; `byKey` finds a (unit, instant) already seen in any slice. */
interface ProcessState extends ProcessResult {
  byKey: Map<string, number>;
}

const emptyState = (): ProcessState => ({
  readings: [],
  rejected: 0,
  rejections: emptyRejections(),
  byKey: new Map(),
});

const resultOf = ({ readings, rejected, rejections }: ProcessState): ProcessResult => ({
  readings,
  rejected,
  rejections,
});

const processSlice = (input: ProcessInput, state: ProcessState, from: number, to: number): void => {
  const { rows, customerCode, timezone, units, nowMs, futureToleranceMs } = input;
  const firstRow = input.firstRow ?? 1;
  const { readings, byKey } = state;
  const latestAllowed = nowMs + futureToleranceMs;
  const reject = (i: number, reason: RejectionReason, detail: string) => {
    state.rejected++;
    addRejection(state.rejections, firstRow + i, reason, detail);
  };

  for (let i = from; i < to; i++) {
    const r = rows[i]!;
    const rowCustomer = str(r.customer_id);
    if (rowCustomer !== undefined && rowCustomer !== customerCode) {
      reject(i, 'other_customer', `row names customer ${rowCustomer}`);
      continue;
    }
    const facilityCode = facilityCodeOf(r);
    const unitCode = unitCodeOf(r);
    const rawTs = timestampOf(r);
    const rawUnit = unitFieldOf(r);
    if (!facilityCode || !unitCode || rawTs === undefined || rawUnit === undefined || !('temperature' in r)) {
      const missing = !facilityCode
        ? 'facility_id'
        : !unitCode
          ? 'unit_id'
          : rawTs === undefined
            ? 'timestamp'
            : rawUnit === undefined
              ? 'temperature_unit'
              : 'temperature';
      reject(i, 'missing_field', `no ${missing}`);
      continue;
    }
    const unit = units.get(facilityCode, unitCode);
    if (!unit) {
      reject(i, 'unknown_unit', `${facilityCode}/${unitCode}`);
      continue;
    }
    const sourceUnit = parseTemperatureUnit(rawUnit);
    if (!sourceUnit) {
      reject(i, 'bad_unit', `temperature unit '${String(rawUnit)}'`);
      continue;
    }
    const value = parseTemperatureValue(r.temperature);
    if (value !== null && Number.isNaN(value)) {
      reject(i, 'bad_temperature', `temperature '${String(r.temperature)}'`);
      continue;
    }
    const temperatureC = value === null ? null : toCelsius(value, sourceUnit);
    if (
      temperatureC !== null &&
      !isPlausibleCelsius(temperatureC, unit.setTemperature, unit.temperatureUnit)
    ) {
      reject(
        i,
        'implausible',
        `${value}${sourceUnit} for set point ${unit.setTemperature}${unit.temperatureUnit}`,
      );
      continue;
    }
    const recordedAtMs = parseSourceTimestamp(rawTs, timezone);
    if (recordedAtMs === undefined) {
      reject(i, 'bad_timestamp', `timestamp '${String(rawTs)}'`);
      continue;
    }
    if (recordedAtMs > latestAllowed) {
      reject(i, 'future_timestamp', `${new Date(recordedAtMs).toISOString()} is in the future`);
      continue;
    }
    const quality = parseQualityScore(r.quality_score);
    if (quality !== undefined && Number.isNaN(quality)) {
      reject(i, 'bad_quality', `quality_score '${String(r.quality_score)}'`);
      continue;
    }
    const reading: Reading = {
      storageUnitId: unit.storageUnitId,
      facilityId: unit.facilityId,
      recordedAtMs,
      temperatureC,
      sourceValue: value,
      sourceUnit,
      sensorId: str(r.sensor_id) ?? null,
      // A failed read carries no quality; absent scores default to 1 like the column.
      qualityScore: quality ?? (value === null ? 0 : 1),
      equipmentStatus: value === null ? 'failure' : 'normal',
    };
    const key = `${unit.storageUnitId}|${recordedAtMs}`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, readings.length);
      readings.push(reading);
    } else if (readings[seen]!.temperatureC === null && temperatureC !== null) {
      readings[seen] = reading;
      reject(
        i,
        'duplicate_in_batch',
        `${facilityCode}/${unitCode} at ${new Date(recordedAtMs).toISOString()} replaces a failed read`,
      );
    } else {
      reject(
        i,
        'duplicate_in_batch',
        `${facilityCode}/${unitCode} at ${new Date(recordedAtMs).toISOString()}`,
      );
    }
  }
};
