import { notifyReadingsChanged } from '../db/reading-changes.ts';
import { randomUUID } from 'node:crypto';
import { currentAuditScope, type AuditActor } from '../audit/context.ts';
import { recordAudit } from '../audit/record.ts';
import { getConfigValue } from '../db/config-repo.ts';
import {
  claimJob,
  countExpiredReadings,
  deleteExpiredBatch,
  dropReadingPartition,
  ensureReadingPartitions,
  listReadingPartitions,
  listRetentionCustomers,
  partitionHoldsCustomers,
  type ReadingPartition,
  markReadingDeleteAudited,
  recordDeletedBefore,
  releaseJob,
  renewJob,
} from '../db/retention-repo.ts';
import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';

// Retention that keeps the proof (issue 12). For each customer, raw readings recorded before
// cutoff = the UTC midnight at or before (now − retention days) are deleted, where retention days is
// the customer's `data_retention_days`, else the system setting of that name (default 730). The
// hourly and daily rollups are kept, so MKT, compliance figures and summaries of old periods stay
// available (src/readings/compliance.ts answers the deleted part from them); the cutoff is a whole
// UTC day so the kept rollup hours and days describe exactly the readings that went.
//
// Deletion runs in batches, each its own short transaction, so a large backlog never holds one long
// transaction. Each customer with something to delete gets exactly one audit entry, written in its
// FIRST batch's transaction (before any of its readings are gone for good): the count, range and
// cutoff of everything this run deletes of it, fixed at that moment (later batches delete no reading
// stored after it). A run that stops midway leaves the rest for the next run, which records it again.
// The audit trail itself is never deleted: it is kept at least as long as the records it covers.

export const RETENTION_JOB = 'retention';
export const DEFAULT_RETENTION_DAYS = 730;
export const DEFAULT_BATCH_SIZE = 10_000;
/** The lease of a run; renewed after every batch. */
export const RETENTION_LEASE_SECONDS = 600;

const DAY_MS = 86_400_000;

export interface RetentionContext {
  db: Db;
  clock: Clock;
}

export interface RetentionOptions {
  dryRun?: boolean;
  /** Readings deleted per transaction (default 10,000). */
  batchSize?: number;
  /** Only this customer (id). */
  customerId?: string;
  /** Who the entries name (default: the current scope's actor, e.g. `cli:<user>`). */
  actor?: AuditActor;
  /** Holder of the job's lease (default: a fresh id). */
  owner?: string;
  /** The lease is already held by `owner` (the daily job took it). */
  leaseHeld?: boolean;
  /** Checked between batches: true stops the run there (the rest is left for the next run). */
  stopping?: () => boolean;
}

export interface CustomerRetention {
  customer_id: string;
  customer_code: string;
  retention_days: number;
  /** Where retention_days comes from. */
  source: 'customer' | 'system';
  cutoff: Date;
  /** Readings recorded before the cutoff when the customer's run began. */
  expired: number;
  /** Deleted by this run (0 in a dry run). */
  deleted: number;
  oldest: Date | null;
  newest: Date | null;
  batches: number;
}

export interface RetentionResult {
  dry_run: boolean;
  system_retention_days: number;
  batch_size: number;
  customers: CustomerRetention[];
  /** Readings deleted (would be, in a dry run) in all. */
  total: number;
  /** Monthly partitions dropped whole (would be, in a dry run): see planPartitionDrops. */
  partitions_dropped: string[];
}

/** The system's `data_retention_days` (a positive integer, else the default). */
export const systemRetentionDays = async (db: Db): Promise<number> => {
  const v = await getConfigValue(db, 'data_retention_days');
  return Number.isInteger(v) && (v as number) >= 1 ? (v as number) : DEFAULT_RETENTION_DAYS;
};

/** The first instant kept: the UTC midnight at or before now − days. */
export const retentionCutoff = (now: Date, days: number): Date =>
  new Date(Math.floor((now.getTime() - days * DAY_MS) / DAY_MS) * DAY_MS);

