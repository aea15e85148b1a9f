import { auditEntryFor } from '../audit/record.ts';
import { aggregateReadings } from '../db/analytics-repo.ts';
import { findUnit } from '../db/fleet-repo.ts';
import {
  countReadingsRaw,
  findReadingRow,
  insertReadingAudited,
  isTimeOnly,
  latestPerUnit,
  listReadings,
  type LatestRow,
  type ReadingFilter,
  type ReadingRow,
  type ReadingScope,
} from '../db/readings-query-repo.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FeatureContext } from './context.ts';
import { boundedRawRange, type Range } from './time.ts';
import { celsiusTo, fromCelsius, toCelsius, type TemperatureUnit } from '../domain/units.ts';
import { isOverdue, unitPeriodSeconds } from '../fleet/feed.ts';

/** The API shape of a reading (the prototype's field names, plus additive ones). */
export interface ReadingDto {
  id: string;
  customer_id: string;
  facility_id: string;
  storage_unit_id: string;
  temperature: number | null;
  temperature_unit: TemperatureUnit;
  temperature_c: number | null;
  recorded_at: Date;
  sensor_id: string | null;
  quality_score: number;
  equipment_status: string;
  created_at: Date;
  /** Names fall back to codes: every row can be labelled, whatever the source sent. */
  facility_name: string;
  facility_code: string;
  unit_name: string;
  unit_code: string;
}

/**
 * A reading in the unit asked for, by default its storage unit's own unit. When that is the unit
 * the source reported in, the source value is returned exactly (no °C round trip).
 */
export const toReadingDto = (r: ReadingRow, unit?: TemperatureUnit): ReadingDto => {
  const target = unit ?? r.unit_temperature_unit;
  const temperature =
    r.temperature_c === null
      ? null
      : r.source_unit === target && r.source_value !== null
        ? r.source_value
        : celsiusTo(r.temperature_c, target);
  return {
    id: r.id,
    customer_id: r.customer_id,
    facility_id: r.facility_id,
    storage_unit_id: r.storage_unit_id,
    temperature,
    temperature_unit: target,
    temperature_c: r.temperature_c,
    recorded_at: r.recorded_at,
    sensor_id: r.sensor_id,
    quality_score: r.quality_score,
    equipment_status: r.equipment_status,
    created_at: r.created_at,
    facility_name: r.facility_name,
    facility_code: r.facility_code,
    unit_name: r.unit_name,
    unit_code: r.unit_code,
  };
};

/** The `/temperature` query filters as the API receives them. */
export interface ReadingQuery extends Range {
  min_temperature?: number;
  max_temperature?: number;
  equipment_status?: string;
  quality_score?: number;
  min_quality?: number;
  sensor_id?: string;
  /** Unit of the response and of min/max_temperature (default: °C for the filters). */
  unit?: TemperatureUnit;
}

/** Resolves the query into a bounded raw-reading filter in °C. */
export const readingFilter = (ctx: FeatureContext, query: ReadingQuery, maxDays?: number): ReadingFilter => {
  const range = boundedRawRange({ start: query.start, end: query.end }, ctx.clock.now(), maxDays);
  const u = query.unit ?? 'C';
  return {
    start: range.start,
    end: range.end,
    minC: query.min_temperature === undefined ? undefined : toCelsius(query.min_temperature, u),
    maxC: query.max_temperature === undefined ? undefined : toCelsius(query.max_temperature, u),
    equipmentStatus: query.equipment_status,
    qualityScore: query.quality_score,
    minQuality: query.min_quality,
    sensorId: query.sensor_id,
  };
};

/** Exact total: from the rollups when only a time range filters, else a raw count. */
export const countReadings = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  f: ReadingFilter,
): Promise<number> => {
  if (!isTimeOnly(f)) return countReadingsRaw(ctx.db, scope, f);
  const [row] = await aggregateReadings(ctx.db, {
    scope,
    start: f.start,
    end: f.end,
    groupBy: [],
    tz: 'UTC',
  });
  return row?.reading_count ?? 0;
};

export const listReadingsPage = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  query: ReadingQuery,
  limit: number,
  offset: number,
): Promise<{ items: ReadingDto[]; total: number }> => {
  const f = readingFilter(ctx, query);
  const [rows, total] = await Promise.all([
    listReadings(ctx.db, scope, f, limit, offset),
    countReadings(ctx, scope, f),
  ]);
  return { items: rows.map((r) => toReadingDto(r, query.unit)), total };
};

