import type { RejectionSummary } from '../domain/reading.ts';
import type { Sql } from './types.ts';

export type IngestionType = 'api' | 'csv' | 'import' | 'manual';
export type RunStatus = 'running' | 'success' | 'partial' | 'warning' | 'failure';

export interface NewRunLog {
  customerId: string | null;
  type: IngestionType;
  sourceUrl: string | null;
  windowStart?: Date | null;
  windowEnd?: Date | null;
}

/** Opens the log row of a run (status running) and returns its id. */
export const createRunLog = async (q: Sql, run: NewRunLog): Promise<string> => {
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO ingestion_logs (customer_id, ingestion_type, status, source_url, window_start, window_end)
     VALUES ($1, $2, 'running', $3, $4, $5) RETURNING id`,
    [run.customerId, run.type, run.sourceUrl, run.windowStart ?? null, run.windowEnd ?? null],
  );
  return row!.id;
};

export interface ProcessedCounts {
  /** Rows the source sent. */
  processed: number;
  rejected: number;
  rejections: RejectionSummary;
  /** Readings handed to the writer; the run completes when stored + duplicates reach it. Null: not known yet (a file import in chunks). */
  accepted: number | null;
}

/**
 * Records what the processor made of a run's rows. Must be committed before the first batch is
 * written, so the writer can tell when the run is complete.
 */
export const recordProcessed = async (q: Sql, logId: string, c: ProcessedCounts): Promise<void> =>
  void (await q.query(
    `UPDATE ingestion_logs SET records_processed = records_processed + $2, records_failed = records_failed + $3,
       rejection_reasons = $4::jsonb,
       records_accepted = CASE WHEN $5::int IS NULL THEN records_accepted ELSE coalesce(records_accepted, 0) + $5 END
     WHERE id = $1`,
    [logId, c.processed, c.rejected, JSON.stringify(c.rejections), c.accepted],
  ));

/**
 * Widens a run's data window to cover [start, end]: a file import's, chunk by chunk (an import's
 * window is where its readings lie, not a collection window; it never moves a high-water mark).
 */
export const widenRunWindow = async (q: Sql, logId: string, start: Date, end: Date): Promise<void> =>
  void (await q.query(
    `UPDATE ingestion_logs SET window_start = LEAST(window_start, $2), window_end = GREATEST(window_end, $3)
     WHERE id = $1`,
    [logId, start, end],
  ));

/** Declares a run's total of accepted readings (a file import, once its last chunk is written). */
export const setAccepted = async (q: Sql, logId: string, accepted: number, rejections: RejectionSummary) =>
  void (await q.query(
    'UPDATE ingestion_logs SET records_accepted = $2, rejection_reasons = $3::jsonb WHERE id = $1',
    [logId, accepted, JSON.stringify(rejections)],
  ));

/** Ends a run that failed before its readings could be queued (fetch error, timeout, bad body). */
export const failRunLog = async (q: Sql, logId: string, message: string): Promise<void> =>
  void (await q.query(
    `UPDATE ingestion_logs SET status = 'failure', error_message = $2, end_time = now(),
       duration_ms = (extract(epoch FROM now() - start_time) * 1000)::int
     WHERE id = $1`,
    [logId, message.slice(0, 2000)],
  ));

export interface FinalisedRun {
  id: string;
  customer_id: string | null;
  ingestion_type: IngestionType;
  status: RunStatus;
  window_end: Date | null;
  records_processed: number;
  records_succeeded: number;
  records_duplicate: number;
  records_failed: number;
  duration_ms: number;
}

export const EVERY_ROW_REJECTED_MESSAGE = 'every row was rejected';

// The run-outcome rule, once, as SQL over an ingestion_logs row `l`: both places that end a run (the
// writer's batch statement and finaliseRunIfComplete) decide inside the statement that commits it.
//  complete  every accepted reading is stored or known as a duplicate (`plus`: counts this statement adds).
//  status    warning when the source sent nothing, failure when it sent only rejected rows, partial when
//            some were rejected, else success.
//  error     EVERY_ROW_REJECTED_MESSAGE for that failure, else null: a late batch that completes a run
//            marked abandoned clears the mark.
//  hwm       a completed collection run (api, csv) that did not fail moves the customer's high-water
//            mark to its window end, never backwards; `log` names a row source of finalised runs.
/** SQL: the run `l` is complete. */
export const runCompleteSql = (l: string, plus = '0'): string =>
  `${l}.end_time IS NULL AND ${l}.records_accepted IS NOT NULL
   AND ${l}.records_succeeded + ${l}.records_duplicate + ${plus} >= ${l}.records_accepted`;
/** SQL: the final status of the complete run `l`. */
export const runStatusSql = (l: string): string =>
  `CASE WHEN ${l}.records_processed = 0 THEN 'warning' WHEN ${l}.records_accepted = 0 THEN 'failure'
        WHEN ${l}.records_failed > 0 THEN 'partial' ELSE 'success' END`;
/** SQL: the final error_message of the complete run `l`. */
export const runErrorMessageSql = (l: string): string =>
  `CASE WHEN ${l}.records_processed > 0 AND ${l}.records_accepted = 0 THEN '${EVERY_ROW_REJECTED_MESSAGE}' END`;
/** SQL: the final duration of the run `l`, ending now. */
export const runDurationSql = (l: string): string =>
  `(extract(epoch FROM now() - ${l}.start_time) * 1000)::int`;
/** SQL (a data-modifying CTE body): the high-water mark update for the finalised runs in `log`. */
export const advanceHighWaterMarkSql = (log: string): string =>
  `UPDATE ingestion_schedule s SET high_water_mark = GREATEST(s.high_water_mark, ${log}.window_end),
     last_success_at = now()
   FROM ${log} WHERE ${log}.finalised AND ${log}.status <> 'failure' AND ${log}.ingestion_type IN ('api', 'csv')
     AND ${log}.window_end IS NOT NULL AND s.customer_id = ${log}.customer_id
   RETURNING 1`;

/** The columns of a finalised run, as RETURNING from ingestion_logs `l`. */
export const FINALISED_RUN_COLUMNS = `l.id, l.customer_id, l.ingestion_type, l.status, l.window_end,
  l.records_processed, l.records_succeeded, l.records_duplicate, l.records_failed, l.duration_ms`;

/**
 * Ends a run once every accepted reading is stored or known as a duplicate (status and error by the
 * run-outcome rule above) and, for a collection run that did not fail, advances the customer's
 * high-water mark, in one statement. Returns the run when this call ended it.
 */
export const finaliseRunIfComplete = async (q: Sql, logId: string): Promise<FinalisedRun | undefined> =>
  (
    await q.query<FinalisedRun>(
      `WITH log AS (
         UPDATE ingestion_logs l SET status = ${runStatusSql('l')}, error_message = ${runErrorMessageSql('l')},
           end_time = now(), duration_ms = ${runDurationSql('l')}
         WHERE l.id = $1 AND ${runCompleteSql('l')}
         RETURNING ${FINALISED_RUN_COLUMNS}, true AS finalised
       ), hwm AS (${advanceHighWaterMarkSql('log')})
       SELECT id, customer_id, ingestion_type, status, window_end, records_processed, records_succeeded,
              records_duplicate, records_failed, duration_ms FROM log`,
      [logId],
    )
  )[0];

export const ABANDONED_MESSAGE = 'abandoned: the ingest process stopped before all readings were stored';

/**
 * Marks a customer's runs that have been open longer than `olderThanSeconds` as failed. Their
 * readings are fetched again by the next run; if a late batch still arrives, it completes the run.
 */
export const markAbandonedRuns = async (
  q: Sql,
  customerId: string,
  olderThanSeconds: number,
): Promise<number> =>
  (
    await q.query(
      `UPDATE ingestion_logs SET status = 'failure', error_message = $3
       WHERE customer_id = $1 AND end_time IS NULL AND status = 'running'
         AND start_time < now() - make_interval(secs => $2) RETURNING id`,
      [customerId, olderThanSeconds, ABANDONED_MESSAGE],
    )
  ).length;

export interface RunLogRow {
  id: string;
  customer_id: string | null;
  ingestion_type: IngestionType;
  status: RunStatus;
  records_processed: number;
  records_succeeded: number;
  records_duplicate: number;
  records_failed: number;
  records_accepted: number | null;
  rejection_reasons: RejectionSummary;
  start_time: Date;
  end_time: Date | null;
  duration_ms: number | null;
  window_start: Date | null;
  window_end: Date | null;
  source_url: string | null;
  error_message: string | null;
}

export const getRunLog = async (q: Sql, logId: string): Promise<RunLogRow | undefined> =>
  (await q.query<RunLogRow>('SELECT * FROM ingestion_logs WHERE id = $1', [logId]))[0];

/** A run's customer code (null for a run of no customer), for what a person reads about the run. */
export const runCustomerCode = async (q: Sql, logId: string): Promise<string | null> =>
  (
    await q.query<{ customer_code: string | null }>(
      `SELECT c.customer_code FROM ingestion_logs l LEFT JOIN customers c ON c.id = l.customer_id
       WHERE l.id = $1`,
      [logId],
    )
  )[0]?.customer_code ?? null;
