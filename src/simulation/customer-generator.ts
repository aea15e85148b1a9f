import { stringify } from 'yaml';
import { AppError } from '../lib/errors.ts';
import type { DataQuality, Fleet, FleetCustomer, FleetFacility, FleetUnit } from '../domain/fleet.ts';
import { createRng, type Rng } from './random.ts';
import {
  DEFAULT_DISTRIBUTION,
  TEMPLATE_NAMES,
  TEMPLATES,
  isTemplateName,
  type CustomerTemplate,
  type TemplateName,
} from './templates.ts';

// Customer generation (seed-system.md §4.2), seeded so that the same seed gives the same fleet.

export type TemplateDistribution = Readonly<Record<TemplateName, number>>;

/** Bulk ids: A…Z, then CUST_27, CUST_28, … (the prototype's scheme). */
export const customerIdAt = (index: number): string =>
  index < 26 ? String.fromCharCode(65 + index) : `CUST_${index + 1}`;

const fill = (pattern: string | null, n: number | string): string | null =>
  pattern === null ? null : pattern.replace('{id}', String(n));

const randint = (rng: Rng, [min, max]: readonly [number, number]): number => rng.int(min, max);

/** Same rule as fleet.ts: API customers are polled, CSV customers fetched every update period. */
const collectEverySeconds = (c: Pick<FleetCustomer, 'method' | 'dataConfig'>): number => {
  const minutes =
    c.method === 'api'
      ? c.dataConfig.api_polling_frequency_minutes
      : c.dataConfig.csv_update_frequency_minutes;
  return typeof minutes === 'number' && minutes > 0 ? Math.round(minutes * 60) : 300;
};

/** One customer from a template; `rng` carries the draws, so a seed reproduces it. */
export const generateCustomer = (id: string, templateName: TemplateName, rng: Rng): FleetCustomer => {
  const t: CustomerTemplate = TEMPLATES[templateName];
  const uq = t.unit.dataQuality;
  const dataConfig: Record<string, number | string> =
    t.method === 'csv'
      ? {
          csv_download_frequency_hours: randint(rng, t.csvDownloadFrequencyHours),
          csv_update_frequency_minutes: randint(rng, t.csvUpdateFrequencyMinutes),
          data_sharing_method: 'csv',
        }
      : {
          api_polling_frequency_minutes: randint(rng, t.apiPollingFrequencyMinutes),
          data_sharing_method: 'api',
        };
  const facilityCount = randint(rng, t.facilitiesRange);
  const facilities: FleetFacility[] = [];
  for (let k = 1; k <= facilityCount; k++) {
    const location = rng.pick(t.locationPool);
    // The prototype applies the unit template's null probabilities to facilities too.
    const name = rng.next() < uq.nullNameProbability ? null : fill(t.facilityNamePattern, k);
    const city = rng.next() < uq.nullLocationProbability ? null : location.city;
    const unitCount = randint(rng, t.unitsPerFacilityRange);
    const units: FleetUnit[] = [];
    for (let m = 1; m <= unitCount; m++) {
      units.push({
        code: `unit_${id}_${k}_${m}`,
        name: rng.next() < uq.nullNameProbability ? null : fill(t.unit.namePattern, m),
        size: randint(rng, t.unit.sizeRange),
        sizeUnit: t.unit.sizeUnit,
        setTemperature: Math.round(rng.uniform(t.unit.setPointRange[0], t.unit.setPointRange[1]) * 10) / 10,
        temperatureUnit: t.unit.temperatureUnit,
        dataFrequencySeconds: randint(rng, t.unit.dataFrequencySecondsRange),
        dataQuality: { ...uq },
      });
    }
    facilities.push({ code: `facility_${id}_${k}`, name, city, country: location.country, units });
  }
  const customer = {
    code: id,
    name: fill(t.namePattern, id) as string,
    method: t.method,
    dataConfig,
    dataQuality: { ...t.dataQuality },
    facilities,
  };
  return { ...customer, collectEverySeconds: collectEverySeconds(customer) };
};

/**
 * Parses a template distribution given as JSON (`{"pharmaceutical":0.5,"industrial":0.5}`); missing
 * templates get weight 0.
 * @throws AppError VALIDATION on bad JSON, unknown templates, negative weights or an all-zero mix.
 */
