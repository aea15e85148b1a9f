import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';
import { authorize, principalOf, type AccessScope, type Principal } from '../../auth/principal.ts';
import { FixedWindowCounter } from '../../auth/rate-limit.ts';
import { createTokenVerifier } from '../../auth/verify.ts';
import type { Db } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';

/** What a route needs: see `AccessScope` (auth/principal.ts). */
export type RouteScope = AccessScope;

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AuthOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  /** How long a token lookup is reused; revocation takes effect within this time. Default 1000 ms. */
  cacheTtlMs?: number;
  /** How often `last_used_at` is written for the tokens seen since the last flush. Default 5000 ms. */
  touchIntervalMs?: number;
  /**
   * Requests per minute and client address that carry no valid token: public pages other than the
   * probes, and every failed authentication. Default 300.
   */
  anonymousPerMinute?: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** Probes that monitors poll: never limited, so a flood from one address cannot fake an outage. */
const PROBES = new Set(['/health', '/ping', '/metrics']);

const unauthorized = (message: string) => new AppError('UNAUTHORIZED', message);

/**
 * Whose budget an address spends: an IPv4 address (also written IPv4-mapped) on its own, an IPv6
 * address by its /64, since one subscriber usually holds a whole /64 and could rotate through it.
 */
export const clientKeyOf = (ip: string): string => {
  if (!ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
};

/** The token of an `Authorization: Bearer …` header. @throws AppError UNAUTHORIZED when absent or another scheme. */
const bearerOf = (header: string | undefined): string => {
  if (!header) throw unauthorized('Not authenticated');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthorized('Invalid authentication credentials');
  return m[1]!;
};

/**
 * The HTTP side of authentication, as one `onRequest` hook (a request without a valid token is
 * refused before its body or query is even validated): the bearer header, rate limits and the
 * response headers. Token verification itself is `auth/verify.ts`, scope checks `auth/principal.ts`.
 *
 * - Per token: a fixed hourly window of `rate_limit_per_hour`, in this process's memory: with N API
 *   replicas each enforces the limit on its own share, so a client may get up to N × the limit.
 * - Per client address, for requests without a valid token: `anonymousPerMinute`. Once over it, an
 *   address gets 429 without any database lookup, except for tokens already in the cache.
 */
export const registerAuth = (app: FastifyInstance, opts: AuthOptions): { forgetToken(id: string): void } => {
  const verifier = createTokenVerifier(opts);
  const tokenWindows = new FixedWindowCounter({ windowMs: HOUR_MS });
  const anonymousWindows = new FixedWindowCounter({ windowMs: MINUTE_MS });
  const anonymousLimit = opts.anonymousPerMinute ?? 300;
  app.addHook('onClose', () => verifier.close());

  const nowMs = () => opts.clock.now().getTime();
  const tooManyAnonymous = (retryAfterSeconds: number) =>
    new AppError(
      'RATE_LIMITED',
      `Too many requests without a valid token from this address (at most ${anonymousLimit} per minute)`,
      { retryAfterSeconds },
    );
  /** Counts a request without a valid token; past the limit it becomes a 429. */
  const countAnonymous = (req: FastifyRequest): void => {
    const w = anonymousWindows.hit(clientKeyOf(req.ip), anonymousLimit, nowMs());
    if (w.exceeded) throw tooManyAnonymous(w.retryAfterSeconds);
  };

  const rateLimitToken = (id: string, limit: number, reply: FastifyReply): void => {
    const w = tokenWindows.hit(id, limit, nowMs());
    void reply.header('x-ratelimit-limit', limit);
    void reply.header('x-ratelimit-remaining', w.remaining);
    if (w.exceeded)
      throw new AppError('RATE_LIMITED', `Rate limit of ${limit} requests per hour exceeded for this token`, {
        retryAfterSeconds: w.retryAfterSeconds,
      });
  };

  app.addHook('onRequest', async (req, reply) => {
    const scope = req.routeOptions.config?.scope;
    // Unknown URLs (scope undefined: the 404 handler) count as anonymous requests too.
    if (scope === undefined || scope === 'public') {
      if (!PROBES.has(req.routeOptions.url ?? '')) countAnonymous(req);
      return;
    }
    let token: string;
    try {
      token = bearerOf(req.headers.authorization);
    } catch (e) {
      countAnonymous(req);
      throw e;
    }
    const blocked = anonymousWindows.peek(clientKeyOf(req.ip), anonymousLimit, nowMs());
    const v = await verifier.verify(token, { allowLookup: !blocked.exceeded });
    if (!v.ok) {
      if (v.reason === 'not-cached') throw tooManyAnonymous(blocked.retryAfterSeconds);
      countAnonymous(req);
      throw unauthorized('Invalid or expired token');
    }
    rateLimitToken(v.token.id, v.token.rate_limit_per_hour, reply);
    verifier.recordUse(v.token.id);
    const principal = principalOf(v.token);
    authorize(principal, scope);
    req.principal = principal;
  });

  return { forgetToken: (id) => verifier.forget(id) };
};

/** The authenticated customer of a request on a `read`/`write` route. */
export const customerOf = (req: FastifyRequest): Extract<Principal, { kind: 'customer' }> => {
  const p = req.principal;
  if (p?.kind !== 'customer') throw new AppError('FORBIDDEN', 'A customer token is required');
  return p;
};
