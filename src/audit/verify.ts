import { auditEntriesAfter, fieldsOf } from '../db/audit-repo.ts';
import type { Sql } from '../db/types.ts';
import { chainBreak } from '../domain/audit-chain.ts';

export interface ChainReport {
  ok: boolean;
  /** Entries that fit the chain before the first break (all of them when ok). */
  verified: number;
  /** The newest entry checked: its seq and hash (write it down to detect a later truncation). */
  head: { seq: number; hash: string } | null;
  /** The first entry that does not fit, and why. */
  broken?: { seq: number; id: string; at: string; problem: string };
}

const PAGE = 5_000;

/** Walks the whole chain in order and reports the first entry that breaks it. */
export const verifyAuditChain = async (q: Sql): Promise<ChainReport> => {
  let previous: { seq: number; hash: string } | null = null;
  let verified = 0;
  let after = 0;
  for (;;) {
    const rows = await auditEntriesAfter(q, after, PAGE);
    for (const r of rows) {
      const f = fieldsOf(r);
      const problem = chainBreak(f, previous);
      if (problem)
        return { ok: false, verified, head: previous, broken: { seq: f.seq, id: f.id, at: f.at.toISOString(), problem } };
      previous = { seq: f.seq, hash: f.hash };
      verified += 1;
    }
    if (rows.length < PAGE) break;
    after = previous!.seq;
  }
  return { ok: true, verified, head: previous };
};
