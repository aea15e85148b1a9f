import { param, scopeConditions, type ReadingScope } from './readings-query-repo.ts';
import { GOOD_QUALITY_THRESHOLD } from './readings-repo.ts';
import type { Sql } from './types.ts';

export type TimeGroup = 'hour' | 'day' | 'week' | 'month';
export type GroupKey = TimeGroup | 'facility' | 'unit' | 'sensor';
export const TIME_GROUPS: readonly TimeGroup[] = ['hour', 'day', 'week', 'month'];

export interface AggregateSpec {
  scope: ReadingScope;
  start?: Date;
  /** Inclusive. */
  end?: Date;
  groupBy: readonly GroupKey[];
  /** IANA zone in which day/week/month (and hour) buckets start. */
  tz: string;
  /** Skip the rollups and scan raw readings (tests compare both paths; sensor groups need it). */
  raw?: boolean;
  goodQuality?: number;
  /** Count distinct units per group (costs a sort; stats need it, trends do not). */
  unitCount?: boolean;
}

/** One aggregate row in °C. `bucket_<g>` columns hold bucket starts, others the grouping ids. */
export interface AggregateRow {
  bucket_hour?: Date;
  bucket_day?: Date;
  bucket_week?: Date;
  bucket_month?: Date;
  facility_id?: string;
  storage_unit_id?: string;
  sensor_id?: string | null;
  reading_count: number;
  null_count: number;
  sum_c: number | null;
  min_c: number | null;
  max_c: number | null;
  good_count: number;
  unit_count: number;
}

const floorHour = (d: Date): Date => new Date(Math.floor(d.getTime() / 3_600_000) * 3_600_000);
const ceilHour = (d: Date): Date => new Date(Math.ceil(d.getTime() / 3_600_000) * 3_600_000);

/**
 * Splits [start, end] into whole UTC hours served by the rollups and the partial hours at each
 * edge, which must come from raw rows. `rollup` is undefined when no whole hour fits.
 */
export const splitRange = (
  start: Date | undefined,
  end: Date | undefined,
): { rollup?: { from?: Date; to?: Date }; raw: Array<{ from?: Date; to?: Date; toInclusive: boolean }> } => {
  const from = start ? ceilHour(start) : undefined;
  const to = end ? floorHour(end) : undefined;
  if (from && to && from.getTime() >= to.getTime())
    return { raw: [{ from: start, to: end, toInclusive: true }] };
  const raw: Array<{ from?: Date; to?: Date; toInclusive: boolean }> = [];
  if (start && from!.getTime() > start.getTime()) raw.push({ from: start, to: from, toInclusive: false });
  if (end) raw.push({ from: to, to: end, toInclusive: true });
  return { rollup: { from, to }, raw };
};

const rangeSql = (
  col: string,
  r: { from?: Date; to?: Date; toInclusive: boolean },
  params: unknown[],
): string => {
  const c: string[] = [];
  if (r.from) c.push(`${col} >= ${param(params, r.from)}::timestamptz`);
  if (r.to) c.push(`${col} ${r.toInclusive ? '<=' : '<'} ${param(params, r.to)}::timestamptz`);
  return c.length ? `(${c.join(' AND ')})` : 'true';
};

const groupExpr = (g: GroupKey, timeCol: string, tz: () => string, forRollup: boolean): string => {
  switch (g) {
    case 'facility':
      return 'facility_id';
    case 'unit':
      return 'storage_unit_id';
    case 'sensor':
      if (forRollup) throw new Error('sensor groups are not in the rollups');
      return 'sensor_id';
    default:
      return `date_trunc('${g}', ${timeCol}, ${tz()})`;
  }
};

const alias = (g: GroupKey): string =>
  g === 'facility'
    ? 'facility_id'
    : g === 'unit'
      ? 'storage_unit_id'
      : g === 'sensor'
        ? 'sensor_id'
        : `bucket_${g}`;

/**
 * Count, nulls, sum, min, max (°C), good-quality count and distinct units per group over the scope
 * and range: whole hours from `reading_rollups_hourly`, edge minutes from raw readings, summed in
 * one statement. With `raw`, everything comes from raw readings (same result by construction).
 */
