import { finaliseRunIfComplete, type FinalisedRun } from '../db/ingestion-repo.ts';
import { writeReadingBatch } from '../db/readings-repo.ts';
import type { Db, Sql } from '../db/types.ts';
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
 * Writes one batch atomically: the batch id (exactly-once accounting), the readings (idempotent on
 * the natural key) with their hourly rollups, the run's counters, and, when this batch completes the
 * run, the run's final status and the customer's high-water mark. Nothing of it is visible until all
 * of it is committed, so a crash at any point leaves a state the next run repairs.
 */
export const writeBatch = async (db: Db, batch: ReadingBatch): Promise<WriteResult> => {
  const n = batch.readings.length;
  const w = await writeReadingBatch(db, batch);
  if (!w.applied) return { stored: 0, duplicates: n, alreadyApplied: true };
  return { stored: w.stored, duplicates: n - w.stored, alreadyApplied: false, finalised: w.finalised };
};

/**
 * Ends the run if all its readings are accounted for, and advances the high-water mark of a collected
 * run (one statement; the same rule the writer applies when a batch completes a run).
 */
export const completeRun = (q: Sql, logId: string): Promise<FinalisedRun | undefined> =>
  finaliseRunIfComplete(q, logId);
