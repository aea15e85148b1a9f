import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRules } from '../../src/domain/alarms/default-rules.ts';
import { evaluate, initialAlarmState } from '../../src/domain/alarms/evaluate.ts';
import type { AlarmEvent, AlarmReading } from '../../src/domain/alarms/types.ts';
import type { Fleet, FleetCustomer, FleetFacility, FleetUnit } from '../../src/domain/fleet.ts';
import { degreesPerCelsius, toCelsius } from '../../src/domain/units.ts';
import { loadFleet } from '../../src/simulation/fleet.ts';
import { unitReadings, type InjectedFault } from '../../src/simulation/reading-generator.ts';
import { compileUnit, physicsC } from '../../src/simulation/unit-model.ts';

// Issue 11 "false-alarm rate": a week of the default fleet's simulated readings (generator only, no
// database) through the default rules. Normal operation — door openings, defrost cycles, compressor
// cycling, drift — must raise no critical alarm; every injected equipment fault must raise one. The
// simulator also has rare spontaneous faults of its own (3–10 °C, 10 min–4 h): an alarm overlapping
// one is counted as fault-caused, found by comparing the unit's physics with and without its faults.

const SEED = 'alarm-defaults';
const DAY_MS = 86_400_000;
const FROM_MS = Date.parse('2026-01-05T00:00:00Z');
const TO_MS = FROM_MS + 7 * DAY_MS;
/** One injected fault per unit, staggered over the week: 2 h, 8 °C, warm for even units, cold for odd. */
const FAULT_DURATION_MS = 2 * 3_600_000;
const FAULT_DELTA_C = 8;

interface Place {
  customer: FleetCustomer;
  facility: FleetFacility;
  unit: FleetUnit;
}

const places = (fleet: Fleet): Place[] =>
  fleet.customers.flatMap((customer) =>
    customer.facilities.flatMap((facility) => facility.units.map((unit) => ({ customer, facility, unit }))),
  );

const injectedFault = (p: Place, index: number): InjectedFault => ({
  unitCode: p.unit.code,
  startMs: FROM_MS + DAY_MS + ((index * 97) % (5 * 24)) * 3_600_000,
  durationMs: FAULT_DURATION_MS,
  delta: (index % 2 === 0 ? 1 : -1) * FAULT_DELTA_C * degreesPerCelsius(p.unit.temperatureUnit),
});

/** Every event of every default rule of one unit over the week. */
const unitEvents = (p: Place, faults: InjectedFault[]): AlarmEvent[] => {
  const { unit } = p;
  const toC = (v: number): number => toCelsius(v, unit.temperatureUnit);
  const half = 5 * degreesPerCelsius(unit.temperatureUnit);
  const readings: AlarmReading[] = unitReadings({
    seed: SEED,
    ...p,
    fromMs: FROM_MS,
    toMs: TO_MS,
    faults,
  }).map((r) => ({
    recordedAtMs: Date.parse(r.timestamp),
    temperatureC: r.temperature === null ? null : toC(r.temperature),
  }));
  const rules = defaultRules({
    setPointC: toC(unit.setTemperature),
    alarmLowLimitC: toC(unit.alarmLowLimit ?? unit.setTemperature - half),
    alarmHighLimitC: toC(unit.alarmHighLimit ?? unit.setTemperature + half),
    warningDeviationC: 2,
    reportingPeriodSeconds: unit.dataFrequencySeconds,
  });
  return rules.flatMap((rule) => evaluate(rule, initialAlarmState(), readings).events);
};

/** True when one of the simulator's own spontaneous faults moves the unit within [fromMs, toMs]. */
const spontaneousFaultDuring = (p: Place, fromMs: number, toMs: number): boolean => {
  const model = compileUnit(SEED, p.customer, p.facility, p.unit);
  const withoutFaults = { ...model, faultProbability: 0 };
  for (let t = fromMs; t <= toMs; t += 60_000)
    if (Math.abs(physicsC(model, t / 1000) - physicsC(withoutFaults, t / 1000)) > 0.05) return true;
  return false;
};

describe('default alarm rules over a simulated week of the default fleet', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await loadFleet();
  });

  it('raises no critical alarm from normal operation and catches every injected fault', () => {
    const all = places(fleet);
    let normalCritical = 0;
    let spontaneousCritical = 0;
    let normalWarnings = 0;
    const missed: string[] = [];
    all.forEach((p, index) => {
      // Normal operation, with only the simulator's own rare faults.
      for (const e of unitEvents(p, [])) {
        if (e.type !== 'started') continue;
        const causedByFault = spontaneousFaultDuring(p, e.startedAtMs - 15 * 60_000, e.confirmedAtMs);
        if (e.severity === 'critical') {
          if (causedByFault) spontaneousCritical++;
          else normalCritical++;
        } else if (!causedByFault) normalWarnings++;
      }
      // The same week with one injected fault: a critical alarm of its direction, starting during it.
      const fault = injectedFault(p, index);
      const kind = fault.delta > 0 ? 'high' : 'low';
      const caught = unitEvents(p, [fault]).some(
        (e) =>
          e.type === 'started' &&
          e.severity === 'critical' &&
          e.kind === kind &&
          e.startedAtMs >= fault.startMs &&
          e.startedAtMs <= fault.startMs + fault.durationMs,
      );
      if (!caught) missed.push(`${p.unit.code} (${kind})`);
    });
    const detected = all.length - missed.length;
    console.log(
      `${all.length} unit-weeks: ${normalCritical} critical alarms from normal operation ` +
        `(${(normalCritical / all.length).toFixed(3)} per unit-week), ${spontaneousCritical} from the ` +
        `simulator's spontaneous faults, ${normalWarnings} warnings from normal operation; injected faults ` +
        `detected ${detected}/${all.length} (${((100 * detected) / all.length).toFixed(1)} %)`,
    );
    expect(normalCritical).toBe(0);
    expect(missed).toEqual([]);
  });
});
