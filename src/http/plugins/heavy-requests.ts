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
  /** Heavy requests of one token that may wait for a slot (a dashboard page fires several). Default 8. */
  queuePerToken?: number;
  /** Longest such a request waits before its 429. Default 10 s. */
  maxQueueWaitMs?: number;
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
 * A few more wait in line for a slot (a dashboard page asks for four figures at once); past the
 * line, or after waiting `maxQueueWaitMs`, the answer is 429.
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
    // 'close' follows 'finish' and also fires when the client disconnects, mid-stream or still
    // waiting in line: either way its slot or its place in line is given back.
    const gone = new AbortController();
    const slot: { release?: () => void } = {};
    reply.raw.once('close', () => {
      gone.abort();
      slot.release?.();
    });
    const release = await limiter.acquire(req.principal.tokenId, {
      maxQueue: opts.queuePerToken ?? 8,
      maxWaitMs: opts.maxQueueWaitMs ?? 10_000,
      signal: gone.signal,
    });
    if (!release)
      throw new AppError(
        'RATE_LIMITED',
        `At most ${opts.perToken} export or analytics requests may run at once per token (and a few wait in line); retry when one has finished`,
        { retryAfterSeconds: 1 },
      );
    slot.release = release;
    if (gone.signal.aborted) release();
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
