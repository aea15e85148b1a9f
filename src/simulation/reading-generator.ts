import { round4, type TemperatureUnit } from '../domain/units.ts';
import type { FleetCustomer, FleetFacility, FleetUnit } from '../domain/fleet.ts';
import { approxNormal, hashIndex } from './random.ts';

// The readings of the unit model (unit-model.ts). A unit's value at a time is a pure function of
// (seed, unit, time), so any window (and any process) reproduces exactly the same readings for the
// timestamps it shares: noise, failed reads and quality are hashed from the reading's index too.

/** One reading, with the prototype's keys in the prototype's order (seed-system.md §4.4). */
export interface SimReading {
  customer_id: string;
  facility_id: string;
  unit_id: string;
  unit_name: string | null;
  temperature: number | null;
  temperature_unit: TemperatureUnit;
  /** ISO 8601 UTC with `Z`. */
  timestamp: string;
  sensor_id: string;
  set_temperature: number;
  size: number;
  size_unit: 'sqm' | 'sqft';
  city: string | null;
  country: string | null;
  quality_score: number;
}

/** An excursion injected into a running simulator; part of the deterministic timeline from its start. */
export interface InjectedFault {
  unitCode: string;
  startMs: number;
  durationMs: number;
  /** Peak offset from the normal value, in the unit's own temperature unit. */
  delta: number;
}

import { compileUnit, DAY_S, excursion, physicsC, type UnitModel } from './unit-model.ts';

/** Per-unit envelope, in °C around the set point: the prototype's clamp (°F ones are this ×1.8). */
const ENVELOPE_LOW_C = -15;
const ENVELOPE_HIGH_C = 20;

// `|| 0` turns -0 into 0: JSON and CSV write both as 0, so ground truth must not hold -0.
const round2 = (v: number): number => Math.round(v * 100) / 100 || 0;

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let timeOfDay: string[] | undefined;

/**
 * `Date.toISOString()` for whole seconds: the date part cached per day, the time part from a table of
 * the day's 86,400 seconds. Formatting dominated the generator's cost; the output is identical
 * (asserted in the tests).
 */
const createIsoFormatter = (): ((tS: number) => string) => {
  timeOfDay ??= Array.from(
    { length: DAY_S },
    (_, s) =>
      `${TWO_DIGITS[Math.floor(s / 3600)]}:${TWO_DIGITS[Math.floor(s / 60) % 60]}:${TWO_DIGITS[s % 60]}.000Z`,
  );
  const table = timeOfDay;
  let dayStartS = NaN;
  let prefix = '';
  return (tS) => {
    let s = tS - dayStartS;
    if (!(s >= 0 && s < DAY_S)) {
      dayStartS = Math.floor(tS / DAY_S) * DAY_S;
      prefix = new Date(dayStartS * 1000).toISOString().slice(0, 11);
      s = tS - dayStartS;
    }
    return prefix + table[s];
  };
};

/** Index of the first reading at or after fromMs, and one past the last before toMs (half-open window). */
const readingIndexRange = (m: UnitModel, fromMs: number, toMs: number): [number, number] => {
  const first = Math.ceil((fromMs / 1000 - m.phaseS) / m.freqS);
  const end = Math.ceil((toMs / 1000 - m.phaseS) / m.freqS);
  return [first, Math.max(first, end)];
};

/**
 * Readings of one compiled unit with timestamps in [fromMs, toMs). `faults` may hold faults of other
 * units; only this unit's are applied.
 */
