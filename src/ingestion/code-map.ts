import type { Sql } from '../db/types.ts';
import type { TemperatureUnit } from '../domain/units.ts';
import type { UnitLookup, UnitRef } from './processor.ts';

interface UnitCodeRow {
  facility_code: string;
  unit_code: string;
  storage_unit_id: string;
  facility_id: string;
  set_temperature: number;
  temperature_unit: TemperatureUnit;
}

const loadUnits = async (q: Sql, customerId: string): Promise<Map<string, UnitRef>> => {
  const rows = await q.query<UnitCodeRow>(
    `SELECT f.facility_code, u.unit_code, u.id AS storage_unit_id, f.id AS facility_id, u.set_temperature,
            u.temperature_unit
     FROM storage_units u JOIN facilities f ON f.id = u.facility_id
     WHERE u.customer_id = $1 AND u.is_active`,
    [customerId],
  );
  const map = new Map<string, UnitRef>();
  for (const r of rows)
    map.set(`${r.facility_code}\u0000${r.unit_code}`, {
      storageUnitId: r.storage_unit_id,
      facilityId: r.facility_id,
      setTemperature: r.set_temperature,
      temperatureUnit: r.temperature_unit,
    });
  return map;
};

const lookupOf = (map: Map<string, UnitRef>): UnitLookup => ({
  get: (f, u) => map.get(`${f}\u0000${u}`),
});

/**
 * Facility/unit code → id maps per customer, loaded in one query and cached. A code the cache does not
 * know triggers a reload (at most once per `minRefreshMs`), so units added while running are seen on
 * the next run without a restart, and rows for truly unknown units do not cost a query each.
 */
export class CodeMapCache {
  readonly #q: Sql;
  readonly #minRefreshMs: number;
  readonly #entries = new Map<string, { map: Map<string, UnitRef>; loadedAt: number }>();

  constructor(q: Sql, minRefreshMs = 5_000) {
    this.#q = q;
    this.#minRefreshMs = minRefreshMs;
  }

  /** A lookup for the customer that knows every code in `codes` if the database does. */
  async lookupFor(
    customerId: string,
    codes: Iterable<[string, string]>,
    nowMs = Date.now(),
  ): Promise<UnitLookup> {
    let entry = this.#entries.get(customerId);
    if (!entry) {
      entry = { map: await loadUnits(this.#q, customerId), loadedAt: nowMs };
      this.#entries.set(customerId, entry);
      return lookupOf(entry.map);
    }
    if (nowMs - entry.loadedAt >= this.#minRefreshMs) {
      for (const [f, u] of codes) {
        if (!entry.map.has(`${f}\u0000${u}`)) {
          entry = { map: await loadUnits(this.#q, customerId), loadedAt: nowMs };
          this.#entries.set(customerId, entry);
          break;
        }
      }
    }
    return lookupOf(entry.map);
  }

  /** Forgets a customer's codes (units renamed or deactivated). */
  invalidate(customerId?: string): void {
    if (customerId) this.#entries.delete(customerId);
    else this.#entries.clear();
  }
}

/** The (facility, unit) code pairs named by rows, for CodeMapCache.lookupFor. */
export const codesOf = function* (rows: readonly Record<string, unknown>[]): Generator<[string, string]> {
  for (const r of rows) {
    const f = r.facility_id ?? r.facility_code;
    const u = r.unit_id ?? r.unit_code;
    if (typeof f === 'string' && typeof u === 'string') yield [f.trim(), u.trim()];
  }
};
