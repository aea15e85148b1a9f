import { aggregateReadings, unusualStatusCounts } from '../db/analytics-repo.ts';
import {
  coveredHours,
  failedReads,
  meanDeviation,
  setPointsC,
  unitSpans,
  type UnitSpanRow,
} from '../db/performance-repo.ts';
import type { ReadingScope } from '../db/readings-query-repo.ts';
import { celsiusDeltaTo, type TemperatureUnit } from '../domain/units.ts';
import { overdueAfterMs, unitPeriodSeconds } from '../fleet/feed.ts';
import { AppError } from '../lib/errors.ts';
import { goodQualityThreshold } from './analytics.ts';
import type { FeatureContext } from './context.ts';
import { checkOrder, MAX_RAW_RANGE_DAYS, type Range } from './time.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const UPTIME_BASIS = 'from first reading to now, per unit';

const pct = (part: number, whole: number): number =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 100 : 0;
const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * The hours a unit was expected to report in: from the later of the window start and its first
 * reading, to the earlier of the window end and now. Data not yet due does not count as missing:
 * the span stops at the unit's newest hour unless that is overdue (older than the overdue limit of
 * the feed), so a unit collected without a gap is at 100 %.
 */
const expectedSpan = (
  u: UnitSpanRow,
  start: Date,
  windowEnd: Date,
  now: Date,
): { from: Date; to: Date } | undefined => {
  const first = u.first_hour.getTime();
  if (first > windowEnd.getTime()) return undefined;
  const from = Math.max(floorHour(start.getTime()), first);
  const period = unitPeriodSeconds(u.customer_frequency_seconds, u.unit_frequency_seconds);
  const dueUntil = now.getTime() - overdueAfterMs(period);
  const newestEnd = u.newest_hour ? u.newest_hour.getTime() + HOUR_MS : from;
  const to = Math.min(windowEnd.getTime(), Math.max(newestEnd, dueUntil));
  return to > from ? { from: new Date(from), to: new Date(to) } : undefined;
};

/**
 * Hours of a span in which the unit can be expected to report: every hour, or every n-th for a unit
 * that reads only every n hours (it would otherwise be at 1/n uptime on a perfect schedule).
 */
const expectedHours = (span: { from: Date; to: Date }, unitFrequencySeconds: number | null): number => {
  const hours = Math.ceil((span.to.getTime() - span.from.getTime()) / HOUR_MS);
  return Math.ceil(hours / Math.max(1, Math.ceil((unitFrequencySeconds ?? 0) / 3600)));
};

const uptimeOf = async (ctx: FeatureContext, scope: ReadingScope, start: Date, end: Date, now: Date) => {
  const windowEnd = new Date(Math.min(end.getTime(), now.getTime()));
  const spans = (await unitSpans(ctx.db, scope, windowEnd)).flatMap((u) => {
    const s = expectedSpan(u, start, windowEnd, now);
    return s
      ? [{ unitId: u.storage_unit_id, ...s, expected: expectedHours(s, u.unit_frequency_seconds) }]
      : [];
  });
  const covered = await coveredHours(ctx.db, spans);
  const expected = spans.reduce((a, s) => a + s.expected, 0);
  const got = spans.reduce((a, s) => a + Math.min(s.expected, covered.get(s.unitId) ?? 0), 0);
  return {
    uptime_percentage: pct(got, expected),
    covered_hours: got,
    expected_hours: expected,
    hours_with_readings: got,
    total_hours: expected,
    units_measured: spans.length,
    uptime_basis: UPTIME_BASIS,
  };
};

const roundDelta = (c: number | null, unit: TemperatureUnit): number | null =>
  c === null ? null : Math.round((celsiusDeltaTo(c, unit) ?? 0) * 100) / 100;

/**
 * Deviation from set point. The largest is exact over any range: per unit it is reached at the
 * unit's lowest or highest reading, which the rollups keep. Average and smallest need every
 * reading: exact up to 31 days, from hourly means beyond (approximate, and said so).
 */
