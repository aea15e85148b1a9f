import { degreesPerCelsius } from '../domain/units.ts';
import { AppError } from '../lib/errors.ts';
import type { FleetCustomer, FleetUnit } from '../domain/fleet.ts';
import { customerReadings } from './reading-generator.ts';
import { DEFAULT_DATA_QUALITY } from './templates.ts';

// The two "assignment" customers (seed-system.md §4.7), exact. Their codes are lower-case
// (facility_a_1), and A is CSV / B is API — the opposite of fleet customers A and B.

export type AssignmentId = 'A' | 'B';

const unitB = (n: number, name: string, size: number, setTemperature: number): FleetUnit => ({
  code: `unit_b_${n}`,
  name,
  size,
  sizeUnit: 'sqft',
  setTemperature,
  temperatureUnit: 'F',
  dataFrequencySeconds: 900,
  dataQuality: { ...DEFAULT_DATA_QUALITY, nullReadingProbability: 0.0005, equipmentReliability: 'high' },
});

/** @throws AppError VALIDATION for any id other than A or B (as the prototype's ValueError). */
export const assignmentCustomer = (id: string): FleetCustomer => {
  if (id === 'A') {
    return {
      code: 'A',
      name: 'Customer A',
      method: 'csv',
      collectEverySeconds: 300,
      dataConfig: {
        csv_download_frequency_hours: 24,
        csv_update_frequency_minutes: 5,
        data_sharing_method: 'csv',
      },
      dataQuality: { ...DEFAULT_DATA_QUALITY, nullReadingProbability: 0.001, equipmentReliability: 'medium' },
      facilities: [
        {
          code: 'facility_a_1',
          name: null,
          city: null,
          country: 'England',
          units: [
            {
              code: 'unit_a_1',
              name: null,
              size: 930,
              sizeUnit: 'sqm',
              setTemperature: -20,
              temperatureUnit: 'C',
              dataFrequencySeconds: 300,
              dataQuality: {
                ...DEFAULT_DATA_QUALITY,
                nullReadingProbability: 0.001,
                equipmentReliability: 'medium',
              },
            },
          ],
        },
      ],
    };
  }
  if (id === 'B') {
    return {
      code: 'B',
      name: 'Customer B',
      method: 'api',
      collectEverySeconds: 900,
      dataConfig: { api_polling_frequency_minutes: 15, data_sharing_method: 'api' },
      dataQuality: { ...DEFAULT_DATA_QUALITY, nullReadingProbability: 0.0005, equipmentReliability: 'high' },
      facilities: [
        {
          code: 'facility_b_1',
          name: null,
          city: 'Manchester',
          country: 'England',
          units: [
            unitB(1, 'Deep Freeze 1', 50000, 0),
            unitB(2, 'Chilled Room 1', 10000, 0),
            unitB(3, 'Chilled Room 2', 5000, 45),
          ],
        },
      ],
    };
  }
  throw new AppError('VALIDATION', `Assignment customer '${id}' not supported. Use 'A' or 'B'.`);
};

export interface AssignmentCheck {
  customer: AssignmentId;
  check: string;
  expected: unknown;
  actual: unknown;
  ok: boolean;
}

interface ExpectedUnit {
  code: string;
  name: string | null;
  size: number;
  sizeUnit: 'sqm' | 'sqft';
  setTemperature: number;
  temperatureUnit: 'C' | 'F';
  frequencySeconds: number;
  nullReadingProbability: number;
  reliability: string;
}

interface ExpectedCustomer {
  name: string;
  method: 'csv' | 'api';
  dataConfig: Record<string, number>;
  facility: { code: string; name: null; city: string | null; country: string };
  units: ExpectedUnit[];
}

const EXPECTED: Record<AssignmentId, ExpectedCustomer> = {
  A: {
    name: 'Customer A',
    method: 'csv',
    dataConfig: { csv_download_frequency_hours: 24, csv_update_frequency_minutes: 5 },
    facility: { code: 'facility_a_1', name: null, city: null, country: 'England' },
    units: [
      {
        code: 'unit_a_1',
        name: null,
        size: 930,
        sizeUnit: 'sqm',
        setTemperature: -20,
        temperatureUnit: 'C',
        frequencySeconds: 300,
        nullReadingProbability: 0.001,
        reliability: 'medium',
      },
    ],
  },
  B: {
    name: 'Customer B',
    method: 'api',
    dataConfig: { api_polling_frequency_minutes: 15 },
    facility: { code: 'facility_b_1', name: null, city: 'Manchester', country: 'England' },
    units: [
      ['unit_b_1', 'Deep Freeze 1', 50000, 0],
      ['unit_b_2', 'Chilled Room 1', 10000, 0],
      ['unit_b_3', 'Chilled Room 2', 5000, 45],
    ].map(([code, name, size, setTemperature]) => ({
      code: code as string,
      name: name as string,
      size: size as number,
      sizeUnit: 'sqft' as const,
      setTemperature: setTemperature as number,
      temperatureUnit: 'F' as const,
      frequencySeconds: 900,
      nullReadingProbability: 0.0005,
      reliability: 'high',
    })),
  },
};

