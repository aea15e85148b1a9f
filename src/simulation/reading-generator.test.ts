import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateCustomer } from './customer-generator.ts';
import { type FleetCustomer, type FleetUnit } from '../domain/fleet.ts';
import { DEFAULT_FLEET_FILE, parseFleet } from './fleet.ts';
import { createRng } from './random.ts';
import { customerReadings, unitReadings, type InjectedFault, type SimReading } from './reading-generator.ts';
import { readFileSync } from 'node:fs';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2025-06-18T00:00:00Z');
const fleet = parseFleet(readFileSync(DEFAULT_FLEET_FILE, 'utf8'));
const customerA = fleet.customers[0] as FleetCustomer;

/** A one-unit customer with the given overrides, for focused behaviour tests. */
const single = (over: Partial<FleetUnit>, code = 'T'): FleetCustomer => {
  const c = generateCustomer(code, 'food_storage', createRng('single'));
  const f = c.facilities[0]!;
  const unit = { ...f.units[0]!, ...over, dataQuality: { ...f.units[0]!.dataQuality, ...over.dataQuality } };
  return { ...c, facilities: [{ ...f, units: [unit] }] };
};
const readingsOf = (
  c: FleetCustomer,
  fromMs: number,
  toMs: number,
  faults?: InjectedFault[],
  seed = 's',
): SimReading[] => customerReadings({ seed, customer: c, fromMs, toMs, faults });
const temps = (rs: SimReading[]): number[] =>
  rs.flatMap((r) => (r.temperature === null ? [] : [r.temperature]));
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('determinism', () => {
  it('returns identical readings for the timestamps two overlapping windows share', () => {
    const a = readingsOf(customerA, T0, T0 + 6 * HOUR);
    const b = readingsOf(customerA, T0 + 2 * HOUR + 12_345, T0 + 9 * HOUR);
    const byKey = new Map(a.map((r) => [`${r.unit_id}@${r.timestamp}`, r]));
    const shared = b.filter((r) => byKey.has(`${r.unit_id}@${r.timestamp}`));
    // Every reading of b inside a's window is shared, and equal field for field.
    expect(shared.length).toBe(b.filter((r) => Date.parse(r.timestamp) < T0 + 6 * HOUR).length);
    expect(shared.length).toBeGreaterThan(500);
    for (const r of shared) expect(r).toEqual(byKey.get(`${r.unit_id}@${r.timestamp}`));
  });

  it('puts every unit on its own cadence, so windows split anywhere tile exactly', () => {
    const whole = readingsOf(customerA, T0, T0 + 4 * HOUR);
    const cut = T0 + 77 * 60_000 + 500;
    const parts = [...readingsOf(customerA, T0, cut), ...readingsOf(customerA, cut, T0 + 4 * HOUR)];
    const key = (r: SimReading): string => `${r.unit_id}@${r.timestamp}`;
    expect(parts.map(key).sort()).toEqual(whole.map(key).sort());
    for (const f of customerA.facilities) {
      for (const u of f.units) {
        const ts = whole.filter((r) => r.unit_id === u.code).map((r) => Date.parse(r.timestamp));
        expect(new Set(ts.slice(1).map((t, i) => t - ts[i]!))).toEqual(
          new Set([u.dataFrequencySeconds * 1000]),
        );
      }
    }
  });

  it('depends on the seed and on nothing else, across processes', () => {
    const mine = readingsOf(customerA, T0, T0 + HOUR, [], 'cross-process');
    const script = `
      import { readFileSync } from 'node:fs';
      import { DEFAULT_FLEET_FILE, parseFleet } from './fleet.ts';
      import { customerReadings } from './reading-generator.ts';
      const c = parseFleet(readFileSync(DEFAULT_FLEET_FILE, 'utf8')).customers[0];
      process.stdout.write(JSON.stringify(customerReadings({ seed: 'cross-process', customer: c, fromMs: ${T0}, toMs: ${T0 + HOUR} })));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, TZ: 'America/New_York' },
    });
    expect(JSON.parse(out.toString())).toEqual(mine);
    const other = readingsOf(customerA, T0, T0 + HOUR, [], 'another-seed');
    expect(temps(other)).not.toEqual(temps(mine));
  });

  it('emits ISO 8601 UTC timestamps with Z that round-trip through Date, across midnight', () => {
    const rs = readingsOf(customerA, T0 - HOUR, T0 + HOUR);
    for (const r of rs) {
      expect(r.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(new Date(Date.parse(r.timestamp)).toISOString()).toBe(r.timestamp);
    }
    expect(rs.some((r) => r.timestamp.startsWith('2025-06-17T23'))).toBe(true);
    expect(rs.some((r) => r.timestamp.startsWith('2025-06-18T00'))).toBe(true);
    expect(rs.map((r) => r.timestamp)).toEqual([...rs.map((r) => r.timestamp)].sort());
  });
});

describe('wire fidelity', () => {
  it('survives a JSON round trip unchanged (no -0, NaN or Infinity), so served data equals ground truth', () => {
    const zeroSet = single({ setTemperature: 0, temperatureUnit: 'F', dataFrequencySeconds: 60 });
    const rs = readingsOf(zeroSet, T0, T0 + 7 * DAY);
    expect(JSON.parse(JSON.stringify(rs))).toEqual(rs);
  });
});

describe('null readings', () => {
  it.each([0.01, 0.002])('fail at the configured rate %s within statistical tolerance', (p) => {
    const c = single({
      dataFrequencySeconds: 60,
      dataQuality: { nullReadingProbability: p } as FleetUnit['dataQuality'],
    });
    const rs = readingsOf(c, T0, T0 + 300 * DAY);
    const nulls = rs.filter((r) => r.temperature === null);
    const sigma = Math.sqrt((p * (1 - p)) / rs.length);
    expect(Math.abs(nulls.length / rs.length - p)).toBeLessThan(5 * sigma);
    for (const r of nulls.slice(0, 50)) {
      expect(r.quality_score).toBe(0);
      expect(r.sensor_id).toMatch(/^sensor_/);
    }
  });
});

describe('plausibility', () => {
  it('keeps every unit of the default fleet inside the envelope and close to its set point', () => {
    for (const c of fleet.customers) {
      for (const f of c.facilities) {
        for (const u of f.units) {
          const scale = u.temperatureUnit === 'F' ? 1.8 : 1;
          const ts = temps(
            unitReadings({ seed: 's', customer: c, facility: f, unit: u, fromMs: T0, toMs: T0 + 14 * DAY }),
          );
          const dev = ts.map((t) => (t - u.setTemperature) / scale);
          expect(Math.min(...dev)).toBeGreaterThanOrEqual(-15);
          expect(Math.max(...dev)).toBeLessThanOrEqual(20);
          expect(Math.abs(mean(dev))).toBeLessThan(1.5);
          // Most of the time a working unit is within 3 °C of its set point.
          expect(dev.filter((d) => Math.abs(d) < 3).length / dev.length).toBeGreaterThan(0.9);
        }
      }
    }
  });

  it('moves like real equipment: compressor cycling, warmer working days, defrost on freezers only', () => {
    // −10 °F freezer read every minute for two weeks.
    const freezer = single({ setTemperature: -10, temperatureUnit: 'F', dataFrequencySeconds: 60 });
    const rs = readingsOf(freezer, T0, T0 + 14 * DAY).filter((r) => r.temperature !== null);
    const dev = rs.map((r) => (r.temperature as number) + 10);
    const steps = dev.slice(1).map((d, i) => Math.abs(d - dev[i]!));
    expect(mean(steps)).toBeGreaterThan(0.02); // it never sits still
    expect(mean(steps)).toBeLessThan(0.6); // but moves smoothly minute to minute
    const hour = (r: SimReading): number => new Date(r.timestamp).getUTCHours();
    const day = dev.filter((_, i) => hour(rs[i]!) >= 10 && hour(rs[i]!) < 17);
    const night = dev.filter((_, i) => hour(rs[i]!) < 5);
    expect(mean(day)).toBeGreaterThan(mean(night));
    // Defrost: a warm-up of ≥ 2.5 °C (4.5 °F) at least every 12 h.
    for (let d = 0; d < 14 * 24; d += 12) {
      const slice = dev.filter(
        (_, i) =>
          Date.parse(rs[i]!.timestamp) - T0 >= d * HOUR &&
          Date.parse(rs[i]!.timestamp) - T0 < (d + 12) * HOUR,
      );
      expect(Math.max(...slice)).toBeGreaterThan(4);
    }
    // A chiller (+4 °C) never defrosts: no such regular warm-ups.
    const chiller = single({
      setTemperature: 4,
      temperatureUnit: 'C',
      dataFrequencySeconds: 60,
      size: 200,
      sizeUnit: 'sqm',
    });
    const cdev = temps(readingsOf(chiller, T0, T0 + 2 * DAY)).map((t) => t - 4);
    expect(cdev.filter((d) => d > 2.5).length / cdev.length).toBeLessThan(0.02);
  });

  it('has rare spontaneous faults: excursions of several degrees lasting minutes to hours', () => {
    const unit = single({
      setTemperature: -20,
      temperatureUnit: 'C',
      dataFrequencySeconds: 300,
      dataQuality: { equipmentReliability: 'faulty' } as FleetUnit['dataQuality'],
    });
    const rs = readingsOf(unit, T0, T0 + 120 * DAY).filter((r) => r.temperature !== null);
    const far = rs.filter((r) => Math.abs((r.temperature as number) + 20) > 6);
    // Rare (well under 5% of the time) but present.
    expect(far.length).toBeGreaterThan(0);
    expect(far.length / rs.length).toBeLessThan(0.05);
    expect(Math.min(...far.map((r) => r.quality_score))).toBeLessThan(0.65);
  });

  it('scores quality in [0, 1], lower when far from the set point; sensor ids are stable per unit', () => {
    const rs = readingsOf(customerA, T0, T0 + DAY);
    for (const r of rs) expect(r.quality_score >= 0 && r.quality_score <= 1).toBe(true);
    const sensors = new Map<string, Set<string>>();
    for (const r of rs) sensors.set(r.unit_id, (sensors.get(r.unit_id) ?? new Set()).add(r.sensor_id));
    for (const [unit, s] of sensors) {
      expect(s.size).toBe(1);
      // The sensor is named after its unit (A's prototype units are "Ultra-Low Freezer N").
      const name = customerA.facilities.flatMap((f) => f.units).find((u) => u.code === unit)!.name!;
      expect([...s][0]).toMatch(new RegExp(`^sensor_${name.toLowerCase().replace(/ /g, '_')}_[1-4]$`));
    }
    const unnamed = customerReadings({
      seed: 's',
      customer: fleet.customers[1]!,
      fromMs: T0,
      toMs: T0 + DAY,
    });
    expect(unnamed[0]?.sensor_id).toMatch(/^sensor_\d_[1-4]$/);
  });
});

describe('injected faults', () => {
  it('makes an excursion from its start for its duration, then recovers; the past is untouched', () => {
    const c = single({
      setTemperature: -18,
      temperatureUnit: 'C',
      dataFrequencySeconds: 60,
      dataQuality: { nullReadingProbability: 0 } as FleetUnit['dataQuality'],
    });
    const unit = c.facilities[0]!.units[0]!;
    const start = T0 + 10 * HOUR;
    const fault: InjectedFault = { unitCode: unit.code, startMs: start, durationMs: 60 * 60_000, delta: 9 };
    const base = readingsOf(c, T0 + 9 * HOUR, T0 + 14 * HOUR);
    const hit = readingsOf(c, T0 + 9 * HOUR, T0 + 14 * HOUR, [fault, { ...fault, unitCode: 'unit_other' }]);
    const diff = hit.map((r, i) => (r.temperature as number) - (base[i]!.temperature as number));
    const at = (ms: number): number => diff[base.findIndex((r) => Date.parse(r.timestamp) >= ms)]!;
    expect(at(start - 60_000)).toBe(0);
    expect(at(start + 20 * 60_000)).toBeGreaterThan(8.5);
    expect(at(start + 59 * 60_000)).toBeGreaterThan(8.9);
    expect(at(start + 90 * 60_000)).toBeLessThan(at(start + 60 * 60_000));
    expect(Math.abs(at(start + 3 * HOUR))).toBeLessThan(0.05);
    expect(hit.filter((r) => Date.parse(r.timestamp) < start)).toEqual(
      base.filter((r) => Date.parse(r.timestamp) < start),
    );
  });
});
