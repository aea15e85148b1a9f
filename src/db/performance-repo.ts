import { readingScopeConditions } from './reading-keys.ts';
import {
  param,
  rangeSql,
  scopeConditions,
  unitScopeConditions,
  type ReadingScope,
} from './readings-query-repo.ts';
import { celsiusSql } from './sql-units.ts';
import type { Sql } from './types.ts';

/** Per unit in scope: its first rollup hour ever, its newest hour up to `until`, its reporting periods. */
export interface UnitSpanRow {
  storage_unit_id: string;
  first_hour: Date;
  newest_hour: Date | null;
  unit_frequency_seconds: number | null;
  customer_frequency_seconds: number;
}

/** Units with at least one reading, and where their data starts and ends (two index probes each). */
export const unitSpans = async (q: Sql, scope: ReadingScope, until: Date): Promise<UnitSpanRow[]> => {
  const params: unknown[] = [];
  const c = unitScopeConditions(scope, params);
  const untilP = param(params, until);
  return q.query<UnitSpanRow>(
    `SELECT * FROM (
       SELECT u.id AS storage_unit_id, u.data_frequency_seconds AS unit_frequency_seconds,
         cu.data_frequency_seconds AS customer_frequency_seconds,
         (SELECT h.bucket_start FROM reading_rollups_hourly h WHERE h.storage_unit_id = u.id
          ORDER BY h.bucket_start LIMIT 1) AS first_hour,
         (SELECT h.bucket_start FROM reading_rollups_hourly h WHERE h.storage_unit_id = u.id
            AND h.bucket_start <= ${untilP}::timestamptz ORDER BY h.bucket_start DESC LIMIT 1) AS newest_hour
       FROM storage_units u JOIN customers cu ON cu.id = u.customer_id
       ${c.length ? `WHERE ${c.join(' AND ')}` : ''}) s
     WHERE first_hour IS NOT NULL`,
    params,
  );
};

/**
 * Per unit, the number of UTC hours in [from, to) holding at least one valid temperature: a count
 * per unit over the hourly rollups, so no hour row leaves the database.
 */
export const coveredHours = async (
  q: Sql,
  spans: ReadonlyArray<{ unitId: string; from: Date; to: Date }>,
): Promise<Map<string, number>> => {
  if (spans.length === 0) return new Map();
  const rows = await q.query<{ id: string; covered: number }>(
    `SELECT s.id, (SELECT count(*)::int FROM reading_rollups_hourly h
                   WHERE h.storage_unit_id = s.id AND h.bucket_start >= s.from_h AND h.bucket_start < s.to_t
                     AND h.reading_count > h.null_count) AS covered
     FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS s(id, from_h, to_t)`,
    [spans.map((s) => s.unitId), spans.map((s) => s.from), spans.map((s) => s.to)],
  );
  return new Map(rows.map((r) => [r.id, r.covered]));
};

/**
 * Failed reads (equipment_status 'failure', with or without a temperature) in scope and range, and
 * how many of them carry a quality score ≥ `good` (the rollups count those as good quality). Rare
 * rows, served by the partial indexes of migration 009.
 */
export const failedReads = async (
  q: Sql,
  scope: ReadingScope,
  start: Date,
  end: Date,
  good: number,
): Promise<{ failed: number; failed_good: number }> => {
  const params: unknown[] = [];
  // On `readings` itself: its partial index of failed reads (migration 019) matches the status code.
  const c = [
    ...readingScopeConditions(scope, params),
    rangeSql('recorded_at', { from: start, to: end, toInclusive: true }, params),
    "status = 'f'",
  ];
  const [row] = await q.query<{ failed: number; failed_good: number }>(
    `SELECT count(*)::int AS failed,
            (count(*) FILTER (WHERE quality_score::numeric::float8 >= ${param(params, good)}::float8))::int AS failed_good
     FROM readings WHERE ${c.join(' AND ')}`,
    params,
  );
  return row ?? { failed: 0, failed_good: 0 };
};

/** Set point of each unit asked for, in °C. */
export const setPointsC = async (q: Sql, unitIds: readonly string[]): Promise<Map<string, number>> => {
  if (unitIds.length === 0) return new Map();
  const rows = await q.query<{ id: string; set_c: number }>(
    `SELECT id, ${celsiusSql('set_temperature', 'temperature_unit')}::float8 AS set_c
     FROM storage_units WHERE id = ANY($1::uuid[])`,
    [unitIds],
  );
  return new Map(rows.map((r) => [r.id, r.set_c]));
};

export interface DeviationRow {
  avg_c: number | null;
  min_c: number | null;
}

/**
 * Average and smallest |temperature − set point| in °C, per raw reading, or with `hourlyMeans` per
 * hourly mean from the rollups (long ranges: approximate, and the report says so). The largest
 * deviation is not computed here: it comes exactly from the readings' extremes.
 */
export const meanDeviation = async (
  q: Sql,
  scope: ReadingScope,
  start: Date,
  end: Date,
  hourlyMeans: boolean,
): Promise<DeviationRow> => {
  const params: unknown[] = [];
  const c = hourlyMeans ? scopeConditions(scope, params, 'x.') : readingScopeConditions(scope, params, 'x.');
  const setC = celsiusSql('u.set_temperature', 'u.temperature_unit');
  const value = hourlyMeans ? 'x.sum_c / nullif(x.reading_count - x.null_count, 0)' : 'x.temperature_c';
  const table = hourlyMeans ? 'reading_rollups_hourly' : 'temperature_readings';
  const timeCol = hourlyMeans ? 'x.bucket_start' : 'x.recorded_at';
  c.push(rangeSql(timeCol, { from: start, to: end, toInclusive: true }, params));
  const [row] = await q.query<DeviationRow>(
    `SELECT avg(d)::float8 AS avg_c, min(d)::float8 AS min_c FROM (
       SELECT abs(${value} - ${setC}) AS d FROM ${table} x JOIN storage_units u ON u.id = x.storage_unit_id
       WHERE ${c.join(' AND ')}) t WHERE d IS NOT NULL`,
    params,
  );
  return row ?? { avg_c: null, min_c: null };
};