const modelReadings = (
  m: UnitModel,
  fromMs: number,
  toMs: number,
  faults: readonly InjectedFault[] = [],
): SimReading[] => {
  const { customer, facility, unit } = m;
  const own = faults.filter((f) => f.unitCode === unit.code);
  const [first, end] = readingIndexRange(m, fromMs, toMs);
  const out: SimReading[] = new Array(end - first);
  const set = unit.setTemperature;
  const lo = set + ENVELOPE_LOW_C * m.scale;
  const hi = set + ENVELOPE_HIGH_C * m.scale;
  const nullCut = m.nullProbability * 4294967296;
  const iso = createIsoFormatter();
  for (let k = first; k < end; k++) {
    const t = k * m.freqS + m.phaseS;
    const hNull = hashIndex(m.keyNull, k);
    let temperature: number | null = null;
    let quality = 0;
    if (hNull >= nullCut) {
      let v = set + (physicsC(m, t) + m.noiseSigmaC * approxNormal(hashIndex(m.keyNoise, k))) * m.scale;
      for (const f of own) {
        const durationS = f.durationMs / 1000;
        v += excursion(t - f.startMs / 1000, durationS, f.delta, Math.min(300, durationS / 3), 600);
      }
      v = v < lo ? lo : v > hi ? hi : v;
      temperature = round2(v);
      const devC = Math.abs(v - set) / m.scale;
      let q = m.qualityBase * (devC > 10 ? 0.7 : devC > 5 ? 0.85 : devC > 2 ? 0.95 : 1);
      q += ((hNull >>> 16) / 65536 - 0.5) * 0.04;
      quality = round4(q < 0 ? 0 : q > 1 ? 1 : q);
    }
    out[k - first] = {
      customer_id: customer.code,
      facility_id: facility.code,
      unit_id: unit.code,
      unit_name: unit.name,
      temperature,
      temperature_unit: unit.temperatureUnit,
      timestamp: iso(t),
      sensor_id: m.sensorId,
      set_temperature: set,
      size: unit.size,
      size_unit: unit.sizeUnit,
      city: facility.city,
      country: facility.country,
      quality_score: quality,
    };
  }
  return out;
};

const modelCache = new WeakMap<FleetUnit, Map<string, UnitModel>>();

/** compileUnit with a per-unit cache, so servers and verifiers don't rebuild models on every request. */
const unitModel = (
  seed: string,
  customer: FleetCustomer,
  facility: FleetFacility,
  unit: FleetUnit,
): UnitModel => {
  let bySeed = modelCache.get(unit);
  if (!bySeed) modelCache.set(unit, (bySeed = new Map()));
  let m = bySeed.get(seed);
  if (!m || m.customer !== customer || m.facility !== facility)
    bySeed.set(seed, (m = compileUnit(seed, customer, facility, unit)));
  return m;
};

export interface UnitReadingsInput {
  seed: string;
  customer: FleetCustomer;
  facility: FleetFacility;
  unit: FleetUnit;
  /** Window start, inclusive (epoch ms). */
  fromMs: number;
  /** Window end, exclusive (epoch ms). */
  toMs: number;
  faults?: readonly InjectedFault[];
}

/** Ground truth for one unit: exactly the readings a mock server serves for this window. */
export const unitReadings = ({
  seed,
  customer,
  facility,
  unit,
  fromMs,
  toMs,
  faults,
}: UnitReadingsInput): SimReading[] =>
  modelReadings(unitModel(seed, customer, facility, unit), fromMs, toMs, faults);

export interface CustomerReadingsInput {
  seed: string;
  customer: FleetCustomer;
  fromMs: number;
  toMs: number;
  faults?: readonly InjectedFault[];
}

/** Ground truth for a customer: every unit's readings in the window, by timestamp, then fleet order. */
export const customerReadings = ({
  seed,
  customer,
  fromMs,
  toMs,
  faults,
}: CustomerReadingsInput): SimReading[] => {
  const all: SimReading[] = [];
  for (const facility of customer.facilities) {
    for (const unit of facility.units) {
      for (const r of unitReadings({ seed, customer, facility, unit, fromMs, toMs, faults })) all.push(r);
    }
  }
  // ISO strings of one format sort like their instants; sort is stable, so ties keep fleet order.
  return all.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
};
