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
  /** The largest id among them: later batches delete no reading stored after this count. */
  max_id: number | null;
}

/** Counts a customer's readings recorded before `cutoff`. */
export const countExpiredReadings = async (
  q: Sql,
  customerId: string,
  cutoff: Date,
): Promise<ExpiredReadings> => {
  const [row] = await q.query<ExpiredReadings>(
    `SELECT count(*)::int AS count, min(recorded_at) AS oldest, max(recorded_at) AS newest, max(id)::float8 AS max_id
     FROM temperature_readings WHERE customer_id = $1::uuid AND recorded_at < $2::timestamptz`,
    [customerId, cutoff],
  );
  return row!;
};

/**
 * Deletes at most `limit` of a customer's readings recorded before `cutoff` with id ≤ `maxId`,
 * oldest first, in the caller's transaction (which must have marked itself audited: migration 014's
 * trigger refuses any other DELETE). The rollups of those hours and days are kept as they are.
 * @returns how many were deleted.
 */
export const deleteExpiredBatch = async (
  tx: Sql,
  customerId: string,
  cutoff: Date,
  maxId: number,
  limit: number,
): Promise<number> => {
  const [row] = await tx.query<{ n: number }>(
    `WITH del AS (
       DELETE FROM temperature_readings WHERE id IN (
         SELECT id FROM temperature_readings
         WHERE customer_id = $1::uuid AND recorded_at < $2::timestamptz AND id <= $3::bigint
         ORDER BY recorded_at LIMIT $4::int)
       RETURNING 1)
     SELECT count(*)::int AS n FROM del`,
    [customerId, cutoff, maxId, limit],
  );
  return row!.n;
};

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
