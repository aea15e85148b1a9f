import type { FastifyInstance } from 'fastify';
import { httpRequestDuration } from '../../lib/metrics.ts';

/** Latency histogram per route pattern and status (unmatched URLs share one label). */
export const registerHttpMetrics = (app: FastifyInstance): void => {
  app.addHook('onResponse', async (req, reply) => {
    httpRequestDuration.observe(
      {
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
};

/**
 * Security headers on every response. The API serves JSON only, so its CSP forbids everything;
 * /docs (Swagger UI) gets its own CSP from @fastify/swagger-ui. No CORS headers: the dashboard is same-origin.
 */
export const registerSecurityHeaders = (app: FastifyInstance): void => {
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (!req.url.startsWith('/docs')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });
};
