import {
  aggregateByCustomer,
  aggregateReadings,
  readingTimeBounds,
  unusualStatusCounts,
  unusualStatusCountsByCustomer,
  type AggregateRow,
  type GroupKey,
} from '../db/analytics-repo.ts';
import { TIME_GROUPS, type TimeGroup } from '../domain/time.ts';
import { getConfigValue } from '../db/config-repo.ts';
import type { ReadingScope } from '../db/readings-query-repo.ts';
import { listCustomers } from '../db/customers-repo.ts';
import { AppError } from '../lib/errors.ts';
import type { FeatureContext } from './context.ts';
import { checkOrder, checkTimeZone, MAX_RAW_RANGE_DAYS, wholeHourZone, type Range } from './time.ts';
import { celsiusTo, type TemperatureUnit } from '../domain/units.ts';

const DAY_MS = 86_400_000;

/** The prototype's TemperatureStats, computed in °C and returned in `unit`, plus status detail. */
export interface TemperatureStats {
  min_temperature: number | null;
  max_temperature: number | null;
  avg_temperature: number | null;
  reading_count: number;
  normal_count: number;
  warning_count: number;
  error_count: number;
  failure_count: number;
  maintenance_count: number;
  unit_count: number;
  time_range_start: Date | null;
  time_range_end: Date | null;
  temperature_unit: TemperatureUnit;
}

const avgC = (r: Pick<AggregateRow, 'sum_c' | 'reading_count' | 'null_count'>): number | null => {
  const n = r.reading_count - r.null_count;
  return n > 0 && r.sum_c !== null ? r.sum_c / n : null;
};

const statsFrom = (
  agg: AggregateRow | undefined,
  unusual: Record<string, number>,
  bounds: { first: Date | null; last: Date | null },
  unit: TemperatureUnit,
): TemperatureStats => {
  const n = agg?.reading_count ?? 0;
  const nulls = agg?.null_count ?? 0;
  const other = Object.values(unusual).reduce((a, b) => a + b, 0);
  return {
    min_temperature: celsiusTo(agg?.min_c, unit),
    max_temperature: celsiusTo(agg?.max_c, unit),
    avg_temperature: agg ? celsiusTo(avgC(agg), unit) : null,
    reading_count: n,
    normal_count: n - nulls - other,
    warning_count: unusual.warning ?? 0,
    // The prototype's "error" bucket: equipment errors and failed sensor reads.
    error_count: (unusual.error ?? 0) + nulls + (unusual.failure ?? 0),
    failure_count: nulls + (unusual.failure ?? 0),
    maintenance_count: unusual.maintenance ?? 0,
    unit_count: agg?.unit_count ?? 0,
    time_range_start: bounds.first,
    time_range_end: bounds.last,
    temperature_unit: unit,
  };
};

/** Stats over a scope and optional range (unbounded ranges are fine: whole hours come from the rollups). */
export const temperatureStats = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  range: Range,
  unit: TemperatureUnit = 'C',
  opts: { raw?: boolean } = {},
): Promise<TemperatureStats> => {
  checkOrder(range);
  const [agg, unusual, bounds] = await Promise.all([
    aggregateReadings(ctx.db, {
      scope,
      start: range.start,
      end: range.end,
      groupBy: [],
      tz: 'UTC',
      raw: opts.raw,
    }),
    unusualStatusCounts(ctx.db, scope, range.start, range.end),
    readingTimeBounds(ctx.db, scope, range.start, range.end),
  ]);
  return statsFrom(agg[0], unusual, bounds, unit);
};

export interface AggregationResult {
  group_key: Record<string, string | null>;
  metrics: Record<string, number | null>;
  temperature_unit: TemperatureUnit;
}

const DEFAULT_SPAN_DAYS: Record<TimeGroup, number> = { hour: 1, day: 7, week: 30, month: 365 };
const MAX_SPAN_DAYS: Record<TimeGroup, number> = { hour: 366, day: 3660, week: 3660, month: 3660 };

const checkRawSpan = (start: Date, end: Date, why: string): void => {
  if (end.getTime() - start.getTime() > MAX_RAW_RANGE_DAYS * DAY_MS)
    throw new AppError(
      'VALIDATION',
      `${why} is computed from raw readings: at most ${MAX_RAW_RANGE_DAYS} days per request`,
    );
};

const nameMaps = async (ctx: FeatureContext, rows: AggregateRow[]) => {
  const fids = [...new Set(rows.map((r) => r.facility_id).filter((x): x is string => !!x))];
  const uids = [...new Set(rows.map((r) => r.storage_unit_id).filter((x): x is string => !!x))];
  const [f, u] = await Promise.all([
    fids.length
      ? ctx.db.query<{ id: string; name: string | null }>(
          "SELECT id, coalesce(nullif(name, ''), facility_code) AS name FROM facilities WHERE id = ANY($1::uuid[])",
          [fids],
        )
      : [],
    uids.length
      ? ctx.db.query<{ id: string; name: string | null }>(
          "SELECT id, coalesce(nullif(name, ''), unit_code) AS name FROM storage_units WHERE id = ANY($1::uuid[])",
          [uids],
        )
      : [],
  ]);
  return { facility: new Map(f.map((x) => [x.id, x.name])), unit: new Map(u.map((x) => [x.id, x.name])) };
};

