import { recordAudit, requireReason } from '../audit/record.ts';
import { aggregateReadings } from '../db/analytics-repo.ts';
import { getConfigValue } from '../db/config-repo.ts';
import * as repo from '../db/fleet-repo.ts';
import type { FacilityInput, FleetScope, UnitInput, UnitRow } from '../db/fleet-repo.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FeatureContext } from '../readings/context.ts';
import { isOverdue, unitPeriodSeconds } from './feed.ts';
import { celsiusTo, fromCelsius, toCelsius, type TemperatureUnit } from '../domain/units.ts';

export type TemperatureStatus = 'normal' | 'warning' | 'critical' | 'offline' | 'unknown';

export interface DeviationLimits {
  warning: number;
  critical: number;
}

/** `max_temperature_deviation` from system_config, in °C (default warning 2, critical 5). */
export const deviationLimits = async (ctx: FeatureContext): Promise<DeviationLimits> => {
  const v = (await getConfigValue(ctx.db, 'max_temperature_deviation')) as
    Partial<DeviationLimits> | undefined;
  return {
    warning: typeof v?.warning === 'number' ? v.warning : 2,
    critical: typeof v?.critical === 'number' ? v.critical : 5,
  };
};

/** The newest reading is overdue by the rule of `/temperature/latest` (see fleet/feed.ts). */
const unitOverdue = (u: UnitRow, now: Date): boolean =>
  isOverdue(
    u.last_reading_time,
    unitPeriodSeconds(u.customer_frequency_seconds, u.data_frequency_seconds),
    now,
  );

/**
 * A unit's state from its newest reading: `unknown` without readings; `offline` when the newest is
 * overdue (older than 2 × the longer of its customer's collection period and its own reporting
 * period, + 5 min); `critical` outside its alarm limits or beyond the critical deviation from its
 * set point; `warning` beyond the warning deviation or for a failed sensor read; otherwise `normal`.
 */
const readingStatus = (u: UnitRow, limits: DeviationLimits, now: Date): TemperatureStatus => {
  if (!u.last_reading_time) return 'unknown';
  if (unitOverdue(u, now)) return 'offline';
  if (u.last_temperature_c === null) return 'warning';
  const own = fromCelsius(u.last_temperature_c, u.temperature_unit);
  if (u.alarm_low_limit !== null && own < u.alarm_low_limit) return 'critical';
  if (u.alarm_high_limit !== null && own > u.alarm_high_limit) return 'critical';
  const dev = Math.abs(u.last_temperature_c - toCelsius(u.set_temperature, u.temperature_unit));
  if (dev >= limits.critical) return 'critical';
  if (dev >= limits.warning) return 'warning';
  return 'normal';
};

/**
 * The reading's status raised by the unit's alarms whose condition still holds (acknowledged or
 * not): a critical alarm makes the unit `critical`; a warning alarm makes a `normal` (or `unknown`)
 * unit `warning`, but leaves `offline`, which says more.
 */
const temperatureStatus = (u: UnitRow, limits: DeviationLimits, now: Date): TemperatureStatus => {
  const status = readingStatus(u, limits, now);
  if (u.alarm_level === 2) return 'critical';
  if (u.alarm_level === 1 && (status === 'normal' || status === 'unknown')) return 'warning';
  return status;
};

const toUnitDto = (u: UnitRow, limits: DeviationLimits, now: Date) => {
  const current =
    u.last_temperature_c === null
      ? null
      : u.last_source_unit === u.temperature_unit && u.last_source_value !== null
        ? u.last_source_value
        : celsiusTo(u.last_temperature_c, u.temperature_unit);
  return {
    id: u.id,
    facility_id: u.facility_id,
    customer_id: u.customer_id,
    unit_code: u.unit_code,
    name: u.name,
    size_value: u.size_value,
    size_unit: u.size_unit,
    set_temperature: u.set_temperature,
    temperature_unit: u.temperature_unit,
    equipment_type: u.equipment_type,
    alarm_low_limit: u.alarm_low_limit,
    alarm_high_limit: u.alarm_high_limit,
    data_frequency_seconds: u.data_frequency_seconds,
    is_active: u.is_active,
    created_at: u.created_at,
    updated_at: u.updated_at,
    current_temperature: current,
    current_temperature_unit: u.last_reading_time ? u.temperature_unit : null,
    current_equipment_status: u.last_equipment_status,
    temperature_status: temperatureStatus(u, limits, now),
    overdue: unitOverdue(u, now),
    last_reading_time: u.last_reading_time,
    open_alarms: u.open_alarms,
    alarm_severity: (u.alarm_level === 2 ? 'critical' : u.alarm_level === 1 ? 'warning' : null) as
      'critical' | 'warning' | null,
  };
};

