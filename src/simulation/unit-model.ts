import { degreesPerCelsius, toCelsius } from '../domain/units.ts';
import type { FleetCustomer, FleetFacility, FleetUnit, Reliability } from '../domain/fleet.ts';
import { approxNormal, hashIndex, hashString, mix32, subKey, unitFloat } from './random.ts';

// A unit's physics, derived once from (seed, unit): compressor cycles, daily load, sensor drift, door
// openings, defrost and rare faults, each periodic or hashed from a time index (no stateful RNG), so
// the value at any time is reproducible in any window and any process. reading-generator.ts turns it
// into readings.

const SQFT_TO_SQM = 0.092903;
export const DAY_S = 86_400;
const DOOR_SLOT_S = 900;
/** Door spikes decay with τ ≤ 8 min, so three earlier slots cover more than five time constants. */
const DOOR_LOOKBACK_SLOTS = 3;
const FAULT_BLOCK_S = 21_600;
/** Faults last ≤ 4 h and recover within 3 h, so events from two earlier blocks can still be felt. */
const FAULT_LOOKBACK_BLOCKS = 2;
const DRIFT_KNOT_S = 21_600;

const SALT = {
  phase: 1,
  shape: 2,
  noise: 3,
  nul: 4,
  drift: 5,
  door: 6,
  defrost: 7,
  fault: 8,
  sensor: 9,
} as const;

const QUALITY_BASE: Record<Reliability, number> = { high: 0.95, medium: 0.85, low: 0.75, faulty: 0.65 };
/** Chance of a spontaneous fault per 6-hour block: about one a month for a medium unit. */
const FAULT_PROBABILITY: Record<Reliability, number> = {
  high: 0.004,
  medium: 0.008,
  low: 0.016,
  faulty: 0.05,
};

/** Everything about a unit the hot loop needs, derived once from (seed, unit). Temperatures in °C deltas. */
export interface UnitModel {
  readonly customer: FleetCustomer;
  readonly facility: FleetFacility;
  readonly unit: FleetUnit;
  readonly freqS: number;
  /** Reading times are k·freqS + phaseS seconds since the epoch. */
  readonly phaseS: number;
  /** Native degrees per °C: 1.8 for °F units, so the physics is written once in °C. */
  readonly scale: number;
  readonly keyNoise: number;
  readonly keyNull: number;
  readonly keyDrift: number;
  readonly keyDoor: number;
  readonly keyFault: number;
  readonly nullProbability: number;
  readonly qualityBase: number;
  readonly compressorPeriodS: number;
  readonly compressorPhase: number;
  readonly compressorDuty: number;
  readonly compressorAmpC: number;
  readonly dailyAmpC: number;
  readonly driftSigmaC: number;
  readonly noiseSigmaC: number;
  readonly doorDayP: number;
  readonly doorNightP: number;
  readonly doorInertia: number;
  /** 0 = no automatic defrost (chillers and ultra-low freezers). */
  readonly defrostAmpC: number;
  readonly defrostPeriodS: number;
  readonly defrostPhaseS: number;
  readonly defrostDurationS: number;
  readonly faultProbability: number;
  readonly sensorId: string;
}

const byte = (h: number, i: number): number => ((h >>> (8 * i)) & 0xff) / 255;

/** Derives the unit's constants. The unit key covers the customer too, so equal unit codes never share. */
export const compileUnit = (
  seed: string,
  customer: FleetCustomer,
  facility: FleetFacility,
  unit: FleetUnit,
): UnitModel => {
  const key = mix32(hashString(seed) ^ hashString(`${customer.code}/${unit.code}`));
  const freqS = Math.max(1, Math.round(unit.dataFrequencySeconds));
  const shape = subKey(key, SALT.shape);
  const shape2 = mix32(shape + 0x6d2b79f5);
  const scale = degreesPerCelsius(unit.temperatureUnit);
  const setC = toCelsius(unit.setTemperature, unit.temperatureUnit);
  const sizeSqm = unit.sizeUnit === 'sqft' ? unit.size * SQFT_TO_SQM : unit.size;
  // Bigger rooms hold more cold air: door openings and compressor cycles move them less.
  const inertia = 1 / (0.5 + Math.log(Math.max(sizeSqm, 2)) / 10);
  const ultraLow = setC < -50;
  // Coil defrost is a freezer thing; ultra-low freezers are defrosted by hand, not on a timer.
  const hasDefrost = setC <= -5 && !ultraLow;
  const defrostPeriods = [21_600, 28_800, 43_200];
  const defrostPeriodS = defrostPeriods[shape2 % 3] as number;
  const named = unit.name?.toLowerCase().replace(/ /g, '_');
  const sensorNo = 1 + (subKey(key, SALT.sensor) % 4);
  return {
    customer,
    facility,
    unit,
    freqS,
    phaseS: subKey(key, SALT.phase) % freqS,
    scale,
    keyNoise: subKey(key, SALT.noise),
    keyNull: subKey(key, SALT.nul),
    keyDrift: subKey(key, SALT.drift),
    keyDoor: subKey(key, SALT.door),
    keyFault: subKey(key, SALT.fault),
    nullProbability: unit.dataQuality.nullReadingProbability,
    qualityBase: QUALITY_BASE[unit.dataQuality.equipmentReliability] ?? 0.85,
    compressorPeriodS: 1200 + byte(shape, 0) * 2400,
    compressorPhase: byte(shape, 1),
    compressorDuty: 0.3 + byte(shape, 2) * 0.2,
    compressorAmpC: (0.15 + byte(shape, 3) * 0.35) * inertia,
    dailyAmpC: (0.1 + byte(shape2, 1) * 0.3) * inertia,
    driftSigmaC: 0.12 * unit.dataQuality.sensorDriftFactor,
    noiseSigmaC: 0.04,
    doorDayP: ultraLow ? 0.08 : 0.3,
    doorNightP: ultraLow ? 0.01 : 0.04,
    doorInertia: inertia,
    defrostAmpC: hasDefrost ? 2.5 + byte(shape2, 2) * 3 : 0,
    defrostPeriodS,
    defrostPhaseS: Math.floor(byte(shape2, 3) * defrostPeriodS),
    defrostDurationS: 1200 + byte(shape2, 1) * 1200,
    faultProbability: FAULT_PROBABILITY[unit.dataQuality.equipmentReliability] ?? 0.008,
    sensorId: named ? `sensor_${named}_${sensorNo}` : `sensor_${unit.code.split('_').at(-1)}_${sensorNo}`,
  };
};

