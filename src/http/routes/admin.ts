import { Type } from 'typebox';
import { listAllAlarms } from '../../alarms/alarm-verbs.ts';
import { getSystemConfig, ingestionLogs, setSystemConfig } from '../../admin/admin.ts';
import {
  createCustomer,
  createTokenForCustomer,
  getCustomerDetail,
  listAllTokensOf,
  listCustomerDetails,
  updateCustomer,
} from '../../fleet/customers.ts';
import { withFeed, withFeeds } from '../../fleet/feed.ts';
import { listFacilities } from '../../fleet/fleet.ts';
import { adminTemperatureSummary } from '../../readings/analytics.ts';
import { checkTimeZone, parseInstant } from '../../readings/time.ts';
import { AppError } from '../../lib/errors.ts';
import { AdminAlarmItem, AdminAlarmListQuery } from '../schemas/alarms.ts';
import { IdParams, Paginated, Pagination, TempUnit, Uuid, toPage } from '../schemas/common.ts';
import {
  AdminFacility,
  ConfigKey,
  ConfigPutBody,
  ConfigPutQuery,
  ConfigRow,
  CustomerCreate,
  CustomerDetail,
  CustomerUpdate,
  IngestionLogQuery,
  IssuedToken,
  Stats,
  StatsQuery,
  Token,
  TokenCreate,
} from '../schemas/resources.ts';
import { alarmFilterOf } from './alarms.ts';
import { BEARER, rangeOf, type App, type RouteDeps } from './deps.ts';

/** Admin routes: every customer, configuration, ingestion logs, system summary. */
export const registerAdminRoutes = (app: App, { ctx }: RouteDeps): void => {
  const admin = { scope: 'admin' as const };
  const tags = ['admin'];
  const PageQuery = Type.Object(Pagination);

  app.get(
    '/api/v1/admin/customers',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'Customers',
        querystring: PageQuery,
        response: { 200: Paginated(CustomerDetail) },
      },
    },
    async (req) => {
      const r = await listCustomerDetails(ctx, req.query.limit, req.query.offset);
      return toPage(await withFeeds(ctx, r.items), r.total, req.query.limit, req.query.offset);
    },
  );
  app.get(
    '/api/v1/admin/customers/:customer_id',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'One customer',
        params: IdParams('customer_id'),
        response: { 200: CustomerDetail },
      },
    },
    async (req) => withFeed(ctx, await getCustomerDetail(ctx, req.params.customer_id)),
  );
  app.post(
    '/api/v1/admin/customers',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'Create a customer',
        body: CustomerCreate,
        response: { 201: CustomerDetail },
      },
    },
    async (req, reply) => {
      if (req.body.timezone) checkTimeZone(req.body.timezone);
      return reply.status(201).send(await createCustomer(ctx, req.body));
    },
  );
  app.put(
    '/api/v1/admin/customers/:customer_id',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary:
          'Update a customer (incl. api_url, method, frequency, is_active); a new timezone rebuilds its daily rollups in the background (its current value is no change; no rate limit for admins)',
        params: IdParams('customer_id'),
        body: CustomerUpdate,
        response: { 200: CustomerDetail },
      },
    },
    async (req) => {
      if (req.body.timezone) checkTimeZone(req.body.timezone);
      return updateCustomer(ctx, req.params.customer_id, req.body as never);
    },
  );
  app.get(
    '/api/v1/admin/customers/:customer_id/tokens',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: "A customer's tokens, revoked ones included",
        params: IdParams('customer_id'),
        response: { 200: Type.Array(Token) },
      },
    },
    async (req) => listAllTokensOf(ctx, req.params.customer_id),
  );
  app.post(
    '/api/v1/admin/customers/:customer_id/tokens',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'Create a token for a customer',
        params: IdParams('customer_id'),
        body: TokenCreate,
        response: { 201: IssuedToken },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const issued = await createTokenForCustomer(ctx, req.params.customer_id, {
        ...b,
        expires_at: parseInstant(b.expires_at ?? undefined, 'expires_at'),
      });
      return reply.status(201).send(issued);
    },
  );
  app.get(
    '/api/v1/admin/facilities',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'Facilities of all customers (or one)',
        querystring: Type.Object({ ...Pagination, customer_id: Type.Optional(Uuid) }),
        response: { 200: Paginated(AdminFacility) },
      },
    },
    async (req) => {
      const r = await listFacilities(
        ctx,
        { customerId: req.query.customer_id },
        req.query.limit,
        req.query.offset,
      );
      return toPage(r.items, r.total, req.query.limit, req.query.offset);
    },
  );
  app.get(
    '/api/v1/admin/config',
    { config: admin, schema: { tags, security: BEARER, summary: 'System settings; value is JSON' } },
    async () => getSystemConfig(ctx),
  );
  app.put(
    '/api/v1/admin/config/:key',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'Set a setting: JSON body {"value": <any JSON>, "description"?} (or ?value=<JSON text>)',
        params: ConfigKey,
        querystring: ConfigPutQuery,
        // No body at all is the prototype's query form; Fastify validates a missing body as null.
        body: Type.Union([ConfigPutBody, Type.Null()]),
        response: { 200: ConfigRow },
      },
    },
    async (req) => {
      const body = req.body as { value?: unknown; description?: string | null } | undefined;
      let value: unknown;
      if (body && 'value' in body) value = body.value;
      else if (req.query.value !== undefined) {
        try {
          value = JSON.parse(req.query.value);
        } catch {
          throw new AppError('VALIDATION', 'value must be JSON text, e.g. 2555 or "\\"text\\""');
        }
      } else throw new AppError('VALIDATION', 'value is required (JSON body {"value": …} or ?value=<JSON>)');
      if (value === undefined) throw new AppError('VALIDATION', 'value is required');
      return setSystemConfig(
        ctx,
        req.params.key,
        value,
        body?.description ?? req.query.description ?? undefined,
      );
    },
  );
  app.get(
    '/api/v1/admin/ingestion/logs',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'Ingestion runs, newest first',
        querystring: IngestionLogQuery,
      },
    },
    async (req) => {
      const q = req.query;
      const r = await ingestionLogs(
        ctx,
        { customerId: q.customer_id, status: q.status, ...rangeOf(q) },
        q.limit,
        q.offset,
      );
      return toPage(r.rows, r.total, q.limit, q.offset);
    },
  );
  app.get(
    '/api/v1/admin/analytics/temperature/summary',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'Stats per customer code and for the whole system (°C unless unit=F)',
        querystring: StatsQuery,
        response: { 200: Type.Record(Type.String(), Stats) },
      },
    },
    async (req) => adminTemperatureSummary(ctx, rangeOf(req.query), req.query.unit),
  );
  app.get(
    '/api/v1/admin/alarms',
    {
      config: admin,
      schema: {
        tags,
        security: BEARER,
        summary: 'Alarms of all customers (or one), with the filters of /api/v1/alarms',
        querystring: AdminAlarmListQuery,
        response: { 200: Paginated(AdminAlarmItem) },
      },
    },
    async (req) => {
      const q = req.query;
      const r = await listAllAlarms(ctx, q.customer_id, alarmFilterOf(q));
      return toPage(r.items, r.total, q.limit, q.offset);
    },
  );
  void TempUnit;
};
