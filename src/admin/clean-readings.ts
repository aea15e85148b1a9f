import { recordAudit, requireReason } from '../audit/record.ts';
import { countMatching, countReadings, deleteReadings, type CleanFilter } from '../db/clean-repo.ts';
import type { Db } from '../db/types.ts';

// `db clean`: deletes readings by ingestion time, recording time or customer. A deletion is audited
// (one entry with the filter and the counts, never one per reading) and needs a reason; a dry run only
// counts, so it writes nothing and needs none.

export interface CleanRequest {
  filter: CleanFilter;
  /** The customer's code as the operator gave it, for the audit entry. */
  customerCode?: string;
  dryRun: boolean;
}

export interface CleanResult {
  matched: number;
  deleted: number;
  remaining: number;
}

export const cleanReadings = async (db: Db, req: CleanRequest): Promise<CleanResult> => {
  const { filter, dryRun } = req;
  if (!dryRun) requireReason('deleting readings (db clean)');
  const matched = await countMatching(db, filter);
  const deleted = dryRun
    ? 0
    : await deleteReadings(db, filter, (tx, n) =>
        recordAudit(tx, {
          entityType: 'readings',
          entityId: null,
          customerId: filter.customerId ?? null,
          action: 'clean',
          details: {
            ingested_after: filter.ingestedAfter?.toISOString() ?? null,
            recorded_before: filter.recordedBefore?.toISOString() ?? null,
            customer: req.customerCode ?? null,
            all: filter.all === true,
            matched,
            deleted: n,
          },
          reasonRequired: true,
        }),
      );
  return { matched, deleted, remaining: await countReadings(db) };
};
