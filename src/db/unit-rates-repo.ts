import type { Sql } from './types.ts';

export interface ExpectedRate {
  /** The customer's storage units, active or not (a source may still report a deactivated one). */
  units: number;
  /** Readings per second all of them produce together: Σ 1 / data_frequency_seconds. */
  readingsPerSecond: number;
}

/** How many readings a customer's source should send per second; `defaultIntervalSeconds` for units without an interval. */
export const expectedReadingRate = async (
  q: Sql,
  customerId: string,
  defaultIntervalSeconds: number,
): Promise<ExpectedRate> => {
  const [row] = await q.query<{ units: number; per_second: number }>(
    `SELECT count(*)::int AS units,
            coalesce(sum(1.0 / coalesce(data_frequency_seconds, $2)), 0)::float8 AS per_second
     FROM storage_units WHERE customer_id = $1`,
    [customerId, defaultIntervalSeconds],
  );
  return { units: row?.units ?? 0, readingsPerSecond: row?.per_second ?? 0 };
};
