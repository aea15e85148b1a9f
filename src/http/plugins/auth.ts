import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findTokenByHash, touchTokens, type TokenPrincipalRow } from '../../db/tokens-repo.ts';
import type { Db } from '../../db/types.ts';
import { hashToken, hasScope, isWellFormedToken } from '../../domain/tokens.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';

/** What a route needs: `public` (no token), `read`/`write` (a customer token), `admin` (an admin token). */
export type RouteScope = 'public' | 'read' | 'write' | 'admin';

export type Principal =
  | {
      kind: 'customer';
      tokenId: string;
      customerId: string;
      customerCode: string;
      scopes: string[];
      /** Empty: every unit of the customer. */
      accessibleUnits: string[];
    }
  | {
      kind: 'admin';
      tokenId: string;
      customerId: null;
      customerCode: null;
      scopes: string[];
      accessibleUnits: [];
    };

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
}

const HOUR_MS = 3_600_000;
const CACHE_MAX = 10_000;

const unauthorized = (message: string) => new AppError('UNAUTHORIZED', message);

/**
 * Bearer-token authentication, scopes and per-token rate limits, as one `onRequest` hook (so a
 * request without a valid token is refused before its body or query is even validated).
 *
 * - Tokens are looked up by SHA-256 (one indexed query); results are cached for `cacheTtlMs`.
 * - `last_used_at` is written in batches every `touchIntervalMs`, never once per request.
 * - The rate limit is a fixed hourly window per token, kept in this process's memory: with N API
 *   replicas behind a load balancer each enforces the limit on its own share, so a client may get
 *   up to N × `rate_limit_per_hour` in total.
 */
export const registerAuth = (app: FastifyInstance, opts: AuthOptions): { forgetToken(id: string): void } => {
  const ttl = opts.cacheTtlMs ?? 1000;
  const cache = new Map<string, { row: TokenPrincipalRow | undefined; at: number }>();
  const windows = new Map<string, { startMs: number; count: number }>();
  const touched = new Set<string>();

  const lookup = async (hash: string): Promise<TokenPrincipalRow | undefined> => {
    const now = Date.now();
    const hit = cache.get(hash);
    if (hit && now - hit.at < ttl) return hit.row;
    const row = await findTokenByHash(opts.db, hash);
    if (ttl > 0) {
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(hash, { row, at: now });
    }
    return row;
  };

  const flush = async (): Promise<void> => {
    if (touched.size === 0) return;
    const ids = [...touched];
    touched.clear();
    try {
      await touchTokens(opts.db, ids, opts.clock.now());
    } catch (err) {
      opts.log.warn({ err }, 'could not record token use');
    }
  };
  const timer = setInterval(() => void flush(), opts.touchIntervalMs ?? 5000);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await flush();
  });

  const rateLimit = (row: TokenPrincipalRow, reply: { header(k: string, v: string | number): unknown }) => {
    const now = opts.clock.now().getTime();
    let w = windows.get(row.id);
    if (!w || now - w.startMs >= HOUR_MS) {
      if (windows.size >= CACHE_MAX) windows.clear();
      w = { startMs: now, count: 0 };
      windows.set(row.id, w);
    }
    w.count++;
    const limit = row.rate_limit_per_hour;
    reply.header('x-ratelimit-limit', limit);
    reply.header('x-ratelimit-remaining', Math.max(0, limit - w.count));
    if (w.count > limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((w.startMs + HOUR_MS - now) / 1000));
      throw new AppError('RATE_LIMITED', `Rate limit of ${limit} requests per hour exceeded for this token`, {
        retryAfterSeconds,
      });
    }
  };

  const authenticate = async (req: FastifyRequest): Promise<TokenPrincipalRow> => {
    const header = req.headers.authorization;
    if (!header) throw unauthorized('Not authenticated');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthorized('Invalid authentication credentials');
    const token = m[1]!;
    // The checksum rejects typos and junk without touching the database.
    if (!isWellFormedToken(token)) throw unauthorized('Invalid or expired token');
    const row = await lookup(hashToken(token));
    if (!row || !row.is_active) throw unauthorized('Invalid or expired token');
    if (row.expires_at && row.expires_at.getTime() <= opts.clock.now().getTime())
      throw unauthorized('Invalid or expired token');
    if (row.customer_id !== null && row.customer_is_active !== true)
      throw unauthorized('Invalid or expired token');
    return row;
  };

  app.addHook('onRequest', async (req, reply) => {
    const scope = req.routeOptions.config?.scope;
    if (scope === undefined || scope === 'public') return;
    const row = await authenticate(req);
    rateLimit(row, reply);
    touched.add(row.id);
    const isAdmin = row.customer_id === null;
    if (scope === 'admin') {
      if (!isAdmin) throw new AppError('FORBIDDEN', 'Admin permission required');
    } else {
      if (isAdmin)
        throw new AppError(
          'FORBIDDEN',
          'Customer endpoints need a customer token; an admin token works on /api/v1/admin/… only',
        );
      if (!hasScope(row.permissions, scope))
        throw new AppError(
          'FORBIDDEN',
          scope === 'write' ? 'Write permission required' : 'Read permission required',
        );
    }
    req.principal = isAdmin
      ? {
          kind: 'admin',
          tokenId: row.id,
          customerId: null,
          customerCode: null,
          scopes: row.permissions,
          accessibleUnits: [],
        }
      : {
          kind: 'customer',
          tokenId: row.id,
          customerId: row.customer_id!,
          customerCode: row.customer_code!,
          scopes: row.permissions,
          accessibleUnits: row.accessible_units ?? [],
        };
  });

  return {
    forgetToken: (id) => {
      for (const [hash, entry] of cache) if (entry.row?.id === id) cache.delete(hash);
    },
  };
};

/** The authenticated customer of a request on a `read`/`write` route. */
export const customerOf = (req: FastifyRequest): Extract<Principal, { kind: 'customer' }> => {
  const p = req.principal;
  if (p?.kind !== 'customer') throw new AppError('FORBIDDEN', 'A customer token is required');
  return p;
};