export const parseDistribution = (json: string): TemplateDistribution => {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new AppError('VALIDATION', `template distribution is not valid JSON: ${json}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AppError('VALIDATION', 'template distribution must be a JSON object of template → weight');
  }
  const out: Record<TemplateName, number> = {
    pharmaceutical: 0,
    food_storage: 0,
    small_business: 0,
    industrial: 0,
  };
  for (const [k, v] of Object.entries(raw)) {
    if (!isTemplateName(k))
      throw new AppError('VALIDATION', `unknown template '${k}' (templates: ${TEMPLATE_NAMES.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new AppError('VALIDATION', `weight of '${k}' must be a non-negative number`);
    }
    out[k] = v;
  }
  if (Object.values(out).every((w) => w === 0))
    throw new AppError('VALIDATION', 'template distribution has no weight');
  return out;
};

const pickTemplate = (rng: Rng, distribution: TemplateDistribution): TemplateName => {
  const total = TEMPLATE_NAMES.reduce((s, n) => s + distribution[n], 0);
  let r = rng.next() * total;
  for (const n of TEMPLATE_NAMES) {
    r -= distribution[n];
    if (r < 0) return n;
  }
  return TEMPLATE_NAMES.filter((n) => distribution[n] > 0).at(-1) as TemplateName;
};

export interface GenerateCustomersInput {
  count: number;
  seed: string;
  distribution?: TemplateDistribution;
}

/** Bulk generation with templates drawn from the distribution (default: the prototype's mix). */
export const generateCustomers = ({
  count,
  seed,
  distribution = DEFAULT_DISTRIBUTION,
}: GenerateCustomersInput): Fleet => {
  if (!Number.isInteger(count) || count < 1)
    throw new AppError('VALIDATION', `count must be a positive integer, got ${count}`);
  const rng = createRng(`customers:${seed}`);
  const customers: FleetCustomer[] = [];
  for (let i = 0; i < count; i++) {
    const id = customerIdAt(i);
    customers.push(generateCustomer(id, pickTemplate(rng, distribution), rng));
  }
  return { customers };
};

export interface SyntheticFleetInput {
  customers: number;
  unitsPerCustomer: number;
  seed: string;
}

/**
 * A large fleet for load tests: templates in rotation (so both methods appear), a fixed number of units
 * per customer spread over facilities of at most 10 units.
 */
export const generateSyntheticFleet = ({ customers, unitsPerCustomer, seed }: SyntheticFleetInput): Fleet => {
  if (!Number.isInteger(customers) || customers < 1)
    throw new AppError('VALIDATION', 'customers must be a positive integer');
  if (!Number.isInteger(unitsPerCustomer) || unitsPerCustomer < 1) {
    throw new AppError('VALIDATION', 'units per customer must be a positive integer');
  }
  const rng = createRng(`synthetic:${seed}`);
  const out: FleetCustomer[] = [];
  for (let i = 0; i < customers; i++) {
    const id = customerIdAt(i);
    const template = TEMPLATES[TEMPLATE_NAMES[i % TEMPLATE_NAMES.length] as TemplateName];
    const base = generateCustomer(id, template.name, rng);
    const facilities: FleetFacility[] = [];
    const facilityCount = Math.ceil(unitsPerCustomer / 10);
    for (let k = 1; k <= facilityCount; k++) {
      const location = rng.pick(template.locationPool);
      const n = Math.min(10, unitsPerCustomer - (k - 1) * 10);
      const units: FleetUnit[] = [];
      for (let m = 1; m <= n; m++) {
        const u = template.unit;
        units.push({
          code: `unit_${id}_${k}_${m}`,
          name: fill(u.namePattern, m),
          size: randint(rng, u.sizeRange),
          sizeUnit: u.sizeUnit,
          setTemperature: Math.round(rng.uniform(u.setPointRange[0], u.setPointRange[1]) * 10) / 10,
          temperatureUnit: u.temperatureUnit,
          dataFrequencySeconds: randint(rng, u.dataFrequencySecondsRange),
          dataQuality: { ...u.dataQuality },
        });
      }
      facilities.push({
        code: `facility_${id}_${k}`,
        name: fill(template.facilityNamePattern, k),
        city: location.city,
        country: location.country,
        units,
      });
    }
    out.push({ ...base, facilities });
  }
  return { customers: out };
};

const qualityToYaml = (q: DataQuality): Record<string, unknown> => ({
  equipment_reliability: q.equipmentReliability,
  null_location_probability: q.nullLocationProbability,
  null_name_probability: q.nullNameProbability,
  null_reading_probability: q.nullReadingProbability,
  sensor_drift_factor: q.sensorDriftFactor,
  timestamp_jitter_seconds: q.timestampJitterSeconds,
});

/** The prototype's `export_to_yaml` layout, readable back by `parseFleet`. */
export const fleetToYaml = (fleet: Fleet): string => {
  const customers: Record<string, unknown> = {};
  for (const c of fleet.customers) {
    customers[c.code] = {
      data_config: c.dataConfig,
      data_quality: qualityToYaml(c.dataQuality),
      data_sharing_method: c.method,
      facilities: c.facilities.map((f) => ({
        city: f.city,
        country: f.country,
        id: f.code,
        name: f.name,
        units: f.units.map((u) => ({
          data_frequency: u.dataFrequencySeconds,
          data_quality: qualityToYaml(u.dataQuality),
          id: u.code,
          name: u.name,
          set_temperature: u.setTemperature,
          size: u.size,
          size_unit: u.sizeUnit,
          temperature_unit: u.temperatureUnit,
        })),
      })),
      name: c.name,
    };
  }
  return stringify({ customers }, { lineWidth: 0 });
};
