import type { FastifyError, FastifyInstance } from 'fastify';
import { httpStatusOf, isAppError } from '../lib/errors.ts';
import { MAX_OFFSET } from './schemas/common.ts';

export interface ErrorHandlingOptions {
  /** The API's statement budget, named in the 503 of a cancelled statement; 0 = none. */
  statementTimeoutMs?: number;
}

type SchemaIssue = {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
};

/** Ajv's message, except where a better one tells the user what to do instead. */
const messageOf = (where: string, v: SchemaIssue): string => {
  if (where === 'querystring' && v.instancePath === '/offset' && v.keyword === 'maximum')
    return `offset may be at most ${MAX_OFFSET}: to reach older readings, narrow the time range (start_date/end_date) or the filters instead of paging deeper`;
  return v.message ?? 'invalid';
};

/**
 * One error shape for every response: `{"detail": "..."}` (422 validation: `{"detail": [{loc, msg, type}]}`).
 * Unexpected errors are logged with the request id and never echoed to the client.
 */
export const registerErrorHandling = (app: FastifyInstance, opts: ErrorHandlingOptions = {}): void => {
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
          msg: messageOf(where, v),
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
    // 57014: PostgreSQL cancelled the statement (the API's statement_timeout). Our budget, not a bug:
    // a 503 that says what to change, never a 500.
    if (err.code === '57014') {
      const budget = opts.statementTimeoutMs ? ` of ${Math.round(opts.statementTimeoutMs / 100) / 10} s` : '';
      return reply.status(503).send({
        detail: `The query ran longer than its time budget${budget} and was cancelled; narrow the time range or the filters and try again`,
        code: 'UPSTREAM_UNAVAILABLE',
      });
    }
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
