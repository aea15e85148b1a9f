import { issueToken, type IssuedToken } from '../../src/auth/tokens.ts';
import { insertReadingsWithRollups, type NewReading } from '../../src/db/readings-query-repo.ts';
import { seedFleet } from '../../src/db/seed-fleet.ts';
import type { Db } from '../../src/db/types.ts';
import type { Scope } from '../../src/domain/tokens.ts';
import { fromCelsius, toCelsius } from '../../src/domain/units.ts';
import { loadFleet } from '../../src/simulation/fleet.ts';

const SEED_OPTS = { simHost: '127.0.0.1', simPortStart: 8001 };

export interface UnitRef {
  id: string;
  customer_id: string;
  facility_id: string;
  temperature_unit: 'C' | 'F';
  set_temperature: number;
  unit_code: string;
}

/** The default fleet (10 customers, 21 facilities, 96 units). */
export const seedDefaultFleet = async (db: Db): Promise<void> => {
  await seedFleet(db, await loadFleet(), SEED_OPTS);
};

export const customerId = async (db: Db, code: string): Promise<string> =>
  (await db.query<{ id: string }>('SELECT id FROM customers WHERE customer_code = $1', [code]))[0]!.id;

export const unitsOf = async (db: Db, code: string): Promise<UnitRef[]> =>
  db.query<UnitRef>(
    `SELECT u.id, u.customer_id, u.facility_id, u.temperature_unit, u.set_temperature, u.unit_code FROM storage_units u
     JOIN customers c ON c.id = u.customer_id WHERE c.customer_code = $1 ORDER BY u.unit_code`,
    [code],
  );

export const facilitiesOf = async (db: Db, code: string): Promise<string[]> =>
  (
    await db.query<{ id: string }>(
      'SELECT f.id FROM facilities f JOIN customers c ON c.id = f.customer_id WHERE c.customer_code = $1 ORDER BY f.facility_code',
      [code],
    )
  ).map((r) => r.id);

export const tokenFor = (
  db: Db,
  code: string | null,
  scopes: Scope[] = ['read'],
  extra: Partial<Parameters<typeof issueToken>[1]> = {},
): Promise<IssuedToken> =>
  code === null
    ? issueToken(db, { admin: true, ...extra })
    : issueToken(db, { customerCode: code, scopes, ...extra });

export interface FactoryReading {
  unit: UnitRef;
  at: Date;
  /** In °C; null = failed sensor read (status failure). */
  c: number | null;
  quality?: number;
  status?: string;
  sensor?: string;
}

/**
 * Inserts readings and maintains `reading_rollups_hourly` exactly as the writer does (new rows only,
 * per unit and UTC hour: count, nulls, sum, min, max, good-quality count for quality ≥ 0.8).
 */
export const insertReadings = async (db: Db, rows: FactoryReading[]): Promise<number> => {
  let n = 0;
  for (let i = 0; i < rows.length; i += 5000) {
    const batch: NewReading[] = rows.slice(i, i + 5000).map((r) => ({
      customerId: r.unit.customer_id,
      facilityId: r.unit.facility_id,
      unitId: r.unit.id,
      recordedAt: r.at,
      temperatureC: r.c,
      sourceValue: r.c === null ? null : fromCelsius(r.c, r.unit.temperature_unit),
      sourceUnit: r.unit.temperature_unit,
      sensorId: r.sensor ?? `sensor_${r.unit.unit_code}`,
      qualityScore: r.quality ?? 0.9,
      equipmentStatus: r.status ?? (r.c === null ? 'failure' : 'normal'),
    }));
    n += (await insertReadingsWithRollups(db, batch)).length;
  }
  return n;
};

/** A deterministic pseudo-random series per unit: every `stepSeconds` from `from` for `count` readings. */
export const series = (
  unit: UnitRef,
  from: Date,
  stepSeconds: number,
  count: number,
  seed = 1,
): FactoryReading[] => {
  let s = seed * 9301 + 49297;
  const rnd = () => (s = (s * 9301 + 49297) % 233280) / 233280;
  const setC = toCelsius(unit.set_temperature, unit.temperature_unit);
  return Array.from({ length: count }, (_, i) => {
    const x = rnd();
    return {
      unit,
      at: new Date(from.getTime() + i * stepSeconds * 1000),
      c: x < 0.02 ? null : Math.round((setC + (rnd() - 0.5) * 8) * 1000) / 1000,
      quality: Math.round(rnd() * 1000) / 1000,
    };
  });
};
