import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { registerErrorHandling } from './errors.ts';
import { registerHealthRoutes } from './routes/health.ts';

export const API_VERSION = '1.0.0';

export interface AppContext {
  db: Db;
  log: Logger;
  clock: Clock;
  /** Reports the queue's state for /health; absent when no broker is configured. */
  queueHealth?: () => Promise<'ok' | 'error'>;
}

/** Builds the HTTP application without listening: tests call `inject()` on it, the api role listens. */
export const buildApp = async (ctx: AppContext): Promise<FastifyInstance> => {
  const app = Fastify({
    // Per-request lines would drown the log at 1,000 requests/s; errors are still logged.
    loggerInstance: ctx.log.child({ module: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 1 << 20,
    // Ids in paths and query strings are validated by the route schemas; keep defaults strict.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  });
  registerErrorHandling(app);
  registerHealthRoutes(app, ctx);
  return app;
};
