import { seedFleet } from '../../src/db/seed-fleet.ts';
import type { Sql, Db } from '../../src/db/types.ts';
import type { Reading } from '../../src/domain/reading.ts';
import { type Fleet } from '../../src/domain/fleet.ts';
import { loadFleet } from '../../src/simulation/fleet.ts';

/** The default fleet cut down to the given customers (all of them when none are given). */
export const testFleet = async (codes: readonly string[] = []): Promise<Fleet> => {
  const fleet = await loadFleet();
  return codes.length ? { customers: fleet.customers.filter((c) => codes.includes(c.code)) } : fleet;
};

export interface SeededUnit {
  customerId: string;
  facilityId: string;
  storageUnitId: string;
  facilityCode: string;
  unitCode: string;
}

/** Seeds customers of the default fleet (mock sources on simPortStart + position) and returns their units. */
export const seedTestFleet = async (
  db: Db,
  codes: readonly string[],
  opts: { simPortStart?: number; simHost?: string; timezone?: string } = {},
): Promise<{ customers: Record<string, string>; units: SeededUnit[] }> => {
  await seedFleet(db, await testFleet(codes), {
    simHost: opts.simHost ?? '127.0.0.1',
    simPortStart: opts.simPortStart ?? 1,
    timezone: opts.timezone,
  });
  return loadSeeded(db);
};

const loadSeeded = async (q: Sql): Promise<{ customers: Record<string, string>; units: SeededUnit[] }> => {
  const cs = await q.query<{ id: string; customer_code: string }>('SELECT id, customer_code FROM customers');
  const units = await q.query<SeededUnit>(
    `SELECT u.customer_id AS "customerId", u.facility_id AS "facilityId", u.id AS "storageUnitId",
            f.facility_code AS "facilityCode", u.unit_code AS "unitCode"
     FROM storage_units u JOIN facilities f ON f.id = u.facility_id ORDER BY f.facility_code, u.unit_code`,
  );
  return { customers: Object.fromEntries(cs.map((c) => [c.customer_code, c.id])), units };
};

/** `count` readings per unit every `stepMs` from `fromMs`, with varied values, quality and a failed read. */
export const makeReadings = (
  units: readonly SeededUnit[],
  fromMs: number,
  count: number,
  stepMs = 60_000,
): Reading[] => {
  const out: Reading[] = [];
  for (const [ui, u] of units.entries())
    for (let k = 0; k < count; k++) {
      const failed = (k + ui) % 17 === 5;
      const t = -20 + ((k * 7 + ui * 3) % 23) / 10;
      out.push({
        storageUnitId: u.storageUnitId,
        facilityId: u.facilityId,
        recordedAtMs: fromMs + k * stepMs,
        temperatureC: failed ? null : t,
        sourceValue: failed ? null : t,
        sourceUnit: 'C',
        sensorId: `s${ui}`,
        qualityScore: failed ? 0 : ((k * 13 + ui) % 100) / 100,
        equipmentStatus: failed ? 'failure' : 'normal',
      });
    }
  return out;
};