/**
 * Applies retention to every customer (or one): see the top of this file. Only one run at a time
 * deletes (the `retention` row of job_runs); a dry run only counts and writes nothing.
 * @throws AppError CONFLICT when another run holds the lease; VALIDATION for a bad batch size.
 */
export const runRetention = async (
  ctx: RetentionContext,
  opts: RetentionOptions = {},
): Promise<RetentionResult> => {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new AppError('VALIDATION', 'batch size must be a positive integer');
  const dryRun = opts.dryRun === true;
  const owner = opts.owner ?? `retention:${randomUUID()}`;
  const { db } = ctx;
  if (
    !dryRun &&
    !opts.leaseHeld &&
    !(await claimJob(db, RETENTION_JOB, owner, RETENTION_LEASE_SECONDS, null))
  )
    throw new AppError('CONFLICT', 'A retention run is in progress elsewhere; try again when it ends');
  try {
    const systemDays = await systemRetentionDays(db);
    const now = ctx.clock.now();
    const actor = opts.actor ?? currentAuditScope().actor;
    // The months ahead get their partitions here (the writers create a missing one on demand too).
    if (!dryRun) await ensureReadingPartitions(db, now, new Date(now.getTime() + 62 * DAY_MS));
    const all = await listRetentionCustomers(db);
    const cutoffs = new Map(
      all.map((c) => [c.id, retentionCutoff(now, c.data_retention_days ?? systemDays)]),
    );
    // Whole partitions go only in a run over every customer.
    const drops = opts.customerId ? [] : await planPartitionDrops(db, cutoffs);
    const keptFrom = drops.length ? drops[drops.length - 1]!.to : null;
    const customers: CustomerRetention[] = [];
    for (const c of all.filter((x) => !opts.customerId || x.id === opts.customerId)) {
      if (opts.stopping?.()) break;
      const days = c.data_retention_days ?? systemDays;
      const source = c.data_retention_days === null ? 'system' : 'customer';
      const cutoff = retentionCutoff(now, days);
      const base = {
        customer_id: c.id,
        customer_code: c.customer_code,
        retention_days: days,
        source,
        cutoff,
      } as const;
      if (dryRun) {
        const e = await countExpiredReadings(db, c.id, cutoff);
        customers.push({
          ...base,
          expired: e.count,
          deleted: 0,
          oldest: e.oldest,
          newest: e.newest,
          batches: 0,
        });
        continue;
      }
      customers.push(
        await deleteCustomerExpired(db, base, {
          batchSize,
          actor,
          owner,
          keptFrom,
          stopping: opts.stopping,
        }),
      );
    }
    const dropped: string[] = [];
    for (const p of drops) {
      if (dryRun) {
        dropped.push(p.name);
        continue;
      }
      if (opts.stopping?.()) break;
      if (!(await renewJob(db, RETENTION_JOB, owner, RETENTION_LEASE_SECONDS)))
        throw new AppError('CONFLICT', 'The retention lease was lost (another process took it over)');
      await db.transaction(async (tx) => {
        await dropReadingPartition(tx, p);
        await notifyReadingsChanged(tx);
        await recordAudit(tx, {
          entityType: 'readings',
          entityId: null,
          customerId: null,
          action: 'retention',
          actor,
          reason: currentAuditScope().reason ?? 'every customer with readings in it is past its retention',
          details: { partition: p.name, from: p.from.toISOString(), to: p.to.toISOString(), rollups: 'kept' },
        });
      });
      dropped.push(p.name);
    }
    // What the dropped partitions held was counted in each customer's entry (deleted).
    for (const c of customers)
      if (!dryRun && keptFrom && dropped.length === drops.length) c.deleted = Math.max(c.deleted, c.expired);
    const result: RetentionResult = {
      dry_run: dryRun,
      system_retention_days: systemDays,
      batch_size: batchSize,
      customers,
      total: customers.reduce((n, c) => n + (dryRun ? c.expired : c.deleted), 0),
      partitions_dropped: dropped,
    };
    if (!dryRun && !opts.leaseHeld) await releaseJob(db, RETENTION_JOB, owner, summaryOf(result));
    return result;
  } catch (err) {
    if (!dryRun && !opts.leaseHeld) await releaseJob(db, RETENTION_JOB, owner).catch(() => undefined);
    throw err;
  }
};

