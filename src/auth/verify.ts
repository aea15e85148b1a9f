import { LRUCache } from 'lru-cache';
import { findTokenByHash, touchTokens, type TokenPrincipalRow } from '../db/tokens-repo.ts';
import type { Db } from '../db/types.ts';
import { hashToken, isWellFormedToken } from '../domain/tokens.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';

export interface TokenVerifierOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  /** How long a lookup is reused; revocation by another process takes effect within this time. Default 1000 ms; 0 = no cache. */
  cacheTtlMs?: number;
  /** How often `last_used_at` is written for the tokens seen since the last write. Default 5000 ms. */
  touchIntervalMs?: number;
  /** Valid tokens kept (least recently used dropped first). Default 10,000. */
  cacheMax?: number;
  /** Unknown, revoked or expired token hashes kept, apart from the valid ones. Default 1,000. */
  negativeCacheMax?: number;
}

export type Verification =
  | { ok: true; token: TokenPrincipalRow }
  /** `invalid`: no such token, or revoked, expired, or its customer deactivated. `not-cached`: a lookup was needed but not allowed. */
  | { ok: false; reason: 'invalid' | 'not-cached' };

export interface TokenVerifier {
  /**
   * Resolves a bearer token to its active row. `allowLookup: false` answers from the cache only (for
   * a client that has spent its budget of failed attempts: no database work on its behalf).
   */
  verify(token: string, opts?: { allowLookup?: boolean }): Promise<Verification>;
  /** Notes a use; `last_used_at` is written in batches, never once per request. */
  recordUse(tokenId: string): void;
  /** Drops a token from the cache at once (revoked in this process). */
  forget(tokenId: string): void;
  /** Writes the pending `last_used_at` updates and stops the timer. */
  close(): Promise<void>;
}

const isActive = (row: TokenPrincipalRow, nowMs: number): boolean =>
  row.is_active &&
  (row.expires_at === null || row.expires_at.getTime() > nowMs) &&
  (row.customer_id === null || row.customer_is_active === true);

/**
 * Bearer-token verification: checksum first (junk never reaches the database), then one indexed
 * lookup by SHA-256. Valid and invalid answers are cached apart, so a flood of unknown tokens
 * (each with a valid checksum) can only churn the small negative cache, never evict valid tokens.
 * Expiry is checked on every use, also for cached tokens.
 */
export const createTokenVerifier = (opts: TokenVerifierOptions): TokenVerifier => {
  const ttl = opts.cacheTtlMs ?? 1000;
  const valid =
    ttl > 0 ? new LRUCache<string, TokenPrincipalRow>({ max: opts.cacheMax ?? 10_000, ttl }) : undefined;
  const invalid =
    ttl > 0 ? new LRUCache<string, true>({ max: opts.negativeCacheMax ?? 1_000, ttl }) : undefined;
  const touched = new Set<string>();

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

  const verify: TokenVerifier['verify'] = async (token, { allowLookup = true } = {}) => {
    if (!isWellFormedToken(token)) return { ok: false, reason: 'invalid' };
    const hash = hashToken(token);
    const nowMs = opts.clock.now().getTime();
    const cached = valid?.get(hash);
    if (cached) {
      if (isActive(cached, nowMs)) return { ok: true, token: cached };
      valid!.delete(hash);
      invalid!.set(hash, true);
      return { ok: false, reason: 'invalid' };
    }
    if (invalid?.has(hash)) return { ok: false, reason: 'invalid' };
    if (!allowLookup) return { ok: false, reason: 'not-cached' };
    const row = await findTokenByHash(opts.db, hash);
    if (!row || !isActive(row, nowMs)) {
      invalid?.set(hash, true);
      return { ok: false, reason: 'invalid' };
    }
    valid?.set(hash, row);
    return { ok: true, token: row };
  };

  return {
    verify,
    recordUse: (id) => void touched.add(id),
    forget: (id) => {
      if (!valid) return;
      for (const [hash, row] of valid.entries()) if (row.id === id) valid.delete(hash);
    },
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
};