export interface AggregateInput extends Range {
  group_by: GroupKey[];
  aggregations: Array<'avg' | 'min' | 'max' | 'count'>;
  tz?: string;
  unit?: TemperatureUnit;
}

/** Grouped aggregates (the prototype's POST /temperature/aggregate and the trends endpoint). */
export const aggregateTemperatures = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  input: AggregateInput,
  opts: { raw?: boolean } = {},
): Promise<AggregationResult[]> => {
  checkOrder(input);
  const tz = checkTimeZone(input.tz ?? 'UTC');
  const unit = input.unit ?? 'C';
  const groups = [...new Set(input.group_by)];
  let { start, end } = input;
  let raw = opts.raw;
  const now = ctx.clock.now();
  const timeGrouped = groups.some((g) => (TIME_GROUPS as string[]).includes(g));
  const zoneOk =
    !timeGrouped || wholeHourZone(tz, start ?? new Date((end ?? now).getTime() - 3660 * DAY_MS), end ?? now);
  if (groups.includes('sensor') || !zoneOk) {
    end ??= now;
    start ??= new Date(end.getTime() - MAX_RAW_RANGE_DAYS * DAY_MS);
    checkRawSpan(start, end, groups.includes('sensor') ? 'Grouping by sensor' : `Bucketing in ${tz}`);
    raw = true;
  }
  const rows = await aggregateReadings(ctx.db, {
    scope,
    start,
    end,
    groupBy: groups,
    tz,
    raw,
    unitCount: false,
  });
  const names = await nameMaps(ctx, rows);
  const wanted = new Set(input.aggregations);
  return rows.map((r) => {
    const key: Record<string, string | null> = {};
    for (const g of groups) {
      if (g === 'facility') {
        key.facility_id = r.facility_id ?? null;
        key.facility_name = names.facility.get(r.facility_id!) ?? null;
      } else if (g === 'unit') {
        key.storage_unit_id = r.storage_unit_id ?? null;
        key.unit_name = names.unit.get(r.storage_unit_id!) ?? null;
      } else if (g === 'sensor') key.sensor_id = r.sensor_id ?? null;
      else key[g] = r[`bucket_${g}`] ?? null;
    }
    const metrics: Record<string, number | null> = {};
    if (wanted.has('avg')) metrics.avg_temperature = celsiusTo(avgC(r), unit);
    if (wanted.has('min')) metrics.min_temperature = celsiusTo(r.min_c, unit);
    if (wanted.has('max')) metrics.max_temperature = celsiusTo(r.max_c, unit);
    if (wanted.has('count')) metrics.reading_count = r.reading_count;
    return { group_key: key, metrics, temperature_unit: unit };
  });
};

export interface TrendsInput extends Range {
  interval: TimeGroup;
  tz?: string;
  unit?: TemperatureUnit;
}

/** Time buckets (local midnight in `tz` for day/week/month) with all four metrics. */
export const temperatureTrends = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  input: TrendsInput,
  opts: { raw?: boolean } = {},
): Promise<AggregationResult[]> => {
  checkOrder(input);
  const end = input.end ?? ctx.clock.now();
  const start = input.start ?? new Date(end.getTime() - DEFAULT_SPAN_DAYS[input.interval] * DAY_MS);
  checkOrder({ start, end });
  if (end.getTime() - start.getTime() > MAX_SPAN_DAYS[input.interval] * DAY_MS)
    throw new AppError(
      'VALIDATION',
      `At most ${MAX_SPAN_DAYS[input.interval]} days of ${input.interval} buckets per request; use a longer interval`,
    );
  return aggregateTemperatures(
    ctx,
    scope,
    {
      start,
      end,
      group_by: [input.interval],
      aggregations: ['avg', 'min', 'max', 'count'],
      tz: input.tz,
      unit: input.unit,
    },
    opts,
  );
};

/** `good_quality_threshold` from system_config (default 0.8). */
export const goodQualityThreshold = async (ctx: FeatureContext): Promise<number> => {
  const v = await getConfigValue(ctx.db, 'good_quality_threshold');
  return typeof v === 'number' && v >= 0 && v <= 1 ? v : 0.8;
};

/**
 * `{<customer_code>: stats, …, system: stats}` for the admin view: grouped queries for counts,
 * temperatures and statuses, two index probes per customer for its first and last reading.
 */
export const adminTemperatureSummary = async (
  ctx: FeatureContext,
  range: Range,
  unit: TemperatureUnit = 'C',
  opts: { raw?: boolean } = {},
): Promise<Record<string, TemperatureStats>> => {
  checkOrder(range);
  const [customers, perCustomer, unusual, system] = await Promise.all([
    listCustomers(ctx.db),
    aggregateByCustomer(ctx.db, range.start, range.end, opts.raw),
    unusualStatusCountsByCustomer(ctx.db, range.start, range.end),
    temperatureStats(ctx, {}, range, unit, opts),
  ]);
  const byId = new Map(perCustomer.map((r) => [r.customer_id, r]));
  // Without them every warning, error and maintenance reading would be counted as normal.
  const bounds = await Promise.all(
    customers.map((c) => readingTimeBounds(ctx.db, { customerId: c.id }, range.start, range.end)),
  );
  const out: Record<string, TemperatureStats> = {};
  customers.forEach((c, i) => {
    out[c.customer_code] = statsFrom(byId.get(c.id), unusual.get(c.id) ?? {}, bounds[i]!, unit);
  });
  out.system = system;
  return out;
};