const facilityDto = (f: repo.FacilityRow) => ({
  id: f.id,
  customer_id: f.customer_id,
  facility_code: f.facility_code,
  name: f.name,
  city: f.city,
  country: f.country,
  latitude: f.latitude,
  longitude: f.longitude,
  created_at: f.created_at,
  updated_at: f.updated_at,
  unit_count: f.unit_count,
  customer_code: f.customer_code,
  customer_name: f.customer_name,
});

export const listFacilities = async (ctx: FeatureContext, s: FleetScope, limit: number, offset: number) => {
  const { rows, total } = await repo.listFacilities(ctx.db, s, limit, offset);
  return { items: rows.map(facilityDto), total };
};

export const getFacility = async (ctx: FeatureContext, id: string, s: FleetScope) => {
  const f = await repo.findFacility(ctx.db, id, s);
  if (!f) throw notFound('Facility');
  return facilityDto(f);
};

export const listUnits = async (
  ctx: FeatureContext,
  facilityId: string,
  s: FleetScope,
  limit: number,
  offset: number,
) => {
  await getFacility(ctx, facilityId, s);
  const [{ rows, total }, limits] = await Promise.all([
    repo.listUnits(ctx.db, facilityId, s, limit, offset),
    deviationLimits(ctx),
  ]);
  const now = ctx.clock.now();
  return { items: rows.map((u) => toUnitDto(u, limits, now)), total };
};

/** A facility with its units (up to 1,000) and all-time temperature figures (°C unless asked). */
export const getFacilityDetailed = async (
  ctx: FeatureContext,
  id: string,
  s: FleetScope,
  unit: TemperatureUnit = 'C',
) => {
  const facility = await getFacility(ctx, id, s);
  const [units, agg] = await Promise.all([
    listUnits(ctx, id, s, 1000, 0),
    aggregateReadings(ctx.db, { scope: { facilityId: id, unitIds: s.unitIds }, groupBy: [], tz: 'UTC' }),
  ]);
  const a = agg[0];
  const nonNull = a ? a.reading_count - a.null_count : 0;
  return {
    ...facility,
    units: units.items,
    unit_count: units.total,
    average_temperature: a && nonNull > 0 ? celsiusTo((a.sum_c ?? 0) / nonNull, unit) : null,
    min_temperature: celsiusTo(a?.min_c, unit),
    max_temperature: celsiusTo(a?.max_c, unit),
    temperature_unit: unit,
  };
};

export const getUnit = async (ctx: FeatureContext, id: string, s: FleetScope) => {
  const [u, limits] = await Promise.all([repo.findUnit(ctx.db, id, s), deviationLimits(ctx)]);
  if (!u) throw notFound('Storage unit');
  return toUnitDto(u, limits, ctx.clock.now());
};

/** 404 unless the facility is in the scope (no details loaded). */
export const assertFacility = async (ctx: FeatureContext, id: string, s: FleetScope): Promise<void> => {
  if (!(await repo.facilityVisible(ctx.db, id, s))) throw notFound('Facility');
};

/** 404 unless the storage unit is in the scope (no details loaded). */
export const assertUnit = async (ctx: FeatureContext, id: string, s: FleetScope): Promise<void> => {
  if (!(await repo.unitVisible(ctx.db, id, s))) throw notFound('Storage unit');
};

/**
 * Runs a read whose SQL is already confined to the scope and, only when it finds nothing, checks
 * that the facility/unit exists in the scope: an unknown or foreign id is still a 404, while a read
 * that finds data costs no extra query (the hot per-unit endpoints).
 */
export const readInScope = async <T>(
  ctx: FeatureContext,
  s: FleetScope,
  ids: { facilityId?: string; unitId?: string },
  read: () => Promise<T>,
  isEmpty: (result: T) => boolean,
): Promise<T> => {
  const result = await read();
  if (isEmpty(result)) {
    if (ids.facilityId) await assertFacility(ctx, ids.facilityId, s);
    if (ids.unitId) await assertUnit(ctx, ids.unitId, s);
  }
  return result;
};

const noUnitRestriction = (s: FleetScope): void => {
  if (s.unitIds && s.unitIds.length > 0)
    throw new AppError(
      'FORBIDDEN',
      'This token is limited to some storage units and cannot change facilities',
    );
};