/** What job_runs keeps of a run: the totals and the customers that lost readings. */
export const summaryOf = (r: RetentionResult) => ({
  total: r.total,
  partitions_dropped: r.partitions_dropped,
  customers: r.customers
    .filter((c) => c.deleted > 0)
    .map((c) => ({ code: c.customer_code, deleted: c.deleted, cutoff: c.cutoff })),
});

/**
 * The oldest partitions that can go whole: each ends at or before the cutoff of every customer with
 * a reading in it (a customer whose retention is longer keeps the month, and every later one, in
 * place: their other customers' readings there are deleted in batches instead).
 */
export const planPartitionDrops = async (
  db: Db,
  cutoffs: ReadonlyMap<string, Date>,
): Promise<ReadingPartition[]> => {
  const drops: ReadingPartition[] = [];
  if (cutoffs.size === 0) return drops;
  for (const p of await listReadingPartitions(db)) {
    const blocking = [...cutoffs].filter(([, cutoff]) => cutoff < p.to).map(([id]) => id);
    if (blocking.length === cutoffs.size && cutoffs.size > 0) break; // every customer keeps this month
    if (await partitionHoldsCustomers(db, p, blocking)) break;
    drops.push(p);
  }
  return drops;
};

const deleteCustomerExpired = async (
  db: Db,
  base: Pick<CustomerRetention, 'customer_id' | 'customer_code' | 'retention_days' | 'source' | 'cutoff'>,
  run: {
    batchSize: number;
    actor: AuditActor;
    owner: string;
    /** Readings before this instant are in partitions the run drops whole: not deleted one by one. */
    keptFrom: Date | null;
    stopping?: () => boolean;
  },
): Promise<CustomerRetention> => {
  const { customer_id: customerId, cutoff } = base;
  // The first batch: fix what this run deletes, delete the first part and write the one entry.
  const first = await db.transaction(async (tx) => {
    await markReadingDeleteAudited(tx);
    const e = await countExpiredReadings(tx, customerId, cutoff);
    if (e.count === 0 || e.max_id === null) return { e, n: 0 };
    const n = await deleteExpiredBatch(
      tx,
      customerId,
      { from: run.keptFrom, cutoff },
      e.max_id,
      run.batchSize,
    );
    await recordDeletedBefore(tx, customerId, cutoff);
    await notifyReadingsChanged(tx, [customerId]);
    await recordAudit(tx, {
      entityType: 'readings',
      entityId: null,
      customerId,
      action: 'retention',
      actor: run.actor,
      reason:
        currentAuditScope().reason ??
        `data_retention_days = ${base.retention_days} (${base.source === 'customer' ? "the customer's setting" : 'system setting'})`,
      details: {
        customer: base.customer_code,
        cutoff: cutoff.toISOString(),
        retention_days: base.retention_days,
        retention_source: base.source,
        deleted: e.count,
        oldest_recorded_at: e.oldest?.toISOString() ?? null,
        newest_recorded_at: e.newest?.toISOString() ?? null,
        rollups: 'kept',
      },
    });
    return { e, n };
  });
  const { e } = first;
  let deleted = first.n;
  let batches = first.n > 0 ? 1 : 0;
  let last = first.n;
  while (last === run.batchSize && e.max_id !== null && !run.stopping?.()) {
    if (!(await renewJob(db, RETENTION_JOB, run.owner, RETENTION_LEASE_SECONDS)))
      throw new AppError('CONFLICT', 'The retention lease was lost (another process took it over)');
    last = await db.transaction(async (tx) => {
      await markReadingDeleteAudited(tx);
      await notifyReadingsChanged(tx, [customerId]);
      return deleteExpiredBatch(tx, customerId, { from: run.keptFrom, cutoff }, e.max_id!, run.batchSize);
    });
    deleted += last;
    if (last > 0) batches += 1;
  }
  return { ...base, expired: e.count, deleted, oldest: e.oldest, newest: e.newest, batches };
};
