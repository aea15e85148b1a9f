import { param, unitScopeConditions, type ReadingScope } from './readings-query-repo.ts';
import type { Sql } from './types.ts';

// What the compliance figures read (src/readings/compliance.ts): each unit's conventions, its readings
// with a temperature, and its hourly rollup rows. Times travel as epoch ms (float8), not Date: a
// month of minute readings is 44,640 rows.

/** A unit and what its figures depend on; limits and set point in the unit's own temperature_unit. */
export interface ComplianceUnitRow {
  id: string;
  facility_id: string;
  customer_id: string;
  name: string;
  set_temperature: number;
  temperature_unit: 'C' | 'F';
  alarm_low_limit: number | null;
  alarm_high_limit: number | null;
  unit_frequency_seconds: number | null;
  customer_frequency_seconds: number;
  data_sharing_method: 'api' | 'csv';
  mkt_activation_energy_kj_mol: number | null;
}

/** The units in scope (a unit, a facility, a customer, a token's units), by unit code. */
export const complianceUnits = (q: Sql, scope: ReadingScope): Promise<ComplianceUnitRow[]> => {
  const params: unknown[] = [];
  const c = unitScopeConditions(scope, params);
  return q.query<ComplianceUnitRow>(
    `SELECT u.id, u.facility_id, u.customer_id, coalesce(nullif(u.name, ''), u.unit_code) AS name,
            u.set_temperature, u.temperature_unit, u.alarm_low_limit, u.alarm_high_limit,
            u.data_frequency_seconds AS unit_frequency_seconds,
            cu.data_frequency_seconds AS customer_frequency_seconds, cu.data_sharing_method,
            u.mkt_activation_energy_kj_mol
     FROM storage_units u JOIN customers cu ON cu.id = u.customer_id
     ${c.length ? `WHERE ${c.join(' AND ')}` : ''} ORDER BY u.unit_code, u.id`,
    params,
  );
};

export interface ReadingPoint {
  /** recorded_at, epoch ms. */
  t: number;
  c: number;
}

const EPOCH_MS = '(extract(epoch FROM recorded_at) * 1000)::float8';

/** A unit's readings with a temperature in [from, to), ascending (the unique index serves it). */
export const readingPoints = (q: Sql, unitId: string, from: Date, to: Date): Promise<ReadingPoint[]> =>
  q.query<ReadingPoint>(
    `SELECT ${EPOCH_MS} AS t, temperature_c AS c FROM temperature_readings
     WHERE storage_unit_id = $1::uuid AND recorded_at >= $2::timestamptz AND recorded_at < $3::timestamptz
       AND temperature_c IS NOT NULL
     ORDER BY recorded_at`,
    [unitId, from, to],
  );

/** The first reading with a temperature at or after `at` (epoch ms), or null. */
export const nextReadingAt = async (q: Sql, unitId: string, at: Date): Promise<number | null> => {
  const [row] = await q.query<{ t: number }>(
    `SELECT ${EPOCH_MS} AS t FROM temperature_readings
     WHERE storage_unit_id = $1::uuid AND recorded_at >= $2::timestamptz AND temperature_c IS NOT NULL
     ORDER BY recorded_at LIMIT 1`,
    [unitId, at],
  );
  return row?.t ?? null;
};

/** A unit's readings with a temperature in the UTC hours starting at `hourStarts` (epoch ms), ascending. */
export const readingPointsInHours = (
  q: Sql,
  unitId: string,
  hourStarts: readonly number[],
): Promise<ReadingPoint[]> => {
  if (hourStarts.length === 0) return Promise.resolve([]);
  const params: unknown[] = [unitId];
  const hours = param(
    params,
    hourStarts.map((ms) => new Date(ms).toISOString()),
  );
  return q.query<ReadingPoint>(
    `SELECT ${EPOCH_MS} AS t, r.temperature_c AS c
     FROM unnest(${hours}::timestamptz[]) h(start)
     JOIN temperature_readings r ON r.storage_unit_id = $1::uuid
      AND r.recorded_at >= h.start AND r.recorded_at < h.start + interval '1 hour'
     WHERE r.temperature_c IS NOT NULL
     ORDER BY r.recorded_at`,
    params,
  );
};

/** One hourly rollup row, counting readings with a temperature only. */
export interface HourRollupRow {
  t: number;
  n: number;
  s: number;
  e: number;
  mn: number | null;
  mx: number | null;
}

/** A unit's hourly rollup rows with bucket_start in [from, to) (whole UTC hours), ascending. */
export const hourRollups = (q: Sql, unitId: string, from: Date, to: Date): Promise<HourRollupRow[]> =>
  q.query<HourRollupRow>(
    `SELECT (extract(epoch FROM bucket_start) * 1000)::float8 AS t, reading_count - null_count AS n,
            sum_c AS s, mkt_term_sum AS e, min_c AS mn, max_c AS mx
     FROM reading_rollups_hourly
     WHERE storage_unit_id = $1::uuid AND bucket_start >= $2::timestamptz AND bucket_start < $3::timestamptz
     ORDER BY bucket_start`,
    [unitId, from, to],
  );
