import type { Sql } from './types.ts';

// Retention (src/admin/retention.ts): which raw readings are past a customer's retention, deleting
// them in short batches, where each customer's deletions end, and the lease of the daily job.
// Rollups are never touched here: they are what keeps old periods answerable.

export interface RetentionCustomer {
  id: string;
  customer_code: string;
  /** The customer's own setting; null: the system's. */
  data_retention_days: number | null;
}

export const listRetentionCustomers = (q: Sql, customerId?: string): Promise<RetentionCustomer[]> =>
  q.query<RetentionCustomer>(
    `SELECT id, customer_code, data_retention_days FROM customers
     WHERE ($1::uuid IS NULL OR id = $1::uuid) ORDER BY customer_code`,
    [customerId ?? null],
  );

/** What a run would delete of one customer: readings recorded before the cutoff. */
export interface ExpiredReadings {
  count: number;
  oldest: Date | null;
  newest: Date | null;
  /** The largest batch key among them: later batches delete no reading stored after this count. */
  max_id: number | null;
}

// The customer's units by their compact key (migration 019): readings are found through the natural
// key's index, unit by unit.
const UNIT_KEYS = 'SELECT reading_key FROM storage_units WHERE customer_id = $1::uuid';

/** Counts a customer's readings recorded before `cutoff`. */
export const countExpiredReadings = async (
  q: Sql,
  customerId: string,
  cutoff: Date,
): Promise<ExpiredReadings> => {
  const [row] = await q.query<ExpiredReadings>(
    `SELECT count(*)::int AS count, min(recorded_at) AS oldest, max(recorded_at) AS newest,
            max(batch_key)::float8 AS max_id
     FROM readings WHERE unit_key = ANY (ARRAY(${UNIT_KEYS})) AND recorded_at < $2::timestamptz`,
    [customerId, cutoff],
  );
  return row!;
};

/**
 * Deletes at most `limit` of a customer's readings recorded in [from, cutoff) with batch key ≤
 * `maxId`, unit by unit, in the caller's transaction (which must have marked itself audited:
 * migration 014's trigger refuses any other DELETE). `from` skips the partitions the run drops whole.
 * The rollups of those hours and days are kept as they are.
 * @returns how many were deleted.
 */
export const deleteExpiredBatch = async (
  tx: Sql,
  customerId: string,
  range: { from: Date | null; cutoff: Date },
  maxId: number,
  limit: number,
): Promise<number> => {
  const [row] = await tx.query<{ n: number }>(
    `WITH doomed AS (
       SELECT unit_key, recorded_at FROM readings
       WHERE unit_key = ANY (ARRAY(${UNIT_KEYS})) AND recorded_at < $2::timestamptz
         AND ($5::timestamptz IS NULL OR recorded_at >= $5::timestamptz) AND batch_key <= $3::bigint
       LIMIT $4::int
     ), del AS (
       DELETE FROM readings r USING doomed d
       WHERE r.unit_key = d.unit_key AND r.recorded_at = d.recorded_at
       RETURNING 1)
     SELECT count(*)::int AS n FROM del`,
    [customerId, range.cutoff, maxId, limit, range.from],
  );
  return row!.n;
};

// ---------- whole partitions ----------

/** A monthly partition of `readings` (migration 019): its name and [from, to) range. */
export interface ReadingPartition {
  name: string;
  from: Date;
  to: Date;
}

/** The partitions of `readings`, oldest first (their names say their month: readings_YYYY_MM). */
export const listReadingPartitions = async (q: Sql): Promise<ReadingPartition[]> => {
  const rows = await q.query<{ name: string }>(
    `SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'readings'::regclass`,
  );
  const parts: ReadingPartition[] = [];
  for (const { name } of rows) {
    const m = /^readings_(\d{4})_(\d{2})$/.exec(name);
    if (!m) continue;
    const y = Number(m[1]);
    const mo = Number(m[2]) - 1;
    parts.push({ name, from: new Date(Date.UTC(y, mo, 1)), to: new Date(Date.UTC(y, mo + 1, 1)) });
  }
  return parts.sort((a, b) => a.from.getTime() - b.from.getTime());
};

