import { notifyReadingsChanged } from './reading-changes.ts';
import { rebuildTouchedDays } from './daily-rollups-repo.ts';
import { ROLLUP_AGGREGATES_OF_R } from './readings-repo.ts';
import type { Db, Sql } from './types.ts';

export interface CleanFilter {
  /** Readings ingested (created_at) after this instant: undoes a test ingestion. */
  ingestedAfter?: Date;
  /** Readings recorded before this instant: retention. */
  recordedBefore?: Date;
  customerId?: string;
  /** Every reading (alone, or within customerId). */
  all?: boolean;
}

/** Where the filter's columns are: the view's names, or the base tables' behind it (DELETE). */
const VIEW_COLUMNS = { createdAt: 'created_at', recordedAt: 'recorded_at', customerId: 'customer_id' };
const BASE_COLUMNS = { createdAt: 'b.written_at', recordedAt: 'r.recorded_at', customerId: 'u.customer_id' };

const whereOf = (f: CleanFilter, col = VIEW_COLUMNS): { sql: string; params: unknown[] } => {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (f.ingestedAfter) {
    params.push(f.ingestedAfter);
    parts.push(`${col.createdAt} > $${params.length}`);
  }
  if (f.recordedBefore) {
    params.push(f.recordedBefore);
    parts.push(`${col.recordedAt} < $${params.length}`);
  }
  if (f.customerId) {
    params.push(f.customerId);
    parts.push(`${col.customerId} = $${params.length}`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
};

export const countMatching = async (q: Sql, f: CleanFilter): Promise<number> => {
  const w = whereOf(f);
  const [row] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM temperature_readings WHERE ${w.sql}`,
    w.params,
  );
  return row!.n;
};

export const countReadings = async (q: Sql): Promise<number> => {
  const [row] = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM temperature_readings');
  return row!.n;
};

/** Writes the audit entry of a deletion, given how many readings went (the last step of its transaction). */
export type DeletionAudit = (tx: Sql, deleted: number) => Promise<unknown>;

/**
 * Deletes the matching readings and rebuilds the hourly and daily rollups of every unit-hour and
 * unit-day they touched, in one transaction, so aggregates never count deleted readings. Readings are
 * deleted only with an audit entry (migration 014's trigger refuses any other DELETE): the transaction
 * marks itself audited and `audit` writes the entry last, so the deletion and its record commit together.
 * @returns the number of readings deleted.
 */
export const deleteReadings = async (db: Db, f: CleanFilter, audit: DeletionAudit): Promise<number> => {
  const w = whereOf(f, BASE_COLUMNS);
  return db.transaction(async (tx) => {
    await tx.query("SELECT set_config('tms.reading_delete', 'audited', true)");
    await tx.query(
      'CREATE TEMP TABLE IF NOT EXISTS clean_touched (storage_unit_id uuid, bucket_start timestamptz) ON COMMIT DROP',
    );
    const [res] = await tx.query<{ n: number }>(
      `WITH del AS (DELETE FROM readings r USING storage_units u, ingestion_batches b
                    WHERE u.reading_key = r.unit_key AND b.batch_key = r.batch_key AND ${w.sql}
                    RETURNING u.id AS storage_unit_id, date_trunc('hour', r.recorded_at, 'UTC') AS bucket_start),
            ins AS (INSERT INTO clean_touched SELECT DISTINCT storage_unit_id, bucket_start FROM del RETURNING 1)
       SELECT (SELECT count(*) FROM del)::int AS n`,
      w.params,
    );
    await tx.query(
      `DELETE FROM reading_rollups_hourly r USING clean_touched t
       WHERE r.storage_unit_id = t.storage_unit_id AND r.bucket_start = t.bucket_start`,
    );
    await tx.query(
      `INSERT INTO reading_rollups_hourly (storage_unit_id, bucket_start, customer_id, facility_id, reading_count,
         null_count, sum_c, min_c, max_c, good_quality_count, mkt_term_sum)
       SELECT r.storage_unit_id, date_trunc('hour', r.recorded_at, 'UTC') AS b, min(r.customer_id::text)::uuid,
              min(r.facility_id::text)::uuid, ${ROLLUP_AGGREGATES_OF_R}
       FROM temperature_readings r
       JOIN (SELECT DISTINCT storage_unit_id, bucket_start FROM clean_touched) t
         ON t.storage_unit_id = r.storage_unit_id
        AND r.recorded_at >= t.bucket_start AND r.recorded_at < t.bucket_start + interval '1 hour'
       GROUP BY r.storage_unit_id, b`,
    );
    await rebuildTouchedDays(tx);
    // The API processes' kept answers go at commit (reading-changes.ts).
    await notifyReadingsChanged(tx, f.customerId ? [f.customerId] : undefined);
    await audit(tx, res!.n);
    return res!.n;
  });
};
