import { simulatorUrl, type Fleet, type FleetUnit } from '../domain/fleet.ts';
import { degreesPerCelsius } from '../domain/units.ts';
import type { Db, Sql } from './types.ts';

export interface SeedOptions {
  /** Host and first port of the mock customers: customer i of the fleet is on simPortStart + i. */
  simHost: string;
  simPortStart: number;
  /** IANA zone in which naive timestamps from these customers are read. */
  timezone?: string;
}

export interface SeedResult {
  customersCreated: number;
  facilitiesCreated: number;
  unitsCreated: number;
}

// Default alarm band when the fleet states none: set point ± 5 °C, i.e. ± 9 °F for °F units.
const alarmHalfBand = (unit: FleetUnit): number => 5 * degreesPerCelsius(unit.temperatureUnit);

const upsertCustomer = async (
  tx: Sql,
  code: string,
  values: unknown[],
): Promise<{ id: string; created: boolean }> => {
  const inserted = await tx.query<{ id: string }>(
    `INSERT INTO customers (customer_code, name, data_sharing_method, data_frequency_seconds, api_url, timezone)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (customer_code) DO NOTHING RETURNING id`,
    [code, ...values],
  );
  if (inserted[0]) return { id: inserted[0].id, created: true };
  const [row] = await tx.query<{ id: string }>('SELECT id FROM customers WHERE customer_code = $1', [code]);
  return { id: row!.id, created: false };
};

/**
 * Loads a fleet into the database: customers, facilities and storage units. Idempotent: what
 * exists (matched by code) is left as it is, so admin edits survive a re-seed.
 */
export const seedFleet = async (
  db: Db,
  fleet: Fleet,
  opts: SeedOptions,
  /** Runs last in the seeding transaction, with its counts (the audit entry of fleet/seed.ts). */
  beforeCommit?: (tx: Sql, result: SeedResult) => Promise<void>,
): Promise<SeedResult> =>
  db.transaction(async (tx) => {
    const result: SeedResult = { customersCreated: 0, facilitiesCreated: 0, unitsCreated: 0 };
    for (const [index, c] of fleet.customers.entries()) {
      const customer = await upsertCustomer(tx, c.code, [
        c.name,
        c.method,
        c.collectEverySeconds,
        simulatorUrl(opts.simHost, opts.simPortStart + index, c.method),
        opts.timezone ?? 'Europe/London',
      ]);
      if (customer.created) result.customersCreated++;
      for (const f of c.facilities) {
        const facRows = await tx.query<{ id: string; created: boolean }>(
          `WITH ins AS (
             INSERT INTO facilities (customer_id, facility_code, name, city, country)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, facility_code) DO NOTHING RETURNING id)
           SELECT id, true AS created FROM ins
           UNION ALL SELECT id, false FROM facilities WHERE customer_id = $1 AND facility_code = $2
           LIMIT 1`,
          [customer.id, f.code, f.name, f.city, f.country],
        );
        const facility = facRows[0]!;
        if (facility.created) result.facilitiesCreated++;
        for (const u of f.units) {
          const half = alarmHalfBand(u);
          const ins = await tx.query(
            `INSERT INTO storage_units (facility_id, customer_id, unit_code, name, size_value, size_unit,
               set_temperature, temperature_unit, equipment_type, alarm_low_limit, alarm_high_limit, data_frequency_seconds)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (facility_id, unit_code) DO NOTHING RETURNING id`,
            [
              facility.id,
              customer.id,
              u.code,
              u.name,
              u.size,
              u.sizeUnit,
              u.setTemperature,
              u.temperatureUnit,
              u.equipmentType ?? 'freezer',
              u.alarmLowLimit ?? u.setTemperature - half,
              u.alarmHighLimit ?? u.setTemperature + half,
              u.dataFrequencySeconds,
            ],
          );
          result.unitsCreated += ins.length;
        }
      }
      await tx.query(
        'INSERT INTO ingestion_schedule (customer_id) VALUES ($1) ON CONFLICT (customer_id) DO NOTHING',
        [customer.id],
      );
    }
    await beforeCommit?.(tx, result);
    return result;
  });
