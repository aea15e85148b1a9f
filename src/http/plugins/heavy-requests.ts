import type { FastifyInstance } from 'fastify';
import { setImmediate as nextTurn } from 'node:timers/promises';
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
  /** Longest a heavy stream waits for cheap requests between two chunks. Default 50 ms. */
  maxYieldMs?: number;
}

export interface HeavyRequests {
  /**
   * Called by a heavy stream between chunks: resolves when no cheap request is in flight, or after
   * `maxYieldMs` at most, so cheap requests go first and a stream still always progresses.
   */
  yieldToLight(): Promise<void>;
}

/**
 * Per-token concurrency limit on routes marked `config.heavy`, so one tenant firing many exports
 * or year-long analytics cannot take every database connection (or, embedded, the one session).
 * Runs after authentication; the slot is held until the response is finished or the client went
 * away (a streamed CSV holds it while it streams). Two exports still fill the event loop with CSV
 * work, so streams also yield to cheap requests between pages (`yieldToLight`).
 */
export const registerHeavyRequestLimit = (app: FastifyInstance, opts: HeavyRequestOptions): HeavyRequests => {
  const limiter = new ConcurrencyLimiter(opts.perToken);
  const maxYieldMs = opts.maxYieldMs ?? 50;
  let lightInFlight = 0;
  let whenIdle: Array<() => void> = [];

  const lightDone = () => {
    lightInFlight--;
    if (lightInFlight > 0) return;
    const waiting = whenIdle;
    whenIdle = [];
    for (const resume of waiting) resume();
  };

  app.addHook('onRequest', async (req, reply) => {
    if (!req.routeOptions.config?.heavy) {
      lightInFlight++;
      reply.raw.once('close', lightDone);
      return;
    }
    if (!req.principal) return;
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

  return {
    yieldToLight: async () => {
      await nextTurn();
      if (lightInFlight === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, maxYieldMs);
        whenIdle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
};
