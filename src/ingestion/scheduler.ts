import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { markAbandonedRuns } from '../db/ingestion-repo.ts';
import {
  claimDueCustomers,
  ensureScheduleRows,
  releaseLease,
  renewLeases,
  type ClaimedCustomer,
} from '../db/schedule-repo.ts';
import type { Logger } from '../lib/logger.ts';
import { collectCustomer, type CollectOutcome, type PipelineDeps } from './pipeline.ts';
import { ingestionRunDuration } from '../lib/metrics.ts';

export interface SchedulerOptions {
  deps: PipelineDeps;
  log: Logger;
  /** Identifies this process in leases (default host:pid:random). */
  owner?: string;
  random?: () => number;
}

/** Seconds until the next run: the period plus a small jitter (≤ 5 s or 5 %) so customers spread out. */
export const nextDelaySeconds = (frequencySeconds: number, random: () => number): number =>
  frequencySeconds + random() * Math.min(5, frequencySeconds * 0.05);

/** Seconds to wait after the n-th consecutive failure: base·2^(n-1), capped. */
export const backoffSeconds = (failures: number, baseSeconds: number, maxSeconds: number): number =>
  Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, failures - 1));

const ENSURE_EVERY_MS = 10_000;
/** A run still open after this long is reported as abandoned (its process died). */
const ABANDON_AFTER_SECONDS = 600;

/**
 * Collects every active customer every data_frequency_seconds. The schedule lives in the database:
 * each tick leases the due customers (SKIP LOCKED), so any number of processes share the fleet and a
 * customer is collected by one of them at a time; leases are renewed while a run lasts and expire if
 * the process dies. Customer changes are read at every claim, so they apply without a restart.
 */
export class Scheduler {
  readonly owner: string;
  readonly #deps: PipelineDeps;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #running = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastEnsure = 0;
  #lastRenew = 0;
  #ticking: Promise<void> | undefined;

  constructor(opts: SchedulerOptions) {
    this.#deps = opts.deps;
    this.#log = opts.log;
    this.#random = opts.random ?? Math.random;
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  start(): void {
    const loop = () => {
      if (this.#stopped) return;
      this.#ticking = this.tick()
        .then(() => undefined)
        .catch((err: unknown) => this.#log.warn({ err }, 'scheduler tick failed; retrying'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, this.#deps.ingest.tickMs);
        });
    };
    loop();
  }

  /** Stops claiming and waits for the runs in progress (their readings are queued by then). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#ticking;
    await Promise.allSettled([...this.#running.values()]);
  }

  // Process-side timing (when to re-create schedule rows, renew leases, run durations) reads the
  // injected clock, so tests step it instead of sleeping; lease and due times are the database's now().
  #nowMs(): number {
    return this.#deps.clock.now().getTime();
  }

  /** Customers this process is collecting right now. */
  get running(): readonly string[] {
    return [...this.#running.keys()];
  }

  /** One scheduling step: make schedule rows, renew leases, claim due customers and start their runs. */
  async tick(): Promise<ClaimedCustomer[]> {
    const { db, ingest } = this.#deps;
    const now = this.#nowMs();
    if (now - this.#lastEnsure >= ENSURE_EVERY_MS) {
      await ensureScheduleRows(db);
      this.#lastEnsure = now;
    }
    if (this.#running.size > 0 && now - this.#lastRenew >= (ingest.leaseSeconds * 1000) / 3) {
      await renewLeases(db, this.owner, [...this.#running.keys()], ingest.leaseSeconds);
      this.#lastRenew = now;
    }
    const free = ingest.concurrency - this.#running.size;
    if (free <= 0 || this.#stopped) return [];
    const claimed = await claimDueCustomers(db, this.owner, ingest.leaseSeconds, free);
    for (const c of claimed) {
      const run = this.#runOne(c).finally(() => this.#running.delete(c.customer_id));
      this.#running.set(c.customer_id, run);
    }
    return claimed;
  }

  async #runOne(c: ClaimedCustomer): Promise<void> {
    const { db, ingest } = this.#deps;
    const t0 = this.#nowMs();
    let outcome: CollectOutcome | undefined;
    let error: string | undefined;
    try {
      await markAbandonedRuns(db, c.customer_id, ABANDON_AFTER_SECONDS);
      outcome = await collectCustomer(this.#deps, c);
      error = outcome.error;
    } catch (e) {
      error = (e as Error).message;
    }
    const ok = outcome?.ok ?? false;
    ingestionRunDuration.observe(
      { method: c.data_sharing_method, status: ok ? 'ok' : 'failure' },
      (this.#nowMs() - t0) / 1000,
    );
    const delaySeconds = ok
      ? nextDelaySeconds(c.data_frequency_seconds, this.#random)
      : backoffSeconds(c.consecutive_failures + 1, ingest.retryBaseSeconds, ingest.retryMaxSeconds);
    const line = {
      customer: c.customer_code,
      method: c.data_sharing_method,
      logId: outcome?.logId,
      fetched: outcome?.fetched ?? 0,
      accepted: outcome?.accepted ?? 0,
      rejected: outcome?.rejected ?? 0,
      windowStart: outcome?.windowStart,
      windowEnd: outcome?.windowEnd,
      durationMs: this.#nowMs() - t0,
      nextInSeconds: Math.round(delaySeconds),
    };
    // One info line per run: the writer logs "run stored" when the last batch commits; a run with
    // nothing to store ends here.
    if (ok) this.#log[outcome?.accepted ? 'debug' : 'info'](line, 'collected');
    else this.#log.warn({ ...line, error, failures: c.consecutive_failures + 1 }, 'collection failed');
    try {
      await releaseLease(db, c.customer_id, this.owner, { ok, delaySeconds, error });
    } catch (err) {
      // The lease expires by itself; another tick (here or elsewhere) takes the customer again.
      this.#log.warn({ err, customer: c.customer_code }, 'releasing the lease failed');
    }
  }
}