const HOURS_CHECKED = 24;

/**
 * Checks the assignment customers against the requirements: their definition (names, method, sizes,
 * set points, units, cadence) and 24 h of their generated data (one reading per unit every
 * `frequency` seconds, in the unit's temperature unit, within −15/+20 °C of the expected set point).
 */
export const validateAssignment = (
  customers: Record<AssignmentId, FleetCustomer>,
  { seed, nowMs }: { seed: string; nowMs: number },
): AssignmentCheck[] => {
  const checks: AssignmentCheck[] = [];
  for (const id of ['A', 'B'] as const) {
    const c = customers[id];
    const exp = EXPECTED[id];
    const add = (check: string, expected: unknown, actual: unknown): void => {
      checks.push({ customer: id, check, expected, actual, ok: Object.is(expected, actual) });
    };
    add('name', exp.name, c.name);
    add('data sharing method', exp.method, c.method);
    for (const [k, v] of Object.entries(exp.dataConfig)) add(k, v, c.dataConfig[k]);
    add('facility count', 1, c.facilities.length);
    const f = c.facilities[0];
    add('facility code', exp.facility.code, f?.code);
    add('facility name', exp.facility.name, f?.name);
    add('facility city', exp.facility.city, f?.city);
    add('facility country', exp.facility.country, f?.country);
    add('unit count', exp.units.length, f?.units.length);
    exp.units.forEach((eu, i) => {
      const u = f?.units[i];
      const at = `unit ${i + 1}`;
      add(`${at} code`, eu.code, u?.code);
      add(`${at} name`, eu.name, u?.name);
      add(`${at} size`, eu.size, u?.size);
      add(`${at} size unit`, eu.sizeUnit, u?.sizeUnit);
      add(`${at} set temperature`, eu.setTemperature, u?.setTemperature);
      add(`${at} temperature unit`, eu.temperatureUnit, u?.temperatureUnit);
      add(`${at} reading every (s)`, eu.frequencySeconds, u?.dataFrequencySeconds);
      add(`${at} null reading probability`, eu.nullReadingProbability, u?.dataQuality.nullReadingProbability);
      add(`${at} reliability`, eu.reliability, u?.dataQuality.equipmentReliability);
    });
    if (!f) continue;
    // The data itself: what an importer of this customer would actually receive.
    const readings = customerReadings({
      seed,
      customer: c,
      fromMs: nowMs - HOURS_CHECKED * 3_600_000,
      toMs: nowMs,
    });
    exp.units.forEach((eu, i) => {
      const u = f.units[i];
      if (!u) return;
      const own = readings.filter((r) => r.unit_id === u.code);
      const at = `unit ${i + 1} data`;
      add(`${at}: readings in ${HOURS_CHECKED} h`, (HOURS_CHECKED * 3600) / eu.frequencySeconds, own.length);
      const gaps = new Set(
        own
          .slice(1)
          .map((r, j) => (Date.parse(r.timestamp) - Date.parse((own[j] as typeof r).timestamp)) / 1000),
      );
      add(`${at}: interval (s)`, eu.frequencySeconds, gaps.size === 1 ? [...gaps][0] : [...gaps].join('/'));
      add(
        `${at}: temperature unit`,
        eu.temperatureUnit,
        [...new Set(own.map((r) => r.temperature_unit))].join('/'),
      );
      const scale = degreesPerCelsius(eu.temperatureUnit);
      const far = own.filter(
        (r) =>
          r.temperature !== null &&
          (r.temperature < eu.setTemperature - 15 * scale || r.temperature > eu.setTemperature + 20 * scale),
      );
      add(`${at}: readings outside set point −15/+20 °C`, 0, far.length);
    });
  }
  return checks;
};