/** A unit's newest reading, judged: is its data overdue, is the value outside the unit's alarm band? */
export interface LatestReadingDto extends ReadingDto {
  overdue: boolean;
  excursion: boolean;
}

/** The reading in its unit's own scale (the exact source value when the source used that scale). */
const inUnitScale = (r: LatestRow): number | null =>
  r.temperature_c === null
    ? null
    : r.source_unit === r.unit_temperature_unit && r.source_value !== null
      ? r.source_value
      : fromCelsius(r.temperature_c, r.unit_temperature_unit);

/** Outside [alarm_low_limit, alarm_high_limit] (kept in the unit's own scale); a failed read is not an excursion. */
const isExcursion = (r: LatestRow): boolean => {
  const v = inUnitScale(r);
  if (v === null) return false;
  return (
    (r.alarm_low_limit !== null && v < r.alarm_low_limit) ||
    (r.alarm_high_limit !== null && v > r.alarm_high_limit)
  );
};

export const latestReadings = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  limit: number,
  unit?: TemperatureUnit,
): Promise<LatestReadingDto[]> => {
  const now = ctx.clock.now();
  return (await latestPerUnit(ctx.db, scope, limit)).map((r) => ({
    ...toReadingDto(r, unit),
    overdue: isOverdue(
      r.recorded_at,
      unitPeriodSeconds(r.customer_frequency_seconds, r.unit_frequency_seconds),
      now,
    ),
    excursion: isExcursion(r),
  }));
};

export interface NewReadingInput {
  storage_unit_id: string;
  temperature: number | null;
  temperature_unit: TemperatureUnit;
  recorded_at: Date;
  sensor_id: string;
  quality_score: number;
  equipment_status: string;
}

/**
 * Stores one reading sent through the API, with its rollup, in one statement, and its audit entry
 * (entity reading, the values as sent) in the same transaction.
 * @throws AppError NOT_FOUND for a unit outside the scope, VALIDATION for a timestamp beyond the
 * future tolerance or a missing temperature on a non-failure, CONFLICT for a duplicate (unit, recorded_at).
 */
export const recordReading = async (
  ctx: FeatureContext,
  scope: { customerId: string; unitIds: readonly string[] },
  input: NewReadingInput,
  futureToleranceSeconds: number,
): Promise<ReadingDto> => {
  const unit = await findUnit(ctx.db, input.storage_unit_id, scope);
  if (!unit) throw notFound('Storage unit');
  if (input.recorded_at.getTime() > ctx.clock.now().getTime() + futureToleranceSeconds * 1000)
    throw new AppError('VALIDATION', `recorded_at is more than ${futureToleranceSeconds} s in the future`);
  if (input.temperature === null && input.equipment_status !== 'failure')
    throw new AppError('VALIDATION', "temperature may be null only with equipment_status 'failure'");
  const c = input.temperature === null ? null : toCelsius(input.temperature, input.temperature_unit);
  if (c !== null && (c < -273.15 || c > 1000))
    throw new AppError('VALIDATION', 'temperature is outside the physically possible range');
  // The hot write path: the reading, its rollups and its audit entry in one statement (atomic, one
  // round trip); the row is read back after it.
  const entry = auditEntryFor({
    entityType: 'reading',
    entityId: null, // the reading's id, filled in by the statement
    customerId: unit.customer_id,
    action: 'create',
    after: {
      storage_unit_id: unit.id,
      recorded_at: input.recorded_at,
      temperature: input.temperature,
      temperature_unit: input.temperature_unit,
      temperature_c: c,
      sensor_id: input.sensor_id,
      quality_score: input.quality_score,
      equipment_status: input.equipment_status,
    },
  });
  const id = await insertReadingAudited(
    ctx.db,
    {
      customerId: unit.customer_id,
      facilityId: unit.facility_id,
      unitId: unit.id,
      recordedAt: input.recorded_at,
      temperatureC: c,
      sourceValue: input.temperature,
      sourceUnit: input.temperature_unit,
      sensorId: input.sensor_id,
      qualityScore: input.quality_score,
      equipmentStatus: input.equipment_status,
    },
    entry,
  );
  if (!id) throw new AppError('CONFLICT', 'A reading for this storage unit at this recorded_at exists already');
  const row = await findReadingRow(ctx.db, id);
  return toReadingDto(row!, input.temperature_unit);
};
