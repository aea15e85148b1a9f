import { describe, expect, it } from 'vitest';
import {
  customerIdAt,
  fleetToYaml,
  generateCustomer,
  generateCustomers,
  generateSyntheticFleet,
  parseDistribution,
} from './customer-generator.ts';
import { parseFleet } from './fleet.ts';
import { createRng } from './random.ts';
import { TEMPLATE_NAMES, TEMPLATES } from './templates.ts';

const within = (v: number, [lo, hi]: readonly [number, number]): boolean => v >= lo && v <= hi;

describe('generateCustomer', () => {
  it.each(TEMPLATE_NAMES)('keeps every %s draw inside the template ranges', (name) => {
    const t = TEMPLATES[name];
    const rng = createRng(`t-${name}`);
    for (let i = 0; i < 60; i++) {
      const c = generateCustomer('X', name, rng);
      expect(c.method).toBe(t.method);
      expect(c.name).toBe(t.namePattern.replace('{id}', 'X'));
      expect(within(c.facilities.length, t.facilitiesRange)).toBe(true);
      const cfg = c.dataConfig;
      if (t.method === 'csv') {
        expect(within(cfg.csv_download_frequency_hours as number, t.csvDownloadFrequencyHours)).toBe(true);
        expect(c.collectEverySeconds).toBe((cfg.csv_update_frequency_minutes as number) * 60);
      } else {
        expect(within(cfg.api_polling_frequency_minutes as number, t.apiPollingFrequencyMinutes)).toBe(true);
      }
      c.facilities.forEach((f, fi) => {
        expect(f.code).toBe(`facility_X_${fi + 1}`);
        if (t.facilityNamePattern === null) expect(f.name).toBeNull();
        if (f.name !== null) expect(f.name).toBe(t.facilityNamePattern?.replace('{id}', String(fi + 1)));
        expect(t.locationPool.map((l) => l.country)).toContain(f.country);
        expect(within(f.units.length, t.unitsPerFacilityRange)).toBe(true);
        f.units.forEach((u, ui) => {
          expect(u.code).toBe(`unit_X_${fi + 1}_${ui + 1}`);
          expect(Number.isInteger(u.size) && within(u.size, t.unit.sizeRange)).toBe(true);
          expect(u.sizeUnit).toBe(t.unit.sizeUnit);
          expect(within(u.setTemperature, t.unit.setPointRange)).toBe(true);
          expect(Math.round(u.setTemperature * 10) / 10).toBe(u.setTemperature);
          expect(u.temperatureUnit).toBe(t.unit.temperatureUnit);
          expect(within(u.dataFrequencySeconds, t.unit.dataFrequencySecondsRange)).toBe(true);
          expect(u.dataQuality).toEqual(t.unit.dataQuality);
        });
      });
    }
  });

  it('nulls small-business unit names about 80% of the time and cities about half the time', () => {
    const rng = createRng('nulls');
    let units = 0;
    let unnamed = 0;
    let facilities = 0;
    let noCity = 0;
    for (let i = 0; i < 400; i++) {
      for (const f of generateCustomer('S', 'small_business', rng).facilities) {
        facilities++;
        // The pool itself holds a null city, so nulls exceed the 50% forced rate.
        if (f.city === null) noCity++;
        for (const u of f.units) {
          units++;
          if (u.name === null) unnamed++;
        }
      }
    }
    expect(unnamed).toBe(units);
    expect(noCity / facilities).toBeGreaterThan(0.55);
    expect(noCity / facilities).toBeLessThan(0.8);
  });
});

describe('generateCustomers', () => {
  it('numbers customers A…Z then CUST_27 and reproduces a fleet from its seed', () => {
    expect([0, 1, 25, 26, 30].map(customerIdAt)).toEqual(['A', 'B', 'Z', 'CUST_27', 'CUST_31']);
    const a = generateCustomers({ count: 30, seed: 'one' });
    expect(a.customers.map((c) => c.code).slice(24, 27)).toEqual(['Y', 'Z', 'CUST_27']);
    expect(generateCustomers({ count: 30, seed: 'one' })).toEqual(a);
    expect(generateCustomers({ count: 30, seed: 'two' })).not.toEqual(a);
  });

  it('follows the template distribution', () => {
    const fleet = generateCustomers({ count: 2000, seed: 'mix' });
    const share = (prefix: string): number =>
      fleet.customers.filter((c) => c.name.startsWith(prefix)).length / fleet.customers.length;
    expect(share('Pharma Corp')).toBeCloseTo(0.1, 1);
    expect(share('Food Storage Ltd')).toBeCloseTo(0.4, 1);
    expect(share('Local Business')).toBeCloseTo(0.3, 1);
    expect(share('Industrial Corp')).toBeCloseTo(0.2, 1);
    const only = generateCustomers({
      count: 50,
      seed: 'x',
      distribution: parseDistribution('{"industrial": 1}'),
    });
    expect(new Set(only.customers.map((c) => c.method))).toEqual(new Set(['api']));
  });

  it('rejects malformed distributions and counts with a clear message', () => {
    expect(() => parseDistribution('{bad')).toThrow(/not valid JSON/);
    expect(() => parseDistribution('{"dairy": 1}')).toThrow(/unknown template 'dairy'/);
    expect(() => parseDistribution('{"industrial": -1}')).toThrow(/non-negative/);
    expect(() => parseDistribution('{"industrial": 0}')).toThrow(/no weight/);
    expect(() => generateCustomers({ count: 0, seed: 's' })).toThrow(/positive integer/);
  });

  it('exports the prototype YAML layout, which parseFleet reads back unchanged', () => {
    const fleet = generateCustomers({ count: 8, seed: 'yaml' });
    const text = fleetToYaml(fleet);
    expect(text).toMatch(/^customers:\n {2}A:\n {4}data_config:/);
    expect(text).toContain('data_frequency:');
    expect(parseFleet(text)).toEqual(fleet);
  });
});

describe('generateSyntheticFleet', () => {
  it('builds the requested number of customers and units, both methods, unique codes', () => {
    const fleet = generateSyntheticFleet({ customers: 200, unitsPerCustomer: 50, seed: 's' });
    expect(fleet.customers).toHaveLength(200);
    const units = fleet.customers.flatMap((c) => c.facilities.flatMap((f) => f.units));
    expect(units).toHaveLength(10_000);
    expect(new Set(units.map((u) => u.code)).size).toBe(10_000);
    expect(new Set(fleet.customers.map((c) => c.method))).toEqual(new Set(['api', 'csv']));
    expect(fleet.customers.every((c) => c.facilities.every((f) => f.units.length <= 10))).toBe(true);
  });
});
