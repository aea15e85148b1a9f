import { systemInfo } from '../../admin/admin.ts';
import { metricsRegistry } from '../../lib/metrics.ts';
import { BEARER, type App } from './deps.ts';

/** `/system-info` (admin only) and `/metrics` (public, Prometheus text format). */
export const registerSystemRoutes = (app: App): void => {
  app.get(
    '/system-info',
    {
      config: { scope: 'admin' },
      schema: { tags: ['health'], security: BEARER, summary: 'Host facts (admin only; no secrets)' },
    },
    async () => systemInfo(),
  );
  app.get(
    '/metrics',
    { config: { scope: 'public' }, schema: { tags: ['health'], summary: 'Prometheus metrics' } },
    async (_req, reply) =>
      reply.header('content-type', metricsRegistry.contentType).send(await metricsRegistry.metrics()),
  );
};
