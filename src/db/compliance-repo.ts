import { unitKeySql } from './reading-keys.ts';
import { unitScopeConditions, type ReadingScope } from './readings-query-repo.ts';
import type { Db, Sql } from './types.ts';

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
  /** Raw readings before this instant were deleted by retention (db/retention-repo.ts); null: none. */
  deleted_before: Date | null;
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
            u.mkt_activation_energy_kj_mol,
            (SELECT rr.deleted_before FROM reading_retention rr WHERE rr.customer_id = u.customer_id) AS deleted_before
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
    `SELECT ${EPOCH_MS} AS t, temperature_c AS c FROM readings
     WHERE unit_key = ${unitKeySql('$1::uuid')} AND recorded_at >= $2::timestamptz AND recorded_at < $3::timestamptz
       AND temperature_c IS NOT NULL
     ORDER BY recorded_at`,
    [unitId, from, to],
  );

/** The first reading with a temperature at or after `at` (epoch ms), or null. */
export const nextReadingAt = async (q: Sql, unitId: string, at: Date): Promise<number | null> => {
  const [row] = await q.query<{ t: number }>(
    `SELECT ${EPOCH_MS} AS t FROM readings
     WHERE unit_key = ${unitKeySql('$1::uuid')} AND recorded_at >= $2::timestamptz AND temperature_c IS NOT NULL
     ORDER BY recorded_at LIMIT 1`,
    [unitId, at],
  );
  return row?.t ?? null;
};

/**
 * A unit's readings with a temperature in the UTC hours starting at `hourStarts` (epoch ms), ascending.
 * One index range scan per hour (the LATERAL subquery with OFFSET 0 is not flattened into a join the
 * planner would rather run as one scan of the unit's whole history). JIT is off for it: the planner
 * cannot estimate the rows of a parameterised hour (58,000 instead of 60), so the plan's cost crosses
 * jit_above_cost and compiling would take longer than the query (measured: 0.9 s vs 10 ms).
 */
export const readingPointsInHours = async (
  db: Db,
  unitId: string,
  hourStarts: readonly number[],
): Promise<ReadingPoint[]> => {
  if (hourStarts.length === 0) return [];
  const hours = hourStarts.map((ms) => new Date(ms).toISOString());
  const rows = await db.transaction(async (tx) => {
    await tx.query('SET LOCAL jit = off');
    return tx.query<ReadingPoint>(
      `SELECT x.t, x.c FROM unnest($2::timestamptz[]) h(start)
       CROSS JOIN LATERAL (
         SELECT ${EPOCH_MS} AS t, r.temperature_c AS c FROM readings r
         WHERE r.unit_key = ${unitKeySql('$1::uuid')} AND r.recorded_at >= h.start
           AND r.recorded_at < h.start + interval '1 hour' AND r.temperature_c IS NOT NULL
         OFFSET 0) x`,
      [unitId, hours],
    );
  });
  return rows.sort((a, b) => a.t - b.t);
};

/** Sums over a unit's whole hours in a range (readings with a temperature only). */
export interface HourTotals {
  n: number;
  s: number;
  e: number;
  mn: number | null;
  mx: number | null;
}

/** The hours the rollup path must read raw, and the sums of all of them (domain/compliance-rollups.ts). */
export interface HoursToRead {
  totals: HourTotals;
  /** Hours with a reading (a temperature) in the range. */
  filled: number;
  /** Each hour to read: its start (epoch ms) and its position among the filled hours (1-based). */
  hours: Array<{ t: number; i: number }>;
}

/**
 * Over a unit's hourly rollup rows with bucket_start in [from, to) (whole UTC hours), in one statement
 * so no hour row leaves the database: the sums, and the hours whose readings must be read (the rule of
 * domain/compliance-rollups.ts): a reading beyond `lowC`/`highC` by the row's min/max, fewer than
 * `fullCount` readings and failed reads, beside an hour without readings, or the first or last.
 */