/** True when any of the customers has a reading in the partition. */
export const partitionHoldsCustomers = async (
  q: Sql,
  partition: ReadingPartition,
  customerIds: readonly string[],
): Promise<boolean> => {
  if (customerIds.length === 0) return false;
  const [row] = await q.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${quoteIdent(partition.name)}
       WHERE unit_key = ANY (ARRAY(SELECT reading_key FROM storage_units WHERE customer_id = ANY ($1::uuid[])))) AS held`,
    [customerIds],
  );
  return row!.held;
};

/** Drops a partition with every reading in it (the caller has written the audit entries). */
export const dropReadingPartition = async (tx: Sql, partition: ReadingPartition): Promise<void> => {
  await tx.query(`DROP TABLE ${quoteIdent(partition.name)}`);
};

/** Creates the partitions of the months from `from` to `to` that do not exist yet. */
export const ensureReadingPartitions = async (q: Sql, from: Date, to: Date): Promise<number> => {
  const [row] = await q.query<{ n: number }>('SELECT readings_ensure_partitions($1, $2) AS n', [from, to]);
  return row!.n;
};

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Marks the audited transaction that may delete readings (migration 014). */
export const markReadingDeleteAudited = async (tx: Sql): Promise<void> => {
  await tx.query("SELECT set_config('tms.reading_delete', 'audited', true)");
};

/** Records that the customer's raw readings before `before` are gone (only ever moves forward). */
export const recordDeletedBefore = async (tx: Sql, customerId: string, before: Date): Promise<void> => {
  await tx.query(
    `INSERT INTO reading_retention (customer_id, deleted_before) VALUES ($1::uuid, $2::timestamptz)
     ON CONFLICT (customer_id) DO UPDATE
       SET deleted_before = greatest(reading_retention.deleted_before, excluded.deleted_before), updated_at = now()`,
    [customerId, before],
  );
};

// ---------- the lease of a periodic job (job_runs) ----------

/**
 * Takes the job's lease for `owner` for `leaseSeconds` when nobody else holds it and, with
 * `minIntervalSeconds`, when its last run finished at least that long ago (database time).
 * @returns true when this owner now holds the lease.
 */
export const claimJob = async (
  q: Sql,
  job: string,
  owner: string,
  leaseSeconds: number,
  minIntervalSeconds: number | null,
): Promise<boolean> => {
  await q.query('INSERT INTO job_runs (job) VALUES ($1) ON CONFLICT (job) DO NOTHING', [job]);
  const rows = await q.query(
    `UPDATE job_runs SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3::float8),
       last_started_at = now()
     WHERE job = $1 AND (lease_owner IS NULL OR lease_expires_at < now() OR lease_owner = $2)
       AND ($4::float8 IS NULL OR last_finished_at IS NULL
            OR last_finished_at <= now() - make_interval(secs => $4::float8))
     RETURNING job`,
    [job, owner, leaseSeconds, minIntervalSeconds],
  );
  return rows.length > 0;
};

/** Extends the owner's lease; false when it was lost (expired and taken by another process). */
export const renewJob = async (q: Sql, job: string, owner: string, leaseSeconds: number): Promise<boolean> =>
  (
    await q.query(
      `UPDATE job_runs SET lease_expires_at = now() + make_interval(secs => $3::float8)
       WHERE job = $1 AND lease_owner = $2 RETURNING job`,
      [job, owner, leaseSeconds],
    )
  ).length > 0;

/** Gives the lease back; with a result, the run counts as finished (now) and the result is kept. */
export const releaseJob = async (q: Sql, job: string, owner: string, result?: unknown): Promise<void> => {
  await q.query(
    `UPDATE job_runs SET lease_owner = NULL, lease_expires_at = NULL,
       last_finished_at = CASE WHEN $3::jsonb IS NULL THEN last_finished_at ELSE now() END,
       last_result = coalesce($3::jsonb, last_result)
     WHERE job = $1 AND lease_owner = $2`,
    [job, owner, result === undefined ? null : JSON.stringify(result)],
  );
};

export interface JobRun {
  lease_owner: string | null;
  lease_expires_at: Date | null;
  last_started_at: Date | null;
  last_finished_at: Date | null;
  last_result: unknown;
}

export const readJobRun = async (q: Sql, job: string): Promise<JobRun | undefined> =>
  (
    await q.query<JobRun>(
      'SELECT lease_owner, lease_expires_at, last_started_at, last_finished_at, last_result FROM job_runs WHERE job = $1',
      [job],
    )
  )[0];
