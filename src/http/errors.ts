import type { FastifyError, FastifyInstance } from 'fastify';
import { httpStatusOf, isAppError } from '../lib/errors.ts';

/**
 * One error shape for every response: `{"detail": "..."}` (422 validation: `{"detail": [{loc, msg, type}]}`).
 * Unexpected errors are logged with the request id and never echoed to the client.
 */
export const registerErrorHandling = (app: FastifyInstance): void => {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isAppError(err)) {
      if (err.code === 'UNAUTHORIZED') void reply.header('www-authenticate', 'Bearer');
      const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (err.code === 'RATE_LIMITED' && retry) void reply.header('retry-after', String(retry));
      return reply.status(httpStatusOf[err.code]).send({ detail: err.message, code: err.code });
    }
    if (err.validation) {
      const where = err.validationContext ?? 'body';
      return reply.status(422).send({
        detail: err.validation.map((v) => ({
          loc: [
            where,
            ...v.instancePath.split('/').filter(Boolean),
            ...(v.params && 'missingProperty' in v.params ? [String(v.params.missingProperty)] : []),
          ],
          msg: v.message ?? 'invalid',
          type: v.keyword,
        })),
      });
    }
    // PostgreSQL "data exception" (class 22: e.g. a NUL byte or an out-of-range value that got past
    // the schema) is the client's input, not our failure.
    if (typeof err.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code))
      return reply
        .status(422)
        .send({ detail: 'A value in the request cannot be stored or compared', code: 'VALIDATION' });
    // A CHECK constraint (23514) rejected a value the schema let through (e.g. "1e309" coerced to
    // Infinity): also the client's input. The database stays the last line of defence.
    if (err.code === '23514')
      return reply
        .status(422)
        .send({ detail: 'A value in the request is out of the allowed range', code: 'VALIDATION' });
    // A unique key (23505) hit by a concurrent create: the resource exists.
    if (err.code === '23505')
      return reply.status(409).send({ detail: 'It exists already', code: 'CONFLICT' });
    const status = err.statusCode ?? 500;
    // Fastify's own 4xx (bad JSON, body too large, bad content type) carry safe messages.
    if (status >= 400 && status < 500)
      return reply.status(status).send({ detail: err.message, code: err.code });
    req.log.error({ err, reqId: req.id }, 'request failed');
    return reply.status(500).send({ detail: `Internal error; it was logged (request id ${req.id})` });
  });
  app.setNotFoundHandler((_req, reply) => reply.status(404).send({ detail: 'Not Found' }));
};
