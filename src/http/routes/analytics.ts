import { Type } from 'typebox';
import { TIME_GROUPS, type TimeGroup } from '../../domain/time.ts';
import { assertFacility, assertUnit, readInScope } from '../../fleet/fleet.ts';
import { temperatureStats, temperatureTrends } from '../../readings/analytics.ts';
import { forReads } from '../../readings/context.ts';
import { performanceReport } from '../../readings/performance.ts';
import { AppError } from '../../lib/errors.ts';
import { Paginated, toPage } from '../schemas/common.ts';
import { alarmHistory } from '../../alarms/alarm-verbs.ts';
import { AlarmHistoryItem, AlarmHistoryQuery } from '../schemas/alarms.ts';
import {
  AggregationResult,
  PerformanceQuery,
  Stats,
  SummaryQuery,
  TrendsQuery,
} from '../schemas/resources.ts';
import { Performance } from '../schemas/figures.ts';
import { BEARER, rangeOf, tenantOf, type App, type RouteDeps } from './deps.ts';

/** Analytics over the caller's readings, served from the hourly rollups. */
export const registerAnalyticsRoutes = (app: App, { ctx }: RouteDeps): void => {
  const read = { scope: 'read' as const };
  // Long ranges read many rollup rows: limited per token (plugins/heavy-requests.ts).
  const heavy = { scope: 'read' as const, heavy: true };
  // Rollup figures are kept for the cache TTL (plugins/response-cache.ts); a hit takes no heavy slot.
  const rollup = { ...heavy, cache: 'rollup' as const };
  const tags = ['analytics'];
  // Figures over readings and rollups may lag (read replica); alarm history and id checks use the primary.
  const reads = forReads(ctx);

  const scoped = async (
    req: Parameters<typeof tenantOf>[0],
    q: { facility_id?: string; unit_id?: string },
  ) => {
    const t = tenantOf(req);
    if (q.facility_id) await assertFacility(ctx, q.facility_id, t);
    if (q.unit_id) await assertUnit(ctx, q.unit_id, t);
    return { ...t, facilityId: q.facility_id, unitId: q.unit_id };
  };

  app.get(
    '/api/v1/analytics/temperature/summary',
    {
      config: rollup,
      schema: {
        tags,
        security: BEARER,
        summary: 'Stats, optionally for one facility or unit',
        querystring: SummaryQuery,
        response: { 200: Stats },
      },
    },
    async (req) => temperatureStats(reads, await scoped(req, req.query), rangeOf(req.query), req.query.unit),
  );
  app.get(
    '/api/v1/analytics/temperature/trends',
    {
      config: rollup,
      schema: {
        tags,
        security: BEARER,
        summary: 'Buckets of hour|day|week|month (local midnight in tz)',
        querystring: TrendsQuery,
        response: { 200: Type.Array(AggregationResult) },
      },
    },
    async (req) => {
      const q = req.query;
      const interval = q.interval ?? 'day';
      if (!(TIME_GROUPS as readonly string[]).includes(interval))
        throw new AppError(
          'VALIDATION',
          `Invalid interval: ${interval}. Valid values are ${TIME_GROUPS.join(', ')}`,
        );
      const t = tenantOf(req);
      const ids = { facilityId: q.facility_id, unitId: q.unit_id };
      return readInScope(
        ctx,
        t,
        ids,
        () =>
          temperatureTrends(
            reads,
            { ...t, ...ids },
            { ...rangeOf(q), interval: interval as TimeGroup, tz: q.tz, unit: q.unit },
          ),
        (rows) => rows.length === 0,
      );
    },
  );
  app.get(
    '/api/v1/analytics/alarms/history',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary:
          "Alarms in the prototype's envelope (plus alarm_type, is_active, temperature = peak, recorded_at = started_at); newest first",
        querystring: AlarmHistoryQuery,
        response: { 200: Paginated(AlarmHistoryItem) },
      },
    },
    async (req) => {
      const q = req.query;
      const r = await alarmHistory(ctx, tenantOf(req), {
        facilityId: q.facility_id,
        unitId: q.unit_id,
        state: q.state,
        severity: q.severity,
        ...rangeOf(q),
        unit: q.unit,
        limit: q.limit,
        offset: q.offset,
      });
      return toPage(r.items, r.total, q.limit, q.offset);
    },
  );
  app.get(
    '/api/v1/analytics/performance',
    {
      config: heavy,
      schema: {
        tags,
        security: BEARER,
        summary:
          'Uptime per unit from its first reading, data quality with failed reads, deviation from set point (exact max), statuses',
        querystring: PerformanceQuery,
        response: { 200: Performance },
      },
    },
    async (req) => performanceReport(reads, tenantOf(req), rangeOf(req.query), req.query.unit),
  );
};
