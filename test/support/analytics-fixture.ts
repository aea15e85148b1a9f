import { expect } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import {
  customerId,
  insertReadings,
  seedDefaultFleet,
  series,
  tokenFor,
  unitsOf,
  type FactoryReading,
  type UnitRef,
} from './factories.ts';

// The data set of the analytics suites (api-analytics, api-readings-pages): the default fleet and
// four days of 5-minute readings for up to three units of one customer, plus two unusual statuses.
export const NOW = new Date('2026-03-30T12:00:00Z'); // just after the UK's spring DST change (29 March)
export const FROM = new Date('2026-03-26T00:07:30Z');

export const close = (a: number | null | undefined, b: number | null | undefined, eps = 1e-3) => {
  if (a === null || a === undefined || b === null || b === undefined)
    return expect(a ?? null).toBe(b ?? null);
  expect(Math.abs(a - b)).toBeLessThanOrEqual(eps);
};
export const toF = (c: number) => (c * 9) / 5 + 32;

export const jsStats = (rows: FactoryReading[], start: Date, end: Date) => {
  const inRange = rows.filter((r) => r.at >= start && r.at <= end);
  const vals = inRange.map((r) => r.c).filter((c): c is number => c !== null);
  return {
    count: inRange.length,
    nulls: inRange.length - vals.length,
    min: vals.length ? Math.min(...vals) : null,
    max: vals.length ? Math.max(...vals) : null,
    avg: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null,
    good: inRange.filter((r) => (r.quality ?? 0) >= 0.8).length,
  };
};

export interface AnalyticsFixture {
  code: string;
  units: UnitRef[];
  rows: FactoryReading[];
  scope: { customerId: string };
  token: string;
}

/** Seeds the fleet and the readings; returns what the suites compare against. */
export const loadAnalyticsFixture = async (db: Db): Promise<AnalyticsFixture> => {
  await seedDefaultFleet(db);
  // Customer with both °C and °F units, if the fleet has one; otherwise the first customer.
  const all = await db.query<{ code: string }>(
    `SELECT c.customer_code AS code FROM customers c JOIN storage_units u ON u.customer_id = c.id
     GROUP BY c.customer_code ORDER BY count(DISTINCT u.temperature_unit) DESC, c.customer_code LIMIT 1`,
  );
  const code = all[0]!.code;
  const own = await unitsOf(db, code);
  const f = own.find((u) => u.temperature_unit === 'F');
  const units = [own[0]!, ...(f && f.id !== own[0]!.id ? [f] : []), own[own.length - 1]!].slice(0, 3);
  const rows = units.flatMap((u, i) => series(u, new Date(FROM.getTime() + i * 17_000), 300, 4 * 288, i + 1));
  rows.push({
    unit: units[0]!,
    at: new Date('2026-03-27T10:10:10Z'),
    c: 3.3,
    status: 'warning',
    quality: 0.5,
  });
  rows.push({
    unit: units[0]!,
    at: new Date('2026-03-27T10:11:10Z'),
    c: -1,
    status: 'maintenance',
    quality: 0.95,
  });
  await insertReadings(db, rows);
  return {
    code,
    units,
    rows,
    scope: { customerId: await customerId(db, code) },
    token: (await tokenFor(db, code)).token,
  };
};
