import { readingScopeConditions, statusNameSql } from './reading-keys.ts';
import {
  param,
  rangeSql,
  scopeConditions,
  unitScopeConditions,
  type ReadingScope,
} from './readings-query-repo.ts';
import { GOOD_QUALITY_THRESHOLD } from './readings-repo.ts';
import { dailyZoneReadySql } from './zone-rebuild-repo.ts';
import { localMidnight, TIME_GROUPS, type TimeGroup } from '../domain/time.ts';
import type { Sql } from './types.ts';

export type GroupKey = TimeGroup | 'facility' | 'unit' | 'sensor';

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

/**
 * One aggregate row in °C. `bucket_<g>` columns hold bucket starts as ISO 8601 UTC text (formatted by
 * the database: a year of buckets would otherwise cost a Date parse and a toISOString each), others
 * the grouping ids.
 */
export interface AggregateRow {
  bucket_hour?: string;
  bucket_day?: string;
  bucket_week?: string;
  bucket_month?: string;
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

type HalfOpen = { from?: Date; to?: Date };

/** Where each part of [start, end] is read from: raw edge minutes, hourly rollups, daily rollups. */
export interface RangePlan {
  raw: Array<{ from?: Date; to?: Date; toInclusive: boolean }>;
  hourly: HalfOpen[];
  /** Whole local days [fromDay, toDay) of the zone (YYYY-MM-DD; open ends unbounded). */
  daily?: { zone: string; fromDay?: string; toDay?: string; from?: Date; to?: Date };
}

/**
 * Splits [start, end] three ways: whole local days of `dayZone` (when given) from the daily
 * rollups, the remaining whole UTC hours from the hourly rollups, and the partial hours at each edge
 * from raw readings.
 */
export const planRange = (start: Date | undefined, end: Date | undefined, dayZone?: string): RangePlan => {
  const split = splitRange(start, end);
  if (!split.rollup) return { raw: split.raw, hourly: [] };
  const { from: a, to: b } = split.rollup;
  if (!dayZone) return { raw: split.raw, hourly: [split.rollup] };
  const d1 = a ? localMidnight(dayZone, a.getTime(), 'ceil') : undefined;
  const d2 = b ? localMidnight(dayZone, b.getTime(), 'floor') : undefined;
  if ((a && !d1) || (b && !d2) || (d1 && d2 && d1.startMs >= d2.startMs))
    return { raw: split.raw, hourly: [split.rollup] };
  const from = d1 ? new Date(d1.startMs) : undefined;
  const to = d2 ? new Date(d2.startMs) : undefined;
  const hourly: HalfOpen[] = [];
  if (a && from!.getTime() > a.getTime()) hourly.push({ from: a, to: from });
  if (b && to!.getTime() < b.getTime()) hourly.push({ from: to, to: b });
  return { raw: split.raw, hourly, daily: { zone: dayZone, fromDay: d1?.date, toDay: d2?.date, from, to } };
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

/** Bucket start of a daily-rollup row (a local date of the zone `tz`): the same instant date_trunc gives. */
const dailyGroupExpr = (g: GroupKey, tz: () => string): string => {
  switch (g) {
    case 'facility':
      return 'facility_id';
    case 'unit':
      return 'storage_unit_id';
    case 'day':
      return `(day::timestamp AT TIME ZONE ${tz()})`;
    case 'week':
    case 'month':
      return `(date_trunc('${g}', day::timestamp) AT TIME ZONE ${tz()})`;
    default:
      throw new Error(`${g} groups are not in the daily rollups`);
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

/** A timestamptz as `2026-03-29T23:00:00.000Z`, whatever the session's zone. */
const isoText = (col: string): string =>
  `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const ROLLUP_VALUES =
  'reading_count AS n, null_count AS nulls, sum_c AS s, min_c AS mn, max_c AS mx, good_quality_count AS good, storage_unit_id AS u';

/**
 * Count, nulls, sum, min, max (°C), good-quality count and distinct units per group over the scope
 * and range, summed in one statement from: whole local days from `reading_rollups_daily` (kept for
 * 'UTC' and each customer's zone; other customers' days come from the hourly rollups), the other
 * whole hours from `reading_rollups_hourly`, edge minutes from raw readings. With `raw`, everything
 * comes from raw readings (same result by construction).
 */
export const aggregateReadings = async (q: Sql, spec: AggregateSpec): Promise<AggregateRow[]> => {
  const params: unknown[] = [];
  let tzParam: string | undefined;
  const tz = (): string => (tzParam ??= `${param(params, spec.tz)}::text`);
  const good = spec.goodQuality ?? GOOD_QUALITY_THRESHOLD;
  const useRollups = !spec.raw && !spec.groupBy.includes('sensor') && good === GOOD_QUALITY_THRESHOLD;
  const timeGroups = spec.groupBy.filter((g) => (TIME_GROUPS as readonly string[]).includes(g));
  // Days of the buckets' zone; without time buckets any kept zone will do, and UTC is kept for all.
  const dayZone = spec.groupBy.includes('hour') ? undefined : timeGroups.length > 0 ? spec.tz : 'UTC';
  const plan: RangePlan = useRollups
    ? planRange(spec.start, spec.end, dayZone)
    : { raw: [{ from: spec.start, to: spec.end, toInclusive: true }], hourly: [] };
  const parts: string[] = [];
  const keysOf = (timeCol: string, forRollup: boolean) =>
    spec.groupBy.map((g) => `${groupExpr(g, timeCol, tz, forRollup)} AS ${alias(g)}`);
  const hourlyPart = (ranges: HalfOpen[], extra: string[] = []) => {
    const c = [
      ...scopeConditions(spec.scope, params, 'h.'),
      `(${ranges.map((r) => rangeSql('h.bucket_start', { ...r, toInclusive: false }, params)).join(' OR ')})`,
      ...extra,
    ];
    parts.push(
      `SELECT ${[...keysOf('bucket_start', true), ROLLUP_VALUES].join(', ')}
       FROM reading_rollups_hourly h WHERE ${c.join(' AND ')}`,
    );
  };
  if (plan.hourly.length > 0) hourlyPart(plan.hourly);
  if (plan.daily) {
    const d = plan.daily;
    const zone = timeGroups.length > 0 ? tz() : `${param(params, d.zone)}::text`;
    const c = [...scopeConditions(spec.scope, params, 'd.'), `d.time_zone = ${zone}`];
    if (d.fromDay) c.push(`d.day >= ${param(params, d.fromDay)}::date`);
    if (d.toDay) c.push(`d.day < ${param(params, d.toDay)}::date`);
    const kept = dailyZoneReadySql('d.customer_id', zone);
    if (d.zone !== 'UTC') c.push(kept);
    parts.push(
      `SELECT ${[...spec.groupBy.map((g) => `${dailyGroupExpr(g, tz)} AS ${alias(g)}`), ROLLUP_VALUES].join(', ')}
       FROM reading_rollups_daily d WHERE ${c.join(' AND ')}`,
    );
    // Customers whose own zone is not this one (or whose rows for it are being rebuilt after a zone
    // change) have no complete daily rows for it: their hours instead.
    if (d.zone !== 'UTC')
      hourlyPart([{ from: d.from, to: d.to }], [`NOT ${dailyZoneReadySql('h.customer_id', zone)}`]);
  }
  if (plan.raw.length > 0) {
    const goodParam = `${param(params, good)}::float8`;
    const c = [
      ...readingScopeConditions(spec.scope, params),
      `(${plan.raw.map((r) => rangeSql('recorded_at', r, params)).join(' OR ')})`,
    ];
    parts.push(
      `SELECT ${[...keysOf('recorded_at', false), '1 AS n', '(temperature_c IS NULL)::int AS nulls', 'coalesce(temperature_c, 0) AS s', 'temperature_c AS mn', 'temperature_c AS mx', `(quality_score >= ${goodParam})::int AS good`, 'storage_unit_id AS u'].join(', ')}
       FROM temperature_readings WHERE ${c.join(' AND ')}`,
    );
  }
  const keys = spec.groupBy.map(alias);
  const groupSql = keys.length ? `GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')}` : '';
  const outKeys = keys.map((k) => (k.startsWith('bucket_') ? `${isoText(k)} AS ${k}` : k));
  const rows = await q.query<AggregateRow>(
    `SELECT ${[...outKeys, 'sum(n)::int AS reading_count', 'sum(nulls)::int AS null_count', 'sum(s)::float8 AS sum_c', 'min(mn) AS min_c', 'max(mx) AS max_c', 'sum(good)::int AS good_count', spec.unitCount === false ? '0 AS unit_count' : 'count(DISTINCT u)::int AS unit_count'].join(', ')}
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
  // On `readings` itself: its partial index (migration 019) matches only the status code.
  const c = [
    ...readingScopeConditions(scope, params),
    rangeSql('recorded_at', { from: start, to: end, toInclusive: true }, params),
    "status <> 'n'",
    'temperature_c IS NOT NULL',
  ];
  const rows = await q.query<{ s: string; n: number }>(
    `SELECT ${statusNameSql('status')} AS s, count(*)::int AS n FROM readings WHERE ${c.join(' AND ')} GROUP BY status`,
    params,
  );
  return Object.fromEntries(rows.map((r) => [r.s, r.n]));
};

/** `unusualStatusCounts` for every customer at once (admin summary): one grouped scan of the partial index. */
export const unusualStatusCountsByCustomer = async (
  q: Sql,
  start: Date | undefined,
  end: Date | undefined,
): Promise<Map<string, Record<string, number>>> => {
  const params: unknown[] = [];
  const c = [
    rangeSql('r.recorded_at', { from: start, to: end, toInclusive: true }, params),
    "r.status <> 'n'",
    'r.temperature_c IS NOT NULL',
  ];
  const rows = await q.query<{ c: string; s: string; n: number }>(
    `SELECT u.customer_id AS c, ${statusNameSql('r.status')} AS s, count(*)::int AS n
     FROM readings r JOIN storage_units u ON u.reading_key = r.unit_key
     WHERE ${c.join(' AND ')} GROUP BY 1, r.status`,
    params,
  );
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) out.set(r.c, { ...out.get(r.c), [r.s]: r.n });
  return out;
};

/** First and last recorded_at in scope and range (two index probes). */
export const readingTimeBounds = async (
  q: Sql,
  scope: ReadingScope,
  start: Date | undefined,
  end: Date | undefined,
): Promise<{ first: Date | null; last: Date | null }> => {
  // Unit by unit (two index probes each): one ordered probe cannot span several unit keys.
  const params: unknown[] = [];
  const w = [
    'r.unit_key = u.reading_key',
    rangeSql('r.recorded_at', { from: start, to: end, toInclusive: true }, params),
  ].join(' AND ');
  const units = unitScopeConditions(scope, params);
  const [row] = await q.query<{ first: Date | null; last: Date | null }>(
    `SELECT min(x.first) AS first, max(x.last) AS last FROM storage_units u CROSS JOIN LATERAL (
       SELECT (SELECT r.recorded_at FROM readings r WHERE ${w} ORDER BY r.recorded_at LIMIT 1) AS first,
              (SELECT r.recorded_at FROM readings r WHERE ${w} ORDER BY r.recorded_at DESC LIMIT 1) AS last) x
     ${units.length ? `WHERE ${units.join(' AND ')}` : ''}`,
    params,
  );
  return row ?? { first: null, last: null };
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
