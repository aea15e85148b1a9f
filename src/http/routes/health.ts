import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';
import { API_VERSION } from '../version.ts';

const startedAt = Date.now();
const pub = { scope: 'public' as const };

/** Public liveness and readiness: `/health` is honest (503 "degraded" when a dependency fails) and leaks no driver text. */
export const registerHealthRoutes = (app: FastifyInstance, ctx: AppContext): void => {
  app.get('/', { config: pub, schema: { hide: true } }, async () => ({
    message: 'Temperature Monitoring API',
    version: API_VERSION,
    documentation: '/docs',
  }));

  app.get('/ping', { config: pub, schema: { tags: ['health'], summary: 'Liveness' } }, async () => ({
    ping: 'pong',
  }));

  app.get(
    '/health',
    {
      config: pub,
      schema: { tags: ['health'], summary: 'Database, read replica and queue status (503 when degraded)' },
    },
    async (_req, reply) => {
      let database: 'ok' | 'error' = 'ok';
      try {
        await ctx.db.query('SELECT 1');
      } catch {
        database = 'error';
      }
      const rabbitmq = ctx.queueHealth
        ? await ctx.queueHealth().catch(() => 'error' as const)
        : 'not configured';
      // Informational: reads fall back to the primary while the replica is down, so no 503 for it.
      const replica = ctx.readReplicaStatus ? await ctx.readReplicaStatus() : undefined;
      const ok = database === 'ok' && rabbitmq !== 'error';
      return reply.status(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'degraded',
        version: API_VERSION,
        timestamp: ctx.clock.now().toISOString(),
        database,
        database_backend: ctx.db.backend,
        ...(replica ? { database_read: replica.status, replica_lag_seconds: replica.lagSeconds } : {}),
        rabbitmq,
        uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
      });
    },
  );
};
