import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from 'fastify';
import { parseConfig, type ApiLimitsConfig } from '../config/config.ts';
import type { Db, ReplicaStatus } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { isIsoInstant } from '../readings/time.ts';
import { registerErrorHandling } from './errors.ts';
import { registerAuditScope } from './plugins/audit-scope.ts';
import { registerAuth, type RouteScope } from './plugins/auth.ts';
import { registerHeavyRequestLimit } from './plugins/heavy-requests.ts';
import { registerHttpMetrics, registerSecurityHeaders } from './plugins/http-metrics.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerResponseCache, type ChangeFeed } from './plugins/response-cache.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerAlarmRoutes } from './routes/alarms.ts';
import { registerAnalyticsRoutes } from './routes/analytics.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerComplianceRoutes } from './routes/compliance.ts';
import { registerCustomerRoutes } from './routes/customers.ts';
import type { App, RouteDeps } from './routes/deps.ts';
import { registerExportRoutes } from './routes/export.ts';
import { registerFacilityRoutes } from './routes/facilities.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerNotificationRoutes } from './routes/notifications.ts';
import { registerReportScheduleRoutes } from './routes/report-schedules.ts';
import { registerReportRoutes } from './routes/reports.ts';
import { registerDashboard } from './web.ts';
import { registerSystemRoutes } from './routes/system.ts';
import { registerTemperatureRoutes } from './routes/temperature.ts';
import { registerTokenInfoRoutes } from './routes/token-info.ts';

export { API_VERSION } from './version.ts';

export interface AppContext {
  db: Db;
  log: Logger;
  clock: Clock;
  /**
   * The read replica (DATABASE_READ_URL, falling back to `db` while it fails) for the lag-tolerant
   * reads of the routes that take `forReads(ctx)`; absent: they read `db`.
   */
  readDb?: Db;
  /** The replica's state and lag for /health; present with `readDb`. */
  readReplicaStatus?: () => Promise<ReplicaStatus>;
  /** Reports the queue's state for /health; absent when no broker is configured. */
  queueHealth?: () => Promise<'ok' | 'error'>;
  /** Seconds a posted reading may lie in the future (default 300). */
  futureToleranceSeconds?: number;
  /** Token lookups are cached this long (default 1000 ms); revocation through the API is immediate. */
  authCacheTtlMs?: number;
  /** Runs the daily-rollup rebuilds that zone changes queue (fleet/zone-rebuild.ts); the api role starts it. */
  zoneRebuilds?: { wake(): void };
  /** Request budgets; each one missing takes its default (`DEFAULT_API_LIMITS`). */
  limits?: Partial<ApiLimits>;
  /**
   * How long answers of routes marked `config.cache` are kept in memory (plugins/response-cache.ts);
   * absent or 0: not kept (ETags and compression still apply). The api role passes TMS_API_CACHE_TTL_MS.
   */
  responseCacheTtlMs?: number;
  /** Reading changes announced by the writers (db/reading-changes.ts): kept answers are dropped on them. */
  readingChanges?: ChangeFeed;
}

export type ApiLimits = ApiLimitsConfig;

/** The defaults of `TMS_STATEMENT_TIMEOUT_MS` and friends (see docs/configuration.md). */
export const DEFAULT_API_LIMITS: ApiLimits = parseConfig({}).api;

/** A route as registered: what the isolation and robustness tests enumerate. */
export interface RouteInfo {
  method: string;
  url: string;
  scope: RouteScope;
  schema: Record<string, unknown> | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeList: RouteInfo[];
  }
}

/** Builds the HTTP application without listening: tests call `inject()` on it, the api role listens. */
export const buildApp = async (ctx: AppContext): Promise<FastifyInstance> => {
  const limits: ApiLimits = { ...DEFAULT_API_LIMITS, ...ctx.limits };
  const app = Fastify({
    // Per-request lines would drown the log at 1,000 requests/s; errors are still logged.
    loggerInstance: ctx.log.child({ module: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 1 << 20,
    // Slow clients cannot hold a socket forever: the whole request must arrive in requestTimeoutMs,
    // its headers in headersTimeoutMs (checked every second, not Node's default 30 s).
    requestTimeout: limits.requestTimeoutMs,
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // A socket silent this long is closed. Longer than the statement budget, or a slow but legal
    // answer would be cut before PostgreSQL cancels it and we can say why.
    connectionTimeout: Math.max(limits.statementTimeoutMs, limits.requestTimeoutMs) + 30_000,
    // Router-level failures (malformed URL, over-long path parameter) get the same error shape.
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply)
        .status(err.statusCode ?? 400)
        .send({ detail: 'Malformed or over-long URL', code: err.code });
    },
    // Ids in paths and query strings are validated by the route schemas; keep defaults strict.
    ajv: {
      customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false },
      plugins: [
        ((ajv: { addFormat(name: string, f: (s: string) => boolean): void }) => {
          ajv.addFormat('iso-instant', isIsoInstant);
          return ajv;
        }) as never,
      ],
    } as FastifyServerOptions['ajv'],
  });

  // Every route must say who may call it; a route without a scope fails at start-up, not in production.
  const routeList: RouteInfo[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { scope?: RouteScope };
    if (!config.scope) {
      if (route.url.startsWith('/docs')) route.config = { ...config, scope: 'public' };
      else throw new Error(`Route ${route.method} ${route.url} has no scope`);
    }
    for (const m of [route.method].flat())
      if (m !== 'HEAD')
        routeList.push({
          method: m,
          url: route.url,
          scope: (route.config as { scope: RouteScope }).scope,
          schema: route.schema as Record<string, unknown> | undefined,
        });
  });

  registerErrorHandling(app, { statementTimeoutMs: limits.statementTimeoutMs });
  registerSecurityHeaders(app);
  registerHttpMetrics(app);
  const auth = registerAuth(app, {
    db: ctx.db,
    clock: ctx.clock,
    log: ctx.log,
    cacheTtlMs: ctx.authCacheTtlMs,
    anonymousPerMinute: limits.anonymousPerMinute,
  });
  registerAuditScope(app);
  registerResponseCache(app, { ttlMs: ctx.responseCacheTtlMs ?? 0, changes: ctx.readingChanges });
  const heavy = registerHeavyRequestLimit(app, { perToken: limits.heavyConcurrencyPerToken });
  await registerOpenApi(app);

  const deps: RouteDeps = {
    ctx: { db: ctx.db, clock: ctx.clock, readDb: ctx.readDb, zoneRebuilds: ctx.zoneRebuilds },
    futureToleranceSeconds: ctx.futureToleranceSeconds ?? 300,
    forgetToken: auth.forgetToken,
    yieldToLight: heavy.yieldToLight,
  };
  const typed = app.withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  registerHealthRoutes(app, ctx);
  registerSystemRoutes(typed);
  registerTemperatureRoutes(typed, deps);
  registerExportRoutes(typed, deps);
  registerFacilityRoutes(typed, deps);
  registerCustomerRoutes(typed, deps);
  registerTokenInfoRoutes(typed);
  registerAdminRoutes(typed, deps);
  registerAnalyticsRoutes(typed, deps);
  registerComplianceRoutes(typed, deps);
  registerAlarmRoutes(typed, deps);
  registerNotificationRoutes(typed, deps);
  registerAuditRoutes(typed, deps);
  registerReportRoutes(typed, deps);
  registerReportScheduleRoutes(typed, deps);
  await registerDashboard(app);
  return app;
};