const deviationOf = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  start: Date,
  end: Date,
  unit: TemperatureUnit,
  raw: boolean | undefined,
) => {
  const hourlyMeans = end.getTime() - start.getTime() > MAX_RAW_RANGE_DAYS * DAY_MS;
  const [perUnit, mean] = await Promise.all([
    aggregateReadings(ctx.db, { scope, start, end, groupBy: ['unit'], tz: 'UTC', raw, unitCount: false }),
    meanDeviation(ctx.db, scope, start, end, hourlyMeans),
  ]);
  const setPoints = await setPointsC(
    ctx.db,
    perUnit.map((r) => r.storage_unit_id!),
  );
  let max: number | null = null;
  for (const r of perUnit) {
    const s = setPoints.get(r.storage_unit_id!);
    if (s === undefined || r.min_c === null || r.max_c === null) continue;
    const d = Math.max(Math.abs(r.max_c - s), Math.abs(r.min_c - s));
    max = max === null ? d : Math.max(max, d);
  }
  return {
    avg_deviation: roundDelta(mean.avg_c, unit),
    max_deviation: roundDelta(max, unit),
    min_deviation: roundDelta(mean.min_c, unit),
    temperature_unit: unit,
    max_deviation_basis: 'readings_extremes' as const,
    basis: hourlyMeans ? ('hourly_means' as const) : ('readings' as const),
    approximate: hourlyMeans,
    note: hourlyMeans
      ? `Max deviation is exact (from the readings' lowest and highest values); average and min deviation are approximate: over more than ${MAX_RAW_RANGE_DAYS} days they are computed from hourly means.`
      : 'All deviations are computed from every reading.',
  };
};

/**
 * The performance report: uptime per unit from its first reading, data quality with failed reads
 * counted against it, deviation from set point (exact extremes), equipment statuses. Every count
 * is a COUNT or a sum of rollup counts; no rows are fetched to be counted.
 */
export const performanceReport = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  range: Range,
  unit: TemperatureUnit = 'C',
  opts: { raw?: boolean } = {},
) => {
  checkOrder(range);
  const now = ctx.clock.now();
  const end = range.end ?? now;
  const start = range.start ?? new Date(end.getTime() - 30 * DAY_MS);
  checkOrder({ start, end });
  if (end.getTime() - start.getTime() > 3660 * DAY_MS)
    throw new AppError('VALIDATION', 'At most 3660 days per request');
  const good = await goodQualityThreshold(ctx);
  const [total, failed, unusual, deviation, uptime] = await Promise.all([
    aggregateReadings(ctx.db, {
      scope,
      start,
      end,
      groupBy: [],
      tz: 'UTC',
      raw: opts.raw,
      goodQuality: good,
    }),
    failedReads(ctx.db, scope, start, end, good),
    unusualStatusCounts(ctx.db, scope, start, end),
    deviationOf(ctx, scope, start, end, unit, opts.raw),
    uptimeOf(ctx, scope, start, end, now),
  ]);
  const agg = total[0];
  const n = agg?.reading_count ?? 0;
  const goodReadings = (agg?.good_count ?? 0) - failed.failed_good;
  const statusCounts: Record<string, number> = {
    normal:
      n - failed.failed - Object.entries(unusual).reduce((a, [s, c]) => a + (s === 'failure' ? 0 : c), 0),
  };
  if (failed.failed > 0) statusCounts.failure = failed.failed;
  for (const [s, c] of Object.entries(unusual)) if (s !== 'failure') statusCounts[s] = c;
  return {
    uptime,
    data_quality: {
      total_readings: n,
      good_readings: goodReadings,
      quality_percentage: pct(goodReadings, n),
      good_quality_threshold: good,
      failed_reads: failed.failed,
      failed_reads_percentage: pct(failed.failed, n),
    },
    temperature_deviation: deviation,
    status_distribution: Object.entries(statusCounts)
      .filter(([, c]) => c > 0)
      .map(([equipment_status, count]) => ({ equipment_status, count, percentage: pct(count, n) })),
    time_range: { start_date: start, end_date: end },
  };
};
