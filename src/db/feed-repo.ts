import { newestOfUnitsSql } from './reading-keys.ts';
import type { Sql } from './types.ts';

/** What the feed status of one customer is computed from. */
export interface FeedRow {
  customer_id: string;
  data_frequency_seconds: number;
  newest_reading_at: Date | null;
  last_run_at: Date | null;
  last_run_status: string | null;
  last_error: string | null;
}

/**
 * Per customer: its collection period, its newest reading and its latest finished ingestion run
 * (a run still open says nothing yet). Three index probes per customer.
 */
export const feedRows = async (q: Sql, customerIds: readonly string[]): Promise<FeedRow[]> =>
  customerIds.length === 0
    ? []
    : q.query<FeedRow>(
        `SELECT c.id AS customer_id, c.data_frequency_seconds,
           ${newestOfUnitsSql('u2.customer_id = c.id')} AS newest_reading_at,
           l.start_time AS last_run_at, l.status AS last_run_status, l.error_message AS last_error
         FROM customers c
         LEFT JOIN LATERAL (SELECT start_time, status, error_message FROM ingestion_logs g
                            WHERE g.customer_id = c.id AND g.status <> 'running'
                            ORDER BY g.start_time DESC LIMIT 1) l ON true
         WHERE c.id = ANY($1::uuid[])`,
        [customerIds],
      );
