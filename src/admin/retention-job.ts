import { randomUUID } from 'node:crypto';
import { systemActor } from '../audit/context.ts';
import { claimJob, releaseJob } from '../db/retention-repo.ts';
import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import {
  RETENTION_JOB,
  RETENTION_LEASE_SECONDS,
  runRetention,
  summaryOf,
  type RetentionResult,
} from './retention.ts';

// The daily retention job of the ingest role. Every ingest process checks shortly after it starts and
// then every hour; a check runs retention when no run holds the lease and the last one finished more
// than a day ago (job_runs, database time), so any number of ingest workers run it once a day between
// them, and a restart does not run it again the same day. On the embedded store it runs in the one
// process. Its audit entries name `system:retention`.

export const RETENTION_FIRST_CHECK_MS = 60_000;
export const RETENTION_CHECK_MS = 3_600_000;
/** A day, less a check's slack, so the run does not drift later by up to an hour each day. */
export const RETENTION_PERIOD_SECONDS = 86_400 - 3_600;

export interface RetentionJobOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  firstCheckMs?: number;
  checkMs?: number;
  batchSize?: number;
}

export interface RetentionJob {
  /** One check now (the timer's work): the run's result, or null when it was not due here. */
  check(): Promise<RetentionResult | null>;
  stop(): Promise<void>;
}

export const startRetentionJob = (opts: RetentionJobOptions): RetentionJob => {
  const { db, log } = opts;
  const owner = `retention:${randomUUID()}`;
  let stopped = false;
  let running: Promise<RetentionResult | null> | null = null;

  const runOnce = async (): Promise<RetentionResult | null> => {
    if (!(await claimJob(db, RETENTION_JOB, owner, RETENTION_LEASE_SECONDS, RETENTION_PERIOD_SECONDS)))
      return null;
    const started = Date.now();
    try {
      const r = await runRetention(
        { db, clock: opts.clock },
        {
          actor: systemActor('retention'),
          owner,
          leaseHeld: true,
          batchSize: opts.batchSize,
          stopping: () => stopped,
        },
      );
      await releaseJob(db, RETENTION_JOB, owner, summaryOf(r));
      for (const c of r.customers.filter((x) => x.deleted > 0))
        log.info(
          {
            customer: c.customer_code,
            deleted: c.deleted,
            batches: c.batches,
            cutoff: c.cutoff.toISOString(),
            retentionDays: c.retention_days,
            source: c.source,
          },
          'retention: raw readings deleted (rollups kept)',
        );
      log.info(
        {
          deleted: r.total,
          customers: r.customers.length,
          systemRetentionDays: r.system_retention_days,
          durationMs: Date.now() - started,
        },
        'retention run finished',
      );
      return r;
    } catch (err) {
      await releaseJob(db, RETENTION_JOB, owner).catch(() => undefined);
      throw err;
    }
  };

  const check = (): Promise<RetentionResult | null> => {
    running ??= runOnce().finally(() => {
      running = null;
    });
    return running;
  };

  const tick = () => {
    if (stopped) return;
    check()
      .catch((err: unknown) => log.error({ err }, 'retention run failed; the next check retries'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, opts.checkMs ?? RETENTION_CHECK_MS).unref();
      });
  };
  let timer: NodeJS.Timeout = setTimeout(tick, opts.firstCheckMs ?? RETENTION_FIRST_CHECK_MS).unref();

  return {
    check,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
};
