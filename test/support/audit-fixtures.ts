import { runAs, type AuditActor } from '../../src/audit/context.ts';
import { recordAudit, type AuditChange } from '../../src/audit/record.ts';
import type { AuditRow } from '../../src/db/audit-repo.ts';
import type { Db, Sql } from '../../src/db/types.ts';

// Audit entries written the way the verbs write them (recordAudit in a transaction, in an actor's
// scope), and the tampering a database administrator could do behind the triggers' back.

export const TEST_ACTOR: AuditActor = { kind: 'cli', tokenId: null, name: 'cli:auditor-test' };

/** Appends one entry in a transaction of its own, as `actor`. */
export const appendEntry = (
  db: Db,
  change: Partial<AuditChange> = {},
  actor: AuditActor = TEST_ACTOR,
  reason?: string,
): Promise<AuditRow> =>
  runAs({ actor, reason }, () =>
    db.transaction(async (tx) => {
      const row = await recordAudit(tx, {
        entityType: 'storage_unit',
        entityId: 'unit-1',
        customerId: null,
        action: 'update',
        before: { alarm_high_limit: 8 },
        after: { alarm_high_limit: 6 },
        ...change,
      });
      return row!;
    }),
  );

/** Appends `n` entries one after another; entry i changes a limit from i to i + 1. */
export const appendEntries = async (db: Db, n: number): Promise<AuditRow[]> => {
  const rows: AuditRow[] = [];
  for (let i = 0; i < n; i++)
    rows.push(
      await appendEntry(
        db,
        { entityId: `unit-${i}`, before: { limit: i }, after: { limit: i + 1 } },
        TEST_ACTOR,
        `step ${i}`,
      ),
    );
  return rows;
};

/**
 * Runs `fn` as a DBA who bypasses the append-only triggers: `session_replication_role = replica`
 * disables ordinary triggers for this transaction only (superuser, as the test databases run).
 */
export const asDba = <T>(db: Db, fn: (tx: Sql) => Promise<T>): Promise<T> =>
  db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    return fn(tx);
  });

const COLUMNS =
  'id, at, actor_kind, actor_token_id, actor_name, customer_id, entity_type, entity_id, action, changes, reason, prev_hash, hash';

/** Swaps everything but `seq` between two entries (as if two rows had been reordered). */
export const swapEntries = (db: Db, seqA: number, seqB: number): Promise<void> =>
  asDba(db, async (tx) => {
    await tx.query(
      `CREATE TEMP TABLE audit_swap ON COMMIT DROP AS SELECT seq, ${COLUMNS} FROM audit_log WHERE seq IN ($1, $2)`,
      [seqA, seqB],
    );
    await tx.query('DELETE FROM audit_log WHERE seq IN ($1, $2)', [seqA, seqB]);
    await tx.query(
      `INSERT INTO audit_log (seq, ${COLUMNS})
       SELECT CASE WHEN seq = $1 THEN $2::bigint ELSE $1::bigint END, ${COLUMNS} FROM audit_swap`,
      [seqA, seqB],
    );
  });
