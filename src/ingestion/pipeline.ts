import { randomUUID } from 'node:crypto';
import type { IngestConfig } from '../config/config.ts';
import { createRunLog, failRunLog, recordProcessed } from '../db/ingestion-repo.ts';
import type { ClaimedCustomer } from '../db/schedule-repo.ts';
import type { Db } from '../db/types.ts';
import { expectedReadingRate } from '../db/unit-rates-repo.ts';
import type { Clock } from '../lib/clock.ts';
import { readingsRejectedTotal } from '../lib/metrics.ts';
import type { ReadingQueue } from '../queue/types.ts';
import { splitIntoBatches } from '../queue/types.ts';
import { codesOf, type CodeMapCache } from './code-map.ts';
import { collectWindow } from './collectors/collect.ts';
import { processRowsYielding } from './processor.ts';
import {
  DEFAULT_READING_INTERVAL_SECONDS,
  ROW_CAP_FLOOR,
  ROW_CAP_MARGIN,
  RowCapExceededError,
  rowCapFor,
} from './row-cap.ts';
import { completeRun } from './writer.ts';

export interface PipelineDeps {
  db: Db;
  queue: ReadingQueue;
  codeMaps: CodeMapCache;
  clock: Clock;
  ingest: IngestConfig;
  futureToleranceSeconds: number;
}

export interface CollectOutcome {
  ok: boolean;
  logId: string;
  fetched: number;
  accepted: number;
  rejected: number;
  windowStart: Date;
  windowEnd: Date;
  error?: string;
}

const HOUR_MS = 3_600_000;

/**
 * The window a run asks for: from a little before the high-water mark (or the initial backfill on
 * a first run) to now, never further back than the maximum backfill.
 */
export const collectionWindow = (
  highWaterMark: Date | null,
  now: Date,
  cfg: Pick<IngestConfig, 'initialBackfillHours' | 'maxBackfillHours' | 'overlapSeconds'>,
): { since: Date; until: Date } => {
  const nowMs = now.getTime();
  const earliest = nowMs - cfg.maxBackfillHours * HOUR_MS;
  const wanted = highWaterMark
    ? highWaterMark.getTime() - cfg.overlapSeconds * 1000
    : nowMs - cfg.initialBackfillHours * HOUR_MS;
  return { since: new Date(Math.min(nowMs, Math.max(earliest, wanted))), until: new Date(nowMs) };
};

/**
 * One collection run for a leased customer: open its log, fetch the window, validate, record the
 * counts, then publish the readings in batches. The run completes in the writer, once the last batch
 * is committed; only then does the high-water mark move. A run that dies anywhere before that leaves
 * the mark where it was, so the next run fetches the same readings again and the natural key dedupes.
 */
export const collectCustomer = async (deps: PipelineDeps, c: ClaimedCustomer): Promise<CollectOutcome> => {
  const { db, queue, ingest } = deps;
  const { since, until } = collectionWindow(c.high_water_mark, deps.clock.now(), ingest);
  const logId = await createRunLog(db, {
    customerId: c.customer_id,
    type: c.data_sharing_method,
    sourceUrl: c.api_url,
    windowStart: since,
    windowEnd: until,
  });
  const base = { logId, windowStart: since, windowEnd: until };
  const fail = async (
    error: string,
    counts = { fetched: 0, accepted: 0, rejected: 0 },
  ): Promise<CollectOutcome> => {
    await failRunLog(db, logId, error);
    return { ok: false, ...base, ...counts, error };
  };
  if (!c.api_url) return fail(`No source URL configured for customer ${c.customer_code}`);
  const rate = await expectedReadingRate(db, c.customer_id, DEFAULT_READING_INTERVAL_SECONDS);
  const windowMs = until.getTime() - since.getTime();
  const maxRows = rowCapFor({ ...rate, windowMs, ceiling: ingest.maxRowsPerRun });
  let rows;
  try {
    rows = await collectWindow(
      c.data_sharing_method,
      c.api_url,
      since,
      until,
      {
        connectTimeoutMs: ingest.connectTimeoutMs,
        totalTimeoutMs: ingest.totalTimeoutMs,
        maxBytes: ingest.maxResponseBytes,
      },
      maxRows,
    );
  } catch (e) {
    if (!(e instanceof RowCapExceededError)) return fail((e as Error).message);
    // The whole run fails and nothing is stored: which rows of a runaway source are real cannot be
    // told, and storing a prefix then advancing the high-water mark would drop the rest for good.
    // The mark stays, so once the source is fixed the next run fetches the window again.
    const read = e.cap + 1;
    const detail =
      `the source sent more than ${e.cap} rows for a ${Math.round(windowMs / 60_000)} min window ` +
      `and ${rate.units} units (cap: expected rows × ${ROW_CAP_MARGIN} + ${ROW_CAP_FLOOR}, at most ` +
      `TMS_INGEST_MAX_ROWS=${ingest.maxRowsPerRun}); stopped reading, nothing stored`;
    readingsRejectedTotal.inc({ reason: 'row_cap_exceeded' }, read);
    await recordProcessed(db, logId, {
      processed: read,
      rejected: read,
      rejections: {
        counts: { row_cap_exceeded: read },
        examples: [{ row: read, reason: 'row_cap_exceeded', detail }],
      },
      accepted: null,
    });
    return fail(`row_cap_exceeded: ${detail}`, { fetched: read, accepted: 0, rejected: read });
  }
  const units = await deps.codeMaps.lookupFor(c.customer_id, codesOf(rows));
  const result = await processRowsYielding({
    rows,
    customerCode: c.customer_code,
    timezone: c.timezone,
    units,
    nowMs: deps.clock.now().getTime(),
    futureToleranceMs: deps.futureToleranceSeconds * 1000,
  });
  for (const [reason, n] of Object.entries(result.rejections.counts))
    readingsRejectedTotal.inc({ reason }, n ?? 0);
  const counts = { fetched: rows.length, accepted: result.readings.length, rejected: result.rejected };
  await recordProcessed(db, logId, {
    processed: rows.length,
    rejected: result.rejected,
    rejections: result.rejections,
    accepted: result.readings.length,
  });
  if (result.readings.length === 0) {
    await completeRun(db, logId);
    return { ok: rows.length === 0 || result.rejected === 0, ...base, ...counts };
  }
  try {
    // Publishes are pipelined: all batches in flight, each resolved by its own broker confirm.
    await Promise.all(
      splitIntoBatches(result.readings, queue.maxBatchReadings).map((readings) =>
        queue.publish({ batchId: randomUUID(), ingestionLogId: logId, customerId: c.customer_id, readings }),
      ),
    );
  } catch (e) {
    return fail(`queue unavailable: ${(e as Error).message}`, counts);
  }
  return { ok: true, ...base, ...counts };
};
