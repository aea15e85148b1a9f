import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';

/** What every feature verb needs. */
export interface FeatureContext {
  db: Db;
  clock: Clock;
  /**
   * A streaming read replica (DATABASE_READ_URL) that falls back to `db` while it fails; absent
   * without one. Reached only through `forReads`, by the callers that accept replica lag.
   */
  readDb?: Db;
  /** Woken when a customer's zone changed (its daily rollups rebuild in the background, fleet/zone-rebuild.ts). */
  zoneRebuilds?: { wake(): void };
}

/**
 * The context for lag-tolerant reads: on the read replica when one is configured, so a reading or
 * an audit entry written a moment ago may not be in the answer yet (replica lag). Only for read-only
 * verbs; writes, token checks and reads of what the same request wrote stay on `ctx.db`.
 */
export const forReads = (ctx: FeatureContext): FeatureContext =>
  ctx.readDb ? { ...ctx, db: ctx.readDb } : ctx;
