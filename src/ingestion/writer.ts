import { addWrittenCounts, finaliseRunIfComplete, type FinalisedRun } from '../db/ingestion-repo.ts';
import { claimBatch, insertReadings, recordBatchCounts } from '../db/readings-repo.ts';
import { advanceHighWaterMark } from '../db/schedule-repo.ts';
import type { Db } from '../db/types.ts';
import type { ReadingBatch } from '../queue/types.ts';

export interface WriteResult {
  stored: number;
  duplicates: number;
  /** The batch had been written before (a redelivery): nothing was stored or counted. */
  alreadyApplied: boolean;
  /** Set when this batch completed its run. */
  finalised?: FinalisedRun;
}

/**
 * Writes one batch in one transaction: the batch id (exactly-once accounting), the readings
 * (idempotent on the natural key) with their hourly rollups, the run's counters, and, when this batch
 * completes the run, the run's final status and the customer's high-water mark. Nothing of it is
 * visible until all of it is committed, so a crash at any point leaves a state the next run repairs.
 */
export const writeBatch = (db: Db, batch: ReadingBatch): Promise<WriteResult> =>
  db.transaction(async (tx) => {
    const n = batch.readings.length;
    if (!(await claimBatch(tx, batch.batchId, batch.ingestionLogId, n)))
      return { stored: 0, duplicates: n, alreadyApplied: true };
    const stored = await insertReadings(tx, batch.customerId, batch.ingestionLogId, batch.readings);
    const duplicates = n - stored;
    await recordBatchCounts(tx, batch.batchId, stored, duplicates);
    if (!batch.ingestionLogId) return { stored, duplicates, alreadyApplied: false };
    await addWrittenCounts(tx, batch.ingestionLogId, stored, duplicates);
    const finalised = await completeRun(tx, batch.ingestionLogId);
    return { stored, duplicates, alreadyApplied: false, finalised };
  });

/** Ends the run if all its readings are accounted for; advances the high-water mark of collected runs. */
export const completeRun = async (
  tx: Parameters<Parameters<Db['transaction']>[0]>[0],
  logId: string,
): Promise<FinalisedRun | undefined> => {
  const run = await finaliseRunIfComplete(tx, logId);
  if (
    run &&
    run.status !== 'failure' &&
    run.customer_id &&
    run.window_end &&
    (run.ingestion_type === 'api' || run.ingestion_type === 'csv')
  )
    await advanceHighWaterMark(tx, run.customer_id, run.window_end);
  return run;
};
