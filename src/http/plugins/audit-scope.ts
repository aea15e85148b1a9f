import type { FastifyInstance, RouteOptions } from 'fastify';
import { runAs } from '../../audit/context.ts';

// Every authenticated request runs in an audit scope (audit/context.ts): the token as actor, and the
// `reason` the caller gave, so the verbs it calls write audit entries that say who and why. Every
// write route accepts `reason`: in its JSON body (when it has an object body) or as `?reason=` (every
// write route, and the only form for DELETE). The field is taken out of the body before the handler
// sees it, so verbs that copy a body's fields never meet it.

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REASON = {
  type: 'string',
  maxLength: 2000,
  description: 'Why this change is made; kept in the audit trail (required for rule and limit changes and deletions)',
};

type Schema = Record<string, unknown> & { type?: string; properties?: Record<string, unknown>; anyOf?: Schema[] };

const withReason = (s: Schema | undefined): Schema | undefined => {
  if (!s) return s;
  if (s.type === 'object' && s.properties && !('reason' in s.properties))
    return { ...s, properties: { ...s.properties, reason: REASON } };
  if (Array.isArray(s.anyOf)) return { ...s, anyOf: s.anyOf.map((m) => withReason(m) ?? m) };
  return s;
};

const isWrite = (method: RouteOptions['method']) => [method].flat().some((m) => WRITE_METHODS.has(m));

/** Adds `reason` to the schemas of write routes; must be registered before the routes. */
export const registerAuditScope = (app: FastifyInstance): void => {
  app.addHook('onRoute', (route) => {
    const scope = (route.config as { scope?: string } | undefined)?.scope;
    if (!isWrite(route.method) || !route.schema || scope === 'public') return;
    const schema = route.schema as Record<string, unknown>;
    const qs = (schema.querystring as Schema | undefined) ?? { type: 'object', properties: {} };
    // A route without a body schema keeps none (a `body: undefined` key makes Fastify warn at start).
    const body = withReason(schema.body as Schema | undefined);
    route.schema = { ...schema, ...(body ? { body } : {}), querystring: withReason(qs) };
  });

  app.addHook('preHandler', (req, _reply, done) => {
    const p = req.principal;
    if (!p) return done();
    let reason: string | undefined;
    if (WRITE_METHODS.has(req.method)) {
      const body = req.body as Record<string, unknown> | null | undefined;
      if (body && typeof body === 'object' && !Array.isArray(body) && 'reason' in body) {
        if (typeof body.reason === 'string') reason = body.reason;
        delete body.reason;
      }
      const q = req.query as Record<string, unknown> | undefined;
      if (reason === undefined && q && typeof q.reason === 'string') reason = q.reason;
      if (q && 'reason' in q) delete q.reason;
    }
    runAs({ actor: { kind: 'token', tokenId: p.tokenId, name: p.tokenName }, reason: reason?.trim() || undefined }, done);
  });
};