/** Row columns the trail leaves out of a create (the id is the entry's entity id) and of updates. */
const CREATE_OMIT = ['id', 'created_at'];
const UPDATE_OMIT = ['created_at'];

export const createFacility = async (
  ctx: FeatureContext,
  customerId: string,
  s: FleetScope,
  input: FacilityInput,
) => {
  noUnitRestriction(s);
  const id = await ctx.db.transaction(async (tx) => {
    const created = await repo.insertFacility(tx, customerId, input);
    if (!created) throw new AppError('CONFLICT', `Facility code '${input.facility_code}' exists already`);
    await recordAudit(tx, {
      entityType: 'facility',
      entityId: created,
      customerId,
      action: 'create',
      after: await repo.findFacilityRow(tx, created),
      omit: CREATE_OMIT,
    });
    return created;
  });
  return getFacility(ctx, id, s);
};

export const updateFacility = async (
  ctx: FeatureContext,
  id: string,
  s: FleetScope,
  input: FacilityInput,
) => {
  await getFacility(ctx, id, s);
  noUnitRestriction(s);
  await ctx.db.transaction(async (tx) => {
    const before = await repo.lockFacilityRow(tx, id, s);
    if (!before) throw notFound('Facility');
    await repo.updateFacility(tx, id, s.customerId, input);
    await recordAudit(tx, {
      entityType: 'facility',
      entityId: id,
      customerId: before.customer_id as string,
      action: 'update',
      before,
      after: await repo.findFacilityRow(tx, id),
      omit: UPDATE_OMIT,
    });
  });
  return getFacility(ctx, id, s);
};

const checkLimits = (u: UnitInput, current?: { alarm_low_limit?: unknown; alarm_high_limit?: unknown }) => {
  const low = u.alarm_low_limit ?? current?.alarm_low_limit ?? null;
  const high = u.alarm_high_limit ?? current?.alarm_high_limit ?? null;
  if (low !== null && high !== null && (low as number) >= (high as number))
    throw new AppError('VALIDATION', 'alarm_low_limit must be below alarm_high_limit');
};

/**
 * The fields whose change is a limit change, which needs a reason (21 CFR 11): the alarm limits,
 * the set point, and the temperature unit, which gives those numbers their meaning.
 */
export const LIMIT_FIELDS = [
  'alarm_low_limit',
  'alarm_high_limit',
  'set_temperature',
  'temperature_unit',
] as const;

/** Whether the update sets a limit field to another value (null and absent fields are left as they are). */
const changesLimits = (input: UnitInput, before: Record<string, unknown>): boolean =>
  LIMIT_FIELDS.some((k) => input[k] !== undefined && input[k] !== null && input[k] !== before[k]);

export const createUnit = async (
  ctx: FeatureContext,
  facilityId: string,
  s: FleetScope,
  input: UnitInput,
) => {
  const facility = await getFacility(ctx, facilityId, s);
  noUnitRestriction(s);
  checkLimits(input);
  const id = await ctx.db.transaction(async (tx) => {
    const created = await repo.insertUnit(tx, facility, input);
    if (!created)
      throw new AppError('CONFLICT', `Unit code '${input.unit_code}' exists already in this facility`);
    await recordAudit(tx, {
      entityType: 'storage_unit',
      entityId: created,
      customerId: facility.customer_id,
      action: 'create',
      after: await repo.findUnitRow(tx, created),
      omit: CREATE_OMIT,
    });
    return created;
  });
  return getUnit(ctx, id, s);
};

/**
 * Updates a unit on its locked row. A limit change (LIMIT_FIELDS) without a reason is refused
 * (422) before anything changes, unless the setting `require_change_reason` is off.
 */
export const updateUnit = async (ctx: FeatureContext, id: string, s: FleetScope, input: UnitInput) => {
  await ctx.db.transaction(async (tx) => {
    const before = await repo.lockUnitRow(tx, id, s);
    if (!before) throw notFound('Storage unit');
    checkLimits(input, before);
    const limitChange = changesLimits(input, before);
    if (limitChange) requireReason("a change of a unit's alarm limits, set point or temperature unit");
    await repo.updateUnit(tx, id, s, input);
    await recordAudit(tx, {
      entityType: 'storage_unit',
      entityId: id,
      customerId: before.customer_id as string,
      action: 'update',
      before,
      after: await repo.findUnitRow(tx, id),
      omit: UPDATE_OMIT,
      reasonRequired: limitChange,
    });
  });
  return getUnit(ctx, id, s);
};