export const aggregateReadings = async (q: Sql, spec: AggregateSpec): Promise<AggregateRow[]> => {
  const params: unknown[] = [];
  let tzParam: string | undefined;
  const tz = (): string => (tzParam ??= `${param(params, spec.tz)}::text`);
  const good = spec.goodQuality ?? GOOD_QUALITY_THRESHOLD;
  const useRollups = !spec.raw && !spec.groupBy.includes('sensor') && good === GOOD_QUALITY_THRESHOLD;
  const split = useRollups
    ? splitRange(spec.start, spec.end)
    : { rollup: undefined, raw: [{ from: spec.start, to: spec.end, toInclusive: true }] };
  const parts: string[] = [];
  const keysOf = (timeCol: string, forRollup: boolean) =>
    spec.groupBy.map((g) => `${groupExpr(g, timeCol, tz, forRollup)} AS ${alias(g)}`);
  if (split.rollup) {
    const c = [
      ...scopeConditions(spec.scope, params),
      rangeSql('bucket_start', { ...split.rollup, toInclusive: false }, params),
    ];
    parts.push(
      `SELECT ${[...keysOf('bucket_start', true), 'reading_count AS n', 'null_count AS nulls', 'sum_c AS s', 'min_c AS mn', 'max_c AS mx', 'good_quality_count AS good', 'storage_unit_id AS u'].join(', ')}
       FROM reading_rollups_hourly WHERE ${c.join(' AND ')}`,
    );
  }
  if (split.raw.length > 0) {
    const goodParam = `${param(params, good)}::float8`;
    const c = [
      ...scopeConditions(spec.scope, params),
      `(${split.raw.map((r) => rangeSql('recorded_at', r, params)).join(' OR ')})`,
    ];
    parts.push(
      `SELECT ${[...keysOf('recorded_at', false), '1 AS n', '(temperature_c IS NULL)::int AS nulls', 'coalesce(temperature_c, 0) AS s', 'temperature_c AS mn', 'temperature_c AS mx', `(quality_score >= ${goodParam})::int AS good`, 'storage_unit_id AS u'].join(', ')}
       FROM temperature_readings WHERE ${c.join(' AND ')}`,
    );
  }
  const keys = spec.groupBy.map(alias);
  const groupSql = keys.length ? `GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')}` : '';
  const rows = await q.query<AggregateRow>(
    `SELECT ${[...keys, 'sum(n)::int AS reading_count', 'sum(nulls)::int AS null_count', 'sum(s)::float8 AS sum_c', 'min(mn) AS min_c', 'max(mx) AS max_c', 'sum(good)::int AS good_count', spec.unitCount === false ? '0 AS unit_count' : 'count(DISTINCT u)::int AS unit_count'].join(', ')}
     FROM (${parts.join(' UNION ALL ')}) p ${groupSql}`,
    params,
  );
  // An ungrouped aggregate over nothing still yields one row; keep it (zeros) for stats.
  return rows.filter((r) => keys.length === 0 || r.reading_count > 0);
};

/** Readings with a status other than normal or a null-temperature failure (rare: served by a partial index). */
export const unusualStatusCounts = async (
  q: Sql,
  scope: ReadingScope,
  start: Date | undefined,
  end: Date | undefined,
): Promise<Record<string, number>> => {
  const params: unknown[] = [];
  const c = [
    ...scopeConditions(scope, params),
    rangeSql('recorded_at', { from: start, to: end, toInclusive: true }, params),
    "equipment_status <> 'normal'",
    'temperature_c IS NOT NULL',
  ];
  const rows = await q.query<{ s: string; n: number }>(
    `SELECT equipment_status AS s, count(*)::int AS n FROM temperature_readings WHERE ${c.join(' AND ')} GROUP BY 1`,
    params,
  );
  return Object.fromEntries(rows.map((r) => [r.s, r.n]));
};

