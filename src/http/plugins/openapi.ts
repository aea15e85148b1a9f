import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { API_VERSION } from '../version.ts';

/**
 * OpenAPI 3 generated from the route schemas (served at /openapi.json) and Swagger UI at /docs.
 * Must be registered before the routes: it collects them as they are added.
 */
export const registerOpenApi = async (app: FastifyInstance): Promise<void> => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Temperature Monitoring System API',
        version: API_VERSION,
        description:
          'Cold-chain temperatures: readings, facilities, units, analytics, admin. Authenticate with `Authorization: Bearer <token>` ' +
          '(scopes read, write; admin tokens for /api/v1/admin/…). Errors are `{"detail": …}`; validation errors are 422.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      tags: ['health', 'temperature', 'facilities', 'customer', 'admin', 'analytics'].map((name) => ({
        name,
      })),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
};