const smoothstep = (x: number): number => x * x * (3 - 2 * x);

/** Ramp towards `peak` while the fault lasts, then exponential recovery once the cause is gone. */
export const excursion = (
  elapsedS: number,
  durationS: number,
  peak: number,
  riseTauS: number,
  recoverTauS: number,
): number => {
  if (elapsedS < 0) return 0;
  if (elapsedS < durationS) return peak * (1 - Math.exp(-elapsedS / riseTauS));
  const after = elapsedS - durationS;
  if (after > 8 * recoverTauS) return 0;
  return peak * (1 - Math.exp(-durationS / riseTauS)) * Math.exp(-after / recoverTauS);
};

/** The unit's deviation from its set point at time t (seconds), in °C, before noise and injected faults. */
export const physicsC = (m: UnitModel, t: number): number => {
  // Compressor: slow warm-up while off, faster pull-down while on (an asymmetric sawtooth).
  let x = t / m.compressorPeriodS + m.compressorPhase;
  x -= Math.floor(x);
  const wave =
    x < m.compressorDuty
      ? 1 - (2 * x) / m.compressorDuty
      : -1 + (2 * (x - m.compressorDuty)) / (1 - m.compressorDuty);
  let v = m.compressorAmpC * wave;

  // Daily load: warmest mid-afternoon (UTC is close enough to UK local time for a load curve).
  const secOfDay = t - Math.floor(t / DAY_S) * DAY_S;
  v += m.dailyAmpC * Math.sin(2 * Math.PI * (secOfDay / DAY_S - 0.375));

  // Slow sensor drift: hashed knots every 6 h, smoothly interpolated.
  const kd = Math.floor(t / DRIFT_KNOT_S);
  const fd = smoothstep(t / DRIFT_KNOT_S - kd);
  const d0 = approxNormal(hashIndex(m.keyDrift, kd));
  const d1 = approxNormal(hashIndex(m.keyDrift, kd + 1));
  v += m.driftSigmaC * (d0 + (d1 - d0) * fd);

  // Door openings: at most one per 15-min slot, more likely in working hours; a warm spike that decays.
  const slot = Math.floor(t / DOOR_SLOT_S);
  for (let j = slot - DOOR_LOOKBACK_SLOTS; j <= slot; j++) {
    const h = hashIndex(m.keyDoor, j);
    const hourOfDay = ((j * DOOR_SLOT_S) % DAY_S) / 3600;
    const p = hourOfDay >= 7 && hourOfDay < 19 ? m.doorDayP : m.doorNightP;
    if (unitFloat(h) >= p) continue;
    const h2 = mix32(h ^ 0x27d4eb2d);
    const at = j * DOOR_SLOT_S + ((h2 & 0xffff) / 65536) * DOOR_SLOT_S;
    if (t < at) continue;
    const tau = 120 + byte(h2, 3) * 360;
    v += (0.6 + byte(h2, 2) * 2.4) * m.doorInertia * Math.exp(-(t - at) / tau);
  }

  // Defrost: heaters warm the coil for 20–40 min every 6/8/12 h, then the compressor pulls it back.
  if (m.defrostAmpC > 0) {
    let s = (t + m.defrostPhaseS) % m.defrostPeriodS;
    if (s < 0) s += m.defrostPeriodS;
    if (s < m.defrostDurationS) v += (m.defrostAmpC * s) / m.defrostDurationS;
    else v += m.defrostAmpC * Math.exp(-(s - m.defrostDurationS) / 600);
  }

  // Rare equipment faults: at most one per 6-h block; 3–10 °C, 10 min to 4 h, mostly warm (a failing
  // compressor), sometimes cold (a stuck thermostat).
  const block = Math.floor(t / FAULT_BLOCK_S);
  for (let j = block - FAULT_LOOKBACK_BLOCKS; j <= block; j++) {
    const h = hashIndex(m.keyFault, j);
    if (unitFloat(h) >= m.faultProbability) continue;
    const h2 = mix32(h ^ 0x165667b1);
    const start = j * FAULT_BLOCK_S + ((h2 & 0xffff) / 65536) * FAULT_BLOCK_S;
    const duration = 600 * Math.pow(24, byte(h2, 2));
    const peak = (3 + byte(h2, 3) * 7) * ((h >>> 8) % 5 === 0 ? -0.6 : 1);
    v += excursion(t - start, duration, peak, Math.min(900, duration / 3), 600 + byte(h, 3) * 1200);
  }
  return v;
};
