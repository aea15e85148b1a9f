import { isAppError } from '../lib/errors.ts';

/** A message that can never be stored (malformed, schema-invalid, violates a constraint): dead-letter it. */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

/**
 * What to do with a batch whose handler failed:
 * - `transient`: the database or network is away; keep the batch and retry with backoff, however long.
 * - `poison`: it will never succeed; dead-letter it now.
 * - `retry`: unknown; redeliver a bounded number of times, then dead-letter.
 */
export type FailureKind = 'transient' | 'poison' | 'retry';

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const TRANSIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i;

/** Classifies a handler failure (PostgreSQL SQLSTATE classes, Node socket errors, our own errors). */
export const classifyFailure = (e: unknown): FailureKind => {
  if (e instanceof PoisonMessageError) return 'poison';
  if (isAppError(e))
    return e.code === 'UPSTREAM_UNAVAILABLE' ? 'transient' : e.code === 'VALIDATION' ? 'poison' : 'retry';
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  if (TRANSIENT_NODE_CODES.has(code)) return 'transient';
  if (/^(08|53|57P)/.test(code) || code === '40001' || code === '40P01') return 'transient';
  // Integrity and data exceptions (a unit deleted meanwhile, a value out of a CHECK): permanent.
  if (/^(22|23)/.test(code)) return 'poison';
  if (typeof err?.message === 'string' && TRANSIENT_MESSAGES.test(err.message)) return 'transient';
  return 'retry';
};

/** Exponential backoff with a cap: 250 ms, 500 ms, … up to maxMs. */
export const backoffMs = (attempt: number, maxMs = 5_000): number =>
  Math.min(maxMs, 250 * 2 ** Math.max(0, attempt - 1));
