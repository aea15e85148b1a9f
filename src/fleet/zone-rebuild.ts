import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Db } from '../db/types.ts';
import { listPendingRebuilds, olderSnapshotsRunning, rebuildZoneChunk } from '../db/zone-rebuild-repo.ts';
import type { Logger } from '../lib/logger.ts';

/** What a zone change needs to tell: a rebuild is pending. */
export interface ZoneRebuildTrigger {
  wake(): void;
}

export interface ZoneRebuilder extends ZoneRebuildTrigger {
  /** Chunks committed, and chunks run again because a writer raced them, since start. */
  readonly counts: { chunks: number; raced: number };
  /** Resolves once a pass finds no rebuild pending (tests wait for the background work with it). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface ZoneRebuilderOptions {
  db: Db;
  log: Logger;
  /** How often to look for rebuilds left by another process or a restart (default 30 s). */
  pollMs?: number;
}

// SQLSTATEs after which a chunk is simply run again: a writer raced it (see zone-rebuild-repo.ts).
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const RACE_RETRY_MS = 20;
const SNAPSHOT_WAIT_MS = 200;
const ERROR_RETRY_MS = 5_000;

/**
 * Runs pending daily-rollup rebuilds (customer zone changes) in the background: one chunk per
 * customer per pass, each its own short transaction, and the event loop (and PGlite's single
 * session) is given back between chunks, so other customers' writers and readers interleave. It
 * resumes whatever `daily_rollup_rebuilds` holds at start; several processes may run one each (a
 * rebuild row is locked while a chunk of it runs, others skip it).
 */
export const startZoneRebuilder = ({ db, log, pollMs = 30_000 }: ZoneRebuilderOptions): ZoneRebuilder => {
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  let idleWaiters: Array<() => void> = [];
  const counts = { chunks: 0, raced: 0 };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopped) return resolve();
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  /** One pass over the pending rebuilds; returns how long to wait before the next (0: at once). */
  const pass = async (): Promise<number> => {
    const pending = await listPendingRebuilds(db);
    if (pending.length === 0) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
      return pollMs;
    }
    let next = SNAPSHOT_WAIT_MS;
    for (const p of pending) {
      if (stopped) break;
      if (db.backend === 'postgres' && (await olderSnapshotsRunning(db, p.switch_xid))) continue;
      try {
        const result = await rebuildZoneChunk(db, p);
        if (result === 'done')
          log.info({ customerId: p.customer_id, zone: p.time_zone }, 'daily rollups rebuilt');
        if (result !== 'gone') {
          counts.chunks++;
          next = 0;
        }
      } catch (err) {
        if (!RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
        counts.raced++;
        log.debug(
          { customerId: p.customer_id, code: (err as { code?: string }).code },
          'a writer raced a rebuild chunk; running it again',
        );
        next = Math.min(next, RACE_RETRY_MS);
      }
      // Give queued statements (PGlite) and requests their turn before the next chunk.
      await yieldToEventLoop();
    }
    return next;
  };

  const loop = (async () => {
    while (!stopped) {
      woken = false;
      let wait: number;
      try {
        wait = await pass();
      } catch (err) {
        if (stopped) break;
        log.warn({ err }, 'daily rollup rebuild failed; retrying');
        wait = ERROR_RETRY_MS;
      }
      if (wait > 0) await pause(wait);
    }
    for (const resolve of idleWaiters) resolve();
  })();

  return {
    counts,
    wake() {
      woken = true;
      wakeUp?.();
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        woken = true;
        wakeUp?.();
      });
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
};