export const hoursToRead = async (
  q: Sql,
  unitId: string,
  from: Date,
  to: Date,
  rule: { lowC: number; highC: number; fullCount: number },
): Promise<HoursToRead> => {
  const rows = await q.query<{ t: number; i: number; filled: number } & HourTotals>(
    `WITH h AS (
       SELECT bucket_start AS b, reading_count - null_count AS n, null_count AS f, sum_c AS s, mkt_term_sum AS e,
              min_c AS mn, max_c AS mx
       FROM reading_rollups_hourly
       WHERE storage_unit_id = $1::uuid AND bucket_start >= $2::timestamptz AND bucket_start < $3::timestamptz
         AND reading_count > null_count
     ), k AS (
       SELECT b, n, f, mn, mx, row_number() OVER w AS i, count(*) OVER () AS filled,
              lag(b) OVER w AS prev_b, lead(b) OVER w AS next_b,
              sum(n) OVER () AS tn, sum(s) OVER () AS ts, sum(e) OVER () AS te,
              min(mn) OVER () AS tmn, max(mx) OVER () AS tmx
       FROM h WINDOW w AS (ORDER BY b)
     )
     SELECT (extract(epoch FROM b) * 1000)::float8 AS t, i::int AS i, filled::int AS filled, tn::int AS n,
            ts::float8 AS s, te::float8 AS e, tmn AS mn, tmx AS mx
     FROM k
     WHERE mn < $4::float8 OR mx > $5::float8 OR n + f < $6::int OR i = 1 OR i = filled
        OR prev_b < b - interval '1 hour' OR next_b > b + interval '1 hour'
     ORDER BY b`,
    [unitId, from, to, rule.lowC, rule.highC, rule.fullCount],
  );
  const first = rows[0];
  return {
    totals: first
      ? { n: first.n, s: first.s, e: first.e, mn: first.mn, mx: first.mx }
      : { n: 0, s: 0, e: 0, mn: null, mx: null },
    filled: first?.filled ?? 0,
    hours: rows.map((r) => ({ t: r.t, i: r.i })),
  };
};

/** What the hourly rollups keep of whole hours whose raw readings retention deleted. */
export interface DeletedHours {
  totals: HourTotals;
  /** Hours with a reading (a temperature). */
  filled: number;
  first_t: number | null;
  last_t: number | null;
  /** The longest step between consecutive hours with readings, ms (0: fewer than two). */
  max_step_ms: number;
  /** Hours whose min or max lies beyond the limits: start (epoch ms), readings, min and max. */
  beyond: Array<{ t: number; n: number; mn: number; mx: number }>;
}

/**
 * Over a unit's hourly rollup rows with bucket_start in [from, to): the sums, the span and the hours
 * beyond `lowC`/`highC` (for the part of a window whose raw readings retention deleted).
 */
export const deletedHours = async (
  q: Sql,
  unitId: string,
  from: Date,
  to: Date,
  limits: { lowC: number; highC: number },
): Promise<DeletedHours> => {
  const [row] = await q.query<DeletedHours & HourTotals>(
    `WITH h AS (
       SELECT bucket_start AS b, reading_count - null_count AS n, sum_c AS s, mkt_term_sum AS e, min_c AS mn, max_c AS mx
       FROM reading_rollups_hourly
       WHERE storage_unit_id = $1::uuid AND bucket_start >= $2::timestamptz AND bucket_start < $3::timestamptz
         AND reading_count > null_count
     ), k AS (SELECT b, b - lag(b) OVER (ORDER BY b) AS step FROM h)
     SELECT coalesce(sum(n), 0)::int AS n, coalesce(sum(s), 0)::float8 AS s, coalesce(sum(e), 0)::float8 AS e,
            min(mn) AS mn, max(mx) AS mx, count(*)::int AS filled,
            (extract(epoch FROM min(b)) * 1000)::float8 AS first_t, (extract(epoch FROM max(b)) * 1000)::float8 AS last_t,
            coalesce((SELECT (extract(epoch FROM max(step)) * 1000)::float8 FROM k), 0)::float8 AS max_step_ms,
            coalesce((SELECT json_agg(json_build_object('t', (extract(epoch FROM b) * 1000)::float8, 'n', n, 'mn', mn,
                                                        'mx', mx) ORDER BY b)
                      FROM h WHERE mn < $4::float8 OR mx > $5::float8), '[]'::json) AS beyond
     FROM h`,
    [unitId, from, to, limits.lowC, limits.highC],
  );
  const r = row!;
  const beyond = (typeof r.beyond === 'string' ? JSON.parse(r.beyond) : r.beyond) as DeletedHours['beyond'];
  return {
    totals: { n: r.n, s: r.s, e: r.e, mn: r.mn, mx: r.mx },
    filled: r.filled,
    first_t: r.first_t,
    last_t: r.last_t,
    max_step_ms: r.max_step_ms,
    beyond: beyond.map((x) => ({ t: Number(x.t), n: Number(x.n), mn: Number(x.mn), mx: Number(x.mx) })),
  };
};
