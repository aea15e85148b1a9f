import type { FastifyInstance } from 'fastify';
import { ConcurrencyLimiter } from '../../auth/rate-limit.ts';
import { AppError } from '../../lib/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An expensive route (export, long analytics): at most `perToken` in flight per token. */
    heavy?: boolean;
  }
}

export interface HeavyRequestOptions {
  /** Heavy requests one token may have in flight at once. */
  perToken: number;
}

/**
 * Per-token concurrency limit on routes marked `config.heavy`, so one tenant firing many exports
 * or year-long analytics cannot take every database connection (or, embedded, the one session).
 * Runs after authentication; the slot is held until the response is finished or the client went
 * away (a streamed CSV holds it while it streams).
 */
export const registerHeavyRequestLimit = (app: FastifyInstance, opts: HeavyRequestOptions): void => {
  const limiter = new ConcurrencyLimiter(opts.perToken);
  app.addHook('onRequest', async (req, reply) => {
    if (!req.routeOptions.config?.heavy || !req.principal) return;
    const release = limiter.tryAcquire(req.principal.tokenId);
    if (!release)
      throw new AppError(
        'RATE_LIMITED',
        `At most ${opts.perToken} export or analytics requests may run at once per token; retry when one has finished`,
        { retryAfterSeconds: 1 },
      );
    // 'close' follows 'finish' and also fires when the client disconnects mid-stream.
    reply.raw.once('close', release);
  });
};
