import { Type } from 'typebox';
import { aggregateTemperatures, temperatureStats } from '../../readings/analytics.ts';
import { latestReadings, listReadingsPage, recordReading } from '../../readings/readings.ts';
import { assertFacility, readInScope } from '../../fleet/fleet.ts';
import { forReads } from '../../readings/context.ts';
import { parseInstant } from '../../readings/time.ts';
import { IdParams, Paginated, TempUnit, toPage } from '../schemas/common.ts';
import {
  AdminReadingListQuery,
  AggregateBody,
  AggregationResult,
  LatestReading,
  Reading,
  ReadingCreate,
  ReadingListQuery,
  Stats,
  StatsQuery,
} from '../schemas/resources.ts';
import { BEARER, rangeOf, tenantOf, type App, type RouteDeps } from './deps.ts';

const tags = ['temperature'];

const queryOf = (q: Record<string, unknown> & { start_date?: string; end_date?: string }) => ({
  ...rangeOf(q),
  min_temperature: q.min_temperature as number | undefined,
  max_temperature: q.max_temperature as number | undefined,
  equipment_status: q.equipment_status as string | undefined,
  quality_score: q.quality_score as number | undefined,
  min_quality: q.min_quality as number | undefined,
  sensor_id: q.sensor_id as string | undefined,
  unit: q.unit as 'C' | 'F' | undefined,
});

export const registerTemperatureRoutes = (app: App, { ctx, futureToleranceSeconds }: RouteDeps): void => {
  // Answers that move with every new reading: kept while the change feed is heard (plugins/response-cache.ts).
  const live = { scope: 'read' as const, cache: 'live' as const };
  // Stats and aggregates may span years of rollups: limited per token (plugins/heavy-requests.ts).
  const heavy = { scope: 'read' as const, heavy: true };
  const page = Paginated(Reading);
  // Reading pages, latest, stats and aggregates may lag (read replica); the id checks, POST and its
  // read-back use the primary, so a unit created a moment ago is never a 404.
  const reads = forReads(ctx);

  /** A page of the tenant's readings of one facility or unit; an id outside the tenant is a 404. */
  const scopedPage = async (
    t: ReturnType<typeof tenantOf>,
    ids: { facilityId?: string; unitId?: string },
    q: Parameters<typeof queryOf>[0] & { limit: number; offset: number },
  ) => {
    const r = await readInScope(
      ctx,
      t,
      ids,
      () => listReadingsPage(reads, { ...t, ...ids }, queryOf(q), q.limit, q.offset),
      (p) => p.total === 0,
    );
    return toPage(r.items, r.total, q.limit, q.offset);
  };

  app.get(
    '/api/v1/temperature',
    {
      config: live,
      schema: {
        tags,
        security: BEARER,
        summary: 'Readings, newest first (at most 31 days per request)',
        querystring: ReadingListQuery,
        response: { 200: page },
      },
    },
    async (req) => {
      const q = req.query;
      const r = await listReadingsPage(reads, tenantOf(req), queryOf(q), q.limit, q.offset);
      return toPage(r.items, r.total, q.limit, q.offset);
    },
  );

  app.get(
    '/api/v1/temperature/latest',
    {
      config: live,
      schema: {
        tags,
        security: BEARER,
        summary: 'The newest reading of each storage unit',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          unit: Type.Optional(TempUnit),
        }),
        response: { 200: Type.Array(LatestReading) },
      },
    },
    async (req) => latestReadings(reads, tenantOf(req), req.query.limit, req.query.unit),
  );

  app.get(
    '/api/v1/temperature/facility/:facility_id',
    {
      config: live,
      schema: {
        tags,
        security: BEARER,
        summary: "One facility's readings",
        params: IdParams('facility_id'),
        querystring: ReadingListQuery,
        response: { 200: page },
      },
    },
    async (req) => scopedPage(tenantOf(req), { facilityId: req.params.facility_id }, req.query),
  );

  app.get(
    '/api/v1/temperature/unit/:unit_id',
    {
      config: live,
      schema: {
        tags,
        security: BEARER,
        summary: "One storage unit's readings",
        params: IdParams('unit_id'),
        querystring: ReadingListQuery,
        response: { 200: page },
      },
    },
    async (req) => scopedPage(tenantOf(req), { unitId: req.params.unit_id }, req.query),
  );

  app.post(
    '/api/v1/temperature',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        security: BEARER,
        summary: 'Store one reading (409 for a duplicate unit and recorded_at)',
        body: ReadingCreate,
        response: { 201: Reading },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const stored = await recordReading(
        ctx,
        tenantOf(req),
        {
          storage_unit_id: b.storage_unit_id,
          temperature: b.temperature,
          temperature_unit: b.temperature_unit,
          recorded_at: parseInstant(b.recorded_at, 'recorded_at')!,
          sensor_id: b.sensor_id,
          quality_score: b.quality_score,
          equipment_status: b.equipment_status,
        },
        futureToleranceSeconds,
      );
      return reply.status(201).send(stored);
    },
  );

  app.get(
    '/api/v1/temperature/stats',
    {
      config: { ...heavy, cache: 'rollup' },
      schema: {
        tags,
        security: BEARER,
        summary: 'Min, max, average and counts (°C unless unit=F)',
        querystring: StatsQuery,
        response: { 200: Stats },
      },
    },
    async (req) => temperatureStats(reads, tenantOf(req), rangeOf(req.query), req.query.unit),
  );

  app.post(
    '/api/v1/temperature/aggregate',
    {
      config: heavy,
      schema: {
        tags,
        security: BEARER,
        summary: 'Grouped aggregates',
        body: AggregateBody,
        response: { 200: Type.Array(AggregationResult) },
      },
    },
    async (req) => {
      const b = req.body;
      const t = tenantOf(req);
      const ids = { facilityId: b.facility_id ?? undefined, unitId: b.storage_unit_id ?? undefined };
      return readInScope(
        ctx,
        t,
        ids,
        () =>
          aggregateTemperatures(
            reads,
            { ...t, ...ids },
            { ...rangeOf(b), group_by: b.group_by, aggregations: b.aggregations, tz: b.tz, unit: b.unit },
          ),
        (rows) => rows.length === 0,
      );
    },
  );

  const admin = { scope: 'admin' as const };
  app.get(
    '/api/v1/admin/temperature',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        security: BEARER,
        summary: 'Readings across all customers',
        querystring: AdminReadingListQuery,
        response: { 200: page },
      },
    },
    async (req) => {
      const q = req.query;
      const r = await listReadingsPage(reads, { customerId: q.customer_id }, queryOf(q), q.limit, q.offset);
      return toPage(r.items, r.total, q.limit, q.offset);
    },
  );

  app.get(
    '/api/v1/admin/temperature/facility/:facility_id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        security: BEARER,
        summary: "Any facility's readings",
        params: IdParams('facility_id'),
        querystring: ReadingListQuery,
        response: { 200: page },
      },
    },
    async (req) => {
      await assertFacility(ctx, req.params.facility_id, {});
      const q = req.query;
      const r = await listReadingsPage(
        reads,
        { facilityId: req.params.facility_id },
        queryOf(q),
        q.limit,
        q.offset,
      );
      return toPage(r.items, r.total, q.limit, q.offset);
    },
  );
};
