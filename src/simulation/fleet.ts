import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { DataQuality, DataSharingMethod, Fleet, FleetUnit } from '../domain/fleet.ts';
import { AppError } from '../lib/errors.ts';

export const DEFAULT_FLEET_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fleets',
  'default-fleet.yaml',
);

type Raw = Record<string, unknown>;

const num = (v: unknown, where: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new AppError('VALIDATION', `${where}: expected a number`);
  return v;
};
const str = (v: unknown, where: string): string => {
  if (typeof v !== 'string' || v === '') throw new AppError('VALIDATION', `${where}: expected a string`);
  return v;
};
const optStr = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const optNum = (v: unknown, where: string): number | undefined =>
  v === undefined || v === null ? undefined : num(v, where);
const oneOf = <T extends string>(v: unknown, allowed: readonly T[], where: string): T => {
  if (!allowed.includes(v as T))
    throw new AppError('VALIDATION', `${where}: expected one of ${allowed.join(', ')}`);
  return v as T;
};

const parseQuality = (raw: unknown): DataQuality => {
  const q = (raw ?? {}) as Raw;
  return {
    nullReadingProbability:
      typeof q.null_reading_probability === 'number' ? q.null_reading_probability : 0.001,
    nullNameProbability: typeof q.null_name_probability === 'number' ? q.null_name_probability : 0,
    nullLocationProbability:
      typeof q.null_location_probability === 'number' ? q.null_location_probability : 0,
    sensorDriftFactor: typeof q.sensor_drift_factor === 'number' ? q.sensor_drift_factor : 1,
    equipmentReliability: oneOf(
      q.equipment_reliability ?? 'high',
      ['high', 'medium', 'low', 'faulty'],
      'equipment_reliability',
    ),
    timestampJitterSeconds: typeof q.timestamp_jitter_seconds === 'number' ? q.timestamp_jitter_seconds : 0,
  };
};

/** Collection period: API customers are polled every api_polling_frequency_minutes, CSV customers fetched every csv_update_frequency_minutes. */
const collectEvery = (method: DataSharingMethod, cfg: Raw): number => {
  const minutes = method === 'api' ? cfg.api_polling_frequency_minutes : cfg.csv_update_frequency_minutes;
  return typeof minutes === 'number' && minutes > 0 ? Math.round(minutes * 60) : 300;
};

/** The fields this project adds to the prototype's unit layout; absent keys stay absent. */
const optionalUnitFields = (u: Raw, where: string): Partial<FleetUnit> => {
  const out: Partial<FleetUnit> = {};
  const type = optStr(u.equipment_type);
  if (type) out.equipmentType = type;
  const low = optNum(u.alarm_low_limit, `${where}.alarm_low_limit`);
  const high = optNum(u.alarm_high_limit, `${where}.alarm_high_limit`);
  if (low !== undefined) out.alarmLowLimit = low;
  if (high !== undefined) out.alarmHighLimit = high;
  if (low !== undefined && high !== undefined && low >= high)
    throw new AppError('VALIDATION', `${where}: alarm_low_limit must be below alarm_high_limit`);
  return out;
};

/**
 * Parses a fleet in the prototype's YAML layout (`customers: {A: {name, data_sharing_method, data_config, facilities: […]}}`).
 * @throws AppError VALIDATION naming the bad field.
 */
export const parseFleet = (text: string): Fleet => {
  const doc = parse(text) as Raw | null;
  const customers = (doc?.customers ?? null) as Raw | null;
  if (!customers || typeof customers !== 'object')
    throw new AppError('VALIDATION', 'fleet: no customers map');
  return {
    customers: Object.entries(customers).map(([code, rawC]) => {
      const c = rawC as Raw;
      const method = oneOf(
        c.data_sharing_method,
        ['api', 'csv'] as const,
        `customer ${code}.data_sharing_method`,
      );
      const dataConfig = (c.data_config ?? {}) as Record<string, number | string>;
      return {
        code,
        name: str(c.name, `customer ${code}.name`),
        method,
        collectEverySeconds: collectEvery(method, dataConfig as Raw),
        dataConfig,
        dataQuality: parseQuality(c.data_quality),
        facilities: ((c.facilities ?? []) as Raw[]).map((f, fi) => {
          const fcode = str(f.id, `customer ${code} facility ${fi + 1}.id`);
          return {
            code: fcode,
            name: optStr(f.name),
            city: optStr(f.city),
            country: optStr(f.country),
            units: ((f.units ?? []) as Raw[]).map((u, ui) => {
              const where = `${fcode} unit ${ui + 1}`;
              return {
                code: str(u.id, `${where}.id`),
                name: optStr(u.name),
                size: num(u.size, `${where}.size`),
                sizeUnit: oneOf(u.size_unit, ['sqm', 'sqft'] as const, `${where}.size_unit`),
                setTemperature: num(u.set_temperature, `${where}.set_temperature`),
                temperatureUnit: oneOf(u.temperature_unit, ['C', 'F'] as const, `${where}.temperature_unit`),
                dataFrequencySeconds: num(u.data_frequency, `${where}.data_frequency`),
                dataQuality: parseQuality(u.data_quality),
                ...optionalUnitFields(u, where),
              };
            }),
          };
        }),
      };
    }),
  };
};

/** Loads a fleet file (default: the prototype's 10 customers plus two vaccine refrigerators: 96 units). */
export const loadFleet = async (file = DEFAULT_FLEET_FILE): Promise<Fleet> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AppError(
      'NOT_FOUND',
      `Fleet file ${file} cannot be read (${(e as NodeJS.ErrnoException).code})`,
    );
  }
  return parseFleet(text);
};
