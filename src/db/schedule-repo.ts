import type { Sql } from './types.ts';

/** A customer claimed for collection, with what the run needs to know. */
export interface ClaimedCustomer {
  customer_id: string;
  customer_code: string;
  data_sharing_method: 'api' | 'csv';
  data_frequency_seconds: number;
  api_url: string | null;
  timezone: string;
  high_water_mark: Date | null;
  consecutive_failures: number;
}

/** Gives every active customer a schedule row (customers created after start are picked up here). */
export const ensureScheduleRows = async (q: Sql): Promise<number> =>
  (
    await q.query(
      `INSERT INTO ingestion_schedule (customer_id) SELECT id FROM customers WHERE is_active
       ON CONFLICT (customer_id) DO NOTHING RETURNING customer_id`,
    )
  ).length;

/**
 * Leases up to `limit` due customers to `owner`. SKIP LOCKED plus the lease make every customer go
 * to exactly one of any number of concurrent ingest processes; an expired lease (a dead process) is
 * free to take. Times are the database's, so the processes' clocks do not matter.
 */
export const claimDueCustomers = async (
  q: Sql,
  owner: string,
  leaseSeconds: number,
  limit: number,
): Promise<ClaimedCustomer[]> =>
  q.query<ClaimedCustomer>(
    `UPDATE ingestion_schedule s SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2),
       last_run_at = now()
     FROM customers c
     WHERE c.id = s.customer_id AND s.customer_id IN (
       SELECT s2.customer_id FROM ingestion_schedule s2 JOIN customers c2 ON c2.id = s2.customer_id
       WHERE c2.is_active AND s2.next_run_at <= now()
         AND (s2.lease_expires_at IS NULL OR s2.lease_expires_at < now())
       ORDER BY s2.next_run_at LIMIT $3
       FOR UPDATE OF s2 SKIP LOCKED)
     RETURNING s.customer_id, c.customer_code, c.data_sharing_method, c.data_frequency_seconds, c.api_url,
       c.timezone, s.high_water_mark, s.consecutive_failures`,
    [owner, leaseSeconds, limit],
  );

/** Extends the leases `owner` holds on these customers (runs still in progress). */
export const renewLeases = async (
  q: Sql,
  owner: string,
  customerIds: readonly string[],
  leaseSeconds: number,
) =>
  void (await q.query(
    `UPDATE ingestion_schedule SET lease_expires_at = now() + make_interval(secs => $3)
     WHERE lease_owner = $1 AND customer_id = ANY($2::uuid[])`,
    [owner, customerIds, leaseSeconds],
  ));

/** Ends a lease and schedules the customer's next run `delaySeconds` from now. */
export const releaseLease = async (
  q: Sql,
  customerId: string,
  owner: string,
  outcome: { ok: boolean; delaySeconds: number; error?: string },
): Promise<void> =>
  void (await q.query(
    `UPDATE ingestion_schedule SET lease_owner = NULL, lease_expires_at = NULL,
       next_run_at = now() + make_interval(secs => $3),
       consecutive_failures = CASE WHEN $4 THEN 0 ELSE consecutive_failures + 1 END,
       last_error = $5
     WHERE customer_id = $1 AND lease_owner = $2`,
    [customerId, owner, outcome.delaySeconds, outcome.ok, outcome.error?.slice(0, 2000) ?? null],
  ));

export interface ScheduleRow {
  customer_id: string;
  next_run_at: Date;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  last_run_at: Date | null;
  last_success_at: Date | null;
  high_water_mark: Date | null;
  consecutive_failures: number;
  last_error: string | null;
}

export const getSchedule = async (q: Sql, customerId: string): Promise<ScheduleRow | undefined> =>
  (await q.query<ScheduleRow>('SELECT * FROM ingestion_schedule WHERE customer_id = $1', [customerId]))[0];