/** First and last recorded_at in scope and range (two index probes). */
export const readingTimeBounds = async (
  q: Sql,
  scope: ReadingScope,
  start: Date | undefined,
  end: Date | undefined,
): Promise<{ first: Date | null; last: Date | null }> => {
  const params: unknown[] = [];
  const c = [
    ...scopeConditions(scope, params),
    rangeSql('recorded_at', { from: start, to: end, toInclusive: true }, params),
  ];
  const w = c.join(' AND ');
  const [row] = await q.query<{ first: Date | null; last: Date | null }>(
    `SELECT (SELECT recorded_at FROM temperature_readings WHERE ${w} ORDER BY recorded_at LIMIT 1) AS first,
            (SELECT recorded_at FROM temperature_readings WHERE ${w} ORDER BY recorded_at DESC LIMIT 1) AS last`,
    params,
  );
  return row ?? { first: null, last: null };
};

export interface DeviationRow {
  avg_c: number | null;
  max_c: number | null;
  min_c: number | null;
}

/**
 * |temperature − set point| in °C, per raw reading (set points are stored in the unit's own
 * unit and converted here). With `hourlyMeans`, per hourly mean from the rollups instead (for
 * long ranges; the response says which basis was used).
 */
export const temperatureDeviation = async (
  q: Sql,
  scope: ReadingScope,
  start: Date,
  end: Date,
  hourlyMeans: boolean,
): Promise<DeviationRow> => {
  const params: unknown[] = [];
  const c = scopeConditions(scope, params, 'x.');
  const setC = `CASE WHEN u.temperature_unit = 'F' THEN (u.set_temperature - 32) * 5.0 / 9.0 ELSE u.set_temperature END`;
  const value = hourlyMeans ? 'x.sum_c / nullif(x.reading_count - x.null_count, 0)' : 'x.temperature_c';
  const table = hourlyMeans ? 'reading_rollups_hourly' : 'temperature_readings';
  const timeCol = hourlyMeans ? 'x.bucket_start' : 'x.recorded_at';
  c.push(`${timeCol} >= ${param(params, start)}`, `${timeCol} <= ${param(params, end)}`);
  const [row] = await q.query<DeviationRow>(
    `SELECT avg(d)::float8 AS avg_c, max(d)::float8 AS max_c, min(d)::float8 AS min_c FROM (
       SELECT abs(${value} - ${setC}) AS d FROM ${table} x JOIN storage_units u ON u.id = x.storage_unit_id
       WHERE ${c.join(' AND ')}) t WHERE d IS NOT NULL`,
    params,
  );
  return row ?? { avg_c: null, max_c: null, min_c: null };
};

/** Per customer and overall, for the admin summary: one grouped rollup query instead of N+1. */
export const aggregateByCustomer = async (
  q: Sql,
  start: Date | undefined,
  end: Date | undefined,
  raw = false,
): Promise<Array<AggregateRow & { customer_id: string }>> => {
  // The customer is a grouping key the rollups carry too; reuse the generic builder with a facility
  // group and fold facilities into customers in one outer query.
  const rows = await aggregateReadings(q, { scope: {}, start, end, groupBy: ['unit'], tz: 'UTC', raw });
  if (rows.length === 0) return [];
  const owners = await q.query<{ id: string; customer_id: string }>(
    'SELECT id, customer_id FROM storage_units WHERE id = ANY($1::uuid[])',
    [rows.map((r) => r.storage_unit_id)],
  );
  const ownerOf = new Map(owners.map((o) => [o.id, o.customer_id]));
  const byCustomer = new Map<string, AggregateRow & { customer_id: string }>();
  for (const r of rows) {
    const cid = ownerOf.get(r.storage_unit_id!);
    if (!cid) continue;
    const acc = byCustomer.get(cid);
    if (!acc) {
      byCustomer.set(cid, {
        ...r,
        customer_id: cid,
        storage_unit_id: undefined,
        unit_count: r.reading_count > 0 ? 1 : 0,
      });
      continue;
    }
    acc.reading_count += r.reading_count;
    acc.null_count += r.null_count;
    acc.sum_c = (acc.sum_c ?? 0) + (r.sum_c ?? 0);
    acc.min_c = acc.min_c === null ? r.min_c : r.min_c === null ? acc.min_c : Math.min(acc.min_c, r.min_c);
    acc.max_c = acc.max_c === null ? r.max_c : r.max_c === null ? acc.max_c : Math.max(acc.max_c, r.max_c);
    acc.good_count += r.good_count;
    acc.unit_count += r.reading_count > 0 ? 1 : 0;
  }
  return [...byCustomer.values()];
};
