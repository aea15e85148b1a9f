import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import type { Fleet } from '../../src/domain/fleet.ts';
import { loadFleet } from '../../src/simulation/fleet.ts';
import { unitReadings } from '../../src/simulation/reading-generator.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet } from '../support/factories.ts';

// Issue 10 item 12: the most common pharmacy storage class, a +2…+8 °C refrigerator, is in the
// default fleet (simulator and seed), without changing the prototype's customers A–J or their units.
const DAY = 86_400_000;
const isFridge = (u: { setTemperature: number; temperatureUnit: string }) =>
  u.temperatureUnit === 'C' && u.setTemperature >= 2 && u.setTemperature <= 8;

describe('default fleet: vaccine refrigerators', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await loadFleet();
  });

  it('keeps the prototype customers A–J and gives each pharmacy facility a 2–8 °C refrigerator', () => {
    expect(fleet.customers.map((c) => c.code)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J']);
    const pharmacies = fleet.customers.filter((c) => /pharma/i.test(c.name));
    expect(pharmacies.length).toBeGreaterThan(0);
    for (const c of pharmacies)
      for (const f of c.facilities) {
        const fridges = f.units.filter(isFridge);
        expect(fridges.length, `${f.code} has a refrigerator`).toBeGreaterThan(0);
        for (const u of fridges)
          expect(u).toMatchObject({ equipmentType: 'refrigerator', alarmLowLimit: 2, alarmHighLimit: 8 });
      }
    // The CDC asks for a reading at least every 30 minutes.
    for (const u of fleet.customers.flatMap((c) => c.facilities.flatMap((f) => f.units)).filter(isFridge))
      expect(u.dataFrequencySeconds).toBeLessThanOrEqual(1800);
  });

  it('simulates a week of each refrigerator almost always inside +2…+8 °C, around +5 °C', () => {
    const from = Date.parse('2026-01-05T00:00:00Z');
    for (const customer of fleet.customers)
      for (const facility of customer.facilities)
        for (const unit of facility.units.filter(isFridge)) {
          const rs = unitReadings({
            seed: 'fridge',
            customer,
            facility,
            unit,
            fromMs: from,
            toMs: from + 7 * DAY,
          });
          const temps = rs.map((r) => r.temperature).filter((t): t is number => t !== null);
          expect(temps.length).toBeGreaterThan(1500);
          // Door openings and the odd fault may leave the band briefly, as in a real refrigerator.
          const inBand = temps.filter((x) => x >= 2 && x <= 8).length / temps.length;
          console.log(
            `${unit.code}: ${(inBand * 100).toFixed(2)} % in band, ${Math.min(...temps)}…${Math.max(...temps)}`,
          );
          expect(inBand).toBeGreaterThan(0.97);
          const mean = temps.reduce((a, b) => a + b, 0) / temps.length;
          expect(Math.abs(mean - 5)).toBeLessThan(1);
        }
  });
});

describeEachBackend('default fleet seed: vaccine refrigerators', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('seeds them as refrigerators with a 2–8 °C alarm band; the other units keep set point ± 5 °C', async () => {
    const fridges = await db.query<{ unit_code: string; low: number; high: number; type: string }>(
      `SELECT unit_code, alarm_low_limit AS low, alarm_high_limit AS high, equipment_type AS type
       FROM storage_units WHERE temperature_unit = 'C' AND set_temperature BETWEEN 2 AND 8 ORDER BY unit_code`,
    );
    expect(fridges).toEqual([
      { unit_code: 'unit_A_1_4', low: 2, high: 8, type: 'refrigerator' },
      { unit_code: 'unit_A_2_7', low: 2, high: 8, type: 'refrigerator' },
    ]);
    const [a11] = await db.query<{ low: number; high: number; type: string }>(
      `SELECT alarm_low_limit AS low, alarm_high_limit AS high, equipment_type AS type
       FROM storage_units WHERE unit_code = 'unit_A_1_1'`,
    );
    expect(a11).toEqual({ low: -79.2, high: -69.2, type: 'freezer' });
    const [n] = await db.query<{ units: number; facilities: number }>(
      'SELECT (SELECT count(*)::int FROM storage_units) AS units, (SELECT count(*)::int FROM facilities) AS facilities',
    );
    expect(n).toEqual({ units: 96, facilities: 21 });
  });
});
