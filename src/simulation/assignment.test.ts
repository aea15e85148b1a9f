import { describe, expect, it } from 'vitest';
import { assignmentCustomer, validateAssignment, type AssignmentId } from './assignment.ts';
import type { FleetCustomer } from '../domain/fleet.ts';

const NOW = Date.parse('2025-06-18T12:00:00Z');
const both = (): Record<AssignmentId, FleetCustomer> => ({
  A: assignmentCustomer('A'),
  B: assignmentCustomer('B'),
});
const failures = (customers: Record<AssignmentId, FleetCustomer>) =>
  validateAssignment(customers, { seed: 's', nowMs: NOW }).filter((c) => !c.ok);

describe('assignment customers', () => {
  it('defines A as the CSV customer and B as the API customer of the assignment', () => {
    const a = assignmentCustomer('A');
    expect(a).toMatchObject({ name: 'Customer A', method: 'csv' });
    expect(a.facilities[0]?.units[0]).toMatchObject({
      code: 'unit_a_1',
      size: 930,
      setTemperature: -20,
      dataFrequencySeconds: 300,
    });
    const b = assignmentCustomer('B');
    expect(b.facilities[0]?.units.map((u) => [u.name, u.size, u.setTemperature])).toEqual([
      ['Deep Freeze 1', 50000, 0],
      ['Chilled Room 1', 10000, 0],
      ['Chilled Room 2', 5000, 45],
    ]);
    expect(() => assignmentCustomer('C')).toThrow("Assignment customer 'C' not supported. Use 'A' or 'B'.");
  });

  it('validates the real customers with checks on both A and B, definitions and data', () => {
    const checks = validateAssignment(both(), { seed: 's', nowMs: NOW });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.filter((c) => c.customer === 'A').length).toBeGreaterThan(15);
    expect(checks.filter((c) => c.customer === 'B').length).toBeGreaterThan(30);
    expect(
      checks.find((c) => c.customer === 'A' && c.check === 'unit 1 data: readings in 24 h')?.actual,
    ).toBe(288);
  });

  it('fails on a broken A (wrong size) and a broken B (renamed unit, °C instead of °F)', () => {
    const c = both();
    c.A.facilities[0]!.units[0]!.size = 900;
    c.B.facilities[0]!.units[1]!.name = 'Chilled Room 9';
    c.B.facilities[0]!.units[2]!.temperatureUnit = 'C';
    const bad = failures(c).map((f) => `${f.customer}: ${f.check}`);
    expect(bad).toContain('A: unit 1 size');
    expect(bad).toContain('B: unit 2 name');
    expect(bad).toContain('B: unit 3 temperature unit');
    expect(bad).toContain('B: unit 3 data: temperature unit');
  });

  it('fails when the data does not follow the required cadence or set point', () => {
    const c = both();
    c.A.facilities[0]!.units[0]!.dataFrequencySeconds = 600;
    c.B.facilities[0]!.units[0]!.setTemperature = 60;
    const bad = failures(c).map((f) => `${f.customer}: ${f.check}`);
    expect(bad).toEqual(
      expect.arrayContaining([
        'A: unit 1 reading every (s)',
        'A: unit 1 data: readings in 24 h',
        'A: unit 1 data: interval (s)',
        'B: unit 1 set temperature',
        'B: unit 1 data: readings outside set point −15/+20 °C',
      ]),
    );
  });
});
