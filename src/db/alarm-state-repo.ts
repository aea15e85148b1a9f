import { unitKeySql } from './reading-keys.ts';
import type { Sql } from './types.ts';

// alarm_pending and alarm_unit_state (migrations 010, 011): which units await evaluation, and each
// unit's evaluation state. The evaluator locks a unit's state row (never the pending row, which the
// writer upserts in its batch statement) so two evaluators never run one unit at once and neither
// makes a writer wait, except for the last statements of a pass (lockPending).

/** One alarm_unit_state row; the jsonb columns as stored (the evaluator gives them their types). */
export interface UnitStateRow {
  storage_unit_id: string;
  customer_id: string;
  states: Record<string, unknown>;
  watermark: Date | null;
  /** Loaded only for a replay (loadCheckpointStates): the ordinary path needs only their instants. */
  checkpoint?: Record<string, unknown> | null;
  checkpoint_at: Date | null;
  checkpoint_next?: Record<string, unknown> | null;
  checkpoint_next_at: Date | null;
  last_reading_at: Date | null;
  no_data_due_at: Date | null;
}

export interface PendingRow {
  storage_unit_id: string;
  from_recorded_at: Date;
  seq: number;
}

const STATE_COLUMNS = `s.storage_unit_id, s.customer_id, s.states, s.watermark, s.checkpoint_at,
  s.checkpoint_next_at, s.last_reading_at, s.no_data_due_at`;

/** The checkpoints' states of the given units (for a replay). */
export const loadCheckpointStates = (
  q: Sql,
  unitIds: readonly string[],
): Promise<Pick<UnitStateRow, 'storage_unit_id' | 'checkpoint' | 'checkpoint_next'>[]> =>
  q.query(
    'SELECT storage_unit_id, checkpoint, checkpoint_next FROM alarm_unit_state WHERE storage_unit_id = ANY($1::uuid[])',
    [unitIds],
  );

/**
 * Creates the missing state rows of pending units, in its own short statement (so a unit's first
 * evaluation never waits inside a transaction on another evaluator's insert of the same row).
 */
export const createPendingUnitStates = async (q: Sql): Promise<void> => {
  await q.query(
    `INSERT INTO alarm_unit_state (storage_unit_id, customer_id)
     SELECT p.storage_unit_id, u.customer_id FROM alarm_pending p JOIN storage_units u ON u.id = p.storage_unit_id
     WHERE NOT EXISTS (SELECT 1 FROM alarm_unit_state s WHERE s.storage_unit_id = p.storage_unit_id)
     ORDER BY 1
     ON CONFLICT (storage_unit_id) DO NOTHING`,
  );
};

/**
 * Locks the state rows of up to `limit` pending units (oldest mark first), skipping units another
 * evaluator holds and the ids in `exclude` (units that failed recently); only those in `only` if given.
 */
export const claimPendingUnits = (
  tx: Sql,
  limit: number,
  exclude: readonly string[],
  only: readonly string[] | null = null,
): Promise<UnitStateRow[]> =>
  tx.query<UnitStateRow>(
    `SELECT ${STATE_COLUMNS} FROM alarm_pending p JOIN alarm_unit_state s ON s.storage_unit_id = p.storage_unit_id
     WHERE NOT (p.storage_unit_id = ANY($2::uuid[])) AND ($3::uuid[] IS NULL OR p.storage_unit_id = ANY($3::uuid[]))
     ORDER BY p.seq LIMIT $1
     FOR UPDATE OF s SKIP LOCKED`,
    [limit, exclude, only],
  );

/** The pending marks of the given units now (read after their state rows are locked). */
export const findPending = (q: Sql, unitIds: readonly string[]): Promise<PendingRow[]> =>
  q.query<PendingRow>(
    'SELECT storage_unit_id, from_recorded_at, seq FROM alarm_pending WHERE storage_unit_id = ANY($1::uuid[])',
    [unitIds],
  );

/**
 * Locks the pending marks of the given units (in id order, as the writer does) and returns them: from
 * here to the commit no writer can mark these units, so what the pass read can be compared with them.
 */
export const lockPending = (tx: Sql, unitIds: readonly string[]): Promise<PendingRow[]> =>
  tx.query<PendingRow>(
    `SELECT storage_unit_id, from_recorded_at, seq FROM alarm_pending WHERE storage_unit_id = ANY($1::uuid[])
     ORDER BY storage_unit_id FOR UPDATE`,
    [unitIds],
  );

export interface StoredReading {
  storage_unit_id: string;
  recorded_at: Date;
  temperature_c: number | null;
}

/**
 * Each unit's readings after its own instant (null: all), oldest first, at most `limit` per unit.
 * An index-only scan of the readings' natural key per unit.
 */
export const readingsAfter = (
  q: Sql,
  units: readonly { unitId: string; afterMs: number | null }[],
  limit: number,
): Promise<StoredReading[]> =>
  units.length === 0
    ? Promise.resolve([])
    : q.query<StoredReading>(
        `SELECT x.id AS storage_unit_id, r.recorded_at, r.temperature_c
         FROM unnest($1::uuid[], $2::timestamptz[]) AS x(id, after)
         CROSS JOIN LATERAL (
           SELECT t.recorded_at, t.temperature_c FROM temperature_readings t
           WHERE t.unit_key = ${unitKeySql('x.id')} AND t.recorded_at > coalesce(x.after, '-infinity'::timestamptz)
           ORDER BY t.recorded_at LIMIT $3) r
         ORDER BY 1, 2`,
        [
          units.map((u) => u.unitId),
          units.map((u) => (u.afterMs === null ? null : new Date(u.afterMs))),
          limit,
        ],
      );

/** How many readings the unit has in (afterMs, untilMs]: to tell whether a pass saw all of them. */
export const countReadingsBetween = async (
  q: Sql,
  unitId: string,
  afterMs: number | null,
  untilMs: number,
): Promise<number> => {
  const [row] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM readings
     WHERE unit_key = ${unitKeySql('$1::uuid')} AND recorded_at > coalesce($2::timestamptz, '-infinity'::timestamptz)
       AND recorded_at <= $3`,
    [unitId, afterMs === null ? null : new Date(afterMs), new Date(untilMs)],
  );
  return row?.n ?? 0;
};

/** Deletes the marks whose seq is still the one given (a write since then keeps its mark). */
export const deletePendingIfUnchanged = async (
  tx: Sql,
  marks: readonly { unitId: string; seq: number }[],
): Promise<void> => {
  if (marks.length === 0) return;
  await tx.query(
    `DELETE FROM alarm_pending p USING unnest($1::uuid[], $2::bigint[]) AS x(id, seq)
     WHERE p.storage_unit_id = x.id AND p.seq = x.seq`,
    [marks.map((m) => m.unitId), marks.map((m) => m.seq)],
  );
};

/**
 * Moves a unit's mark past what was evaluated: every reading at or before `evaluatedMs` is done, so
 * only newer ones remain (1 µs later: recorded_at has microseconds).
 */
export const advancePending = async (tx: Sql, unitId: string, evaluatedMs: number): Promise<void> => {
  await tx.query(
    `UPDATE alarm_pending SET from_recorded_at = $2::timestamptz + interval '1 microsecond'
     WHERE storage_unit_id = $1 AND from_recorded_at <= $2::timestamptz`,
    [unitId, new Date(evaluatedMs)],
  );
};

/** A checkpoint to store: new states, or the one already stored in a slot (not sent back and forth). */
export interface CheckpointWrite {
  atMs: number;
  states?: unknown;
  slot?: 'older' | 'newer';
}

/** What an evaluation writes back to a unit's state row; checkpoints only when they moved. */
export interface UnitStateUpdate {
  unitId: string;
  states: unknown;
  watermarkMs: number | null;
  lastReadingMs: number | null;
  noDataDueMs: number | null;
  checkpoints?: { older: CheckpointWrite | null; newer: CheckpointWrite | null };
}

const ts = (ms: number | null | undefined): Date | null =>
  ms === null || ms === undefined ? null : new Date(ms);
const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** Writes the evaluated states of several units in one statement. */
export const saveUnitStates = async (tx: Sql, updates: readonly UnitStateUpdate[]): Promise<void> => {
  if (updates.length === 0) return;
  await tx.query(
    `UPDATE alarm_unit_state s SET
       states = x.states::jsonb, watermark = x.watermark, last_reading_at = x.last_reading_at,
       no_data_due_at = x.no_data_due_at,
       checkpoint = CASE WHEN NOT x.ck OR x.o_slot = 'older' THEN s.checkpoint WHEN x.o_slot = 'newer' THEN s.checkpoint_next
                         ELSE x.checkpoint::jsonb END,
       checkpoint_at = CASE WHEN x.ck THEN x.checkpoint_at ELSE s.checkpoint_at END,
       checkpoint_next = CASE WHEN NOT x.ck OR x.n_slot = 'newer' THEN s.checkpoint_next WHEN x.n_slot = 'older' THEN s.checkpoint
                              ELSE x.checkpoint_next::jsonb END,
       checkpoint_next_at = CASE WHEN x.ck THEN x.checkpoint_next_at ELSE s.checkpoint_next_at END,
       updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::boolean[],
                 $7::text[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::text[], $12::text[])
       AS x(id, states, watermark, last_reading_at, no_data_due_at, ck, checkpoint, checkpoint_at,
            checkpoint_next, checkpoint_next_at, o_slot, n_slot)
     WHERE s.storage_unit_id = x.id`,
    [
      updates.map((u) => u.unitId),
      updates.map((u) => JSON.stringify(u.states)),
      updates.map((u) => ts(u.watermarkMs)),
      updates.map((u) => ts(u.lastReadingMs)),
      updates.map((u) => ts(u.noDataDueMs)),
      updates.map((u) => u.checkpoints !== undefined),
      updates.map((u) => json(u.checkpoints?.older?.states)),
      updates.map((u) => ts(u.checkpoints?.older?.atMs)),
      updates.map((u) => json(u.checkpoints?.newer?.states)),
      updates.map((u) => ts(u.checkpoints?.newer?.atMs)),
      updates.map((u) => u.checkpoints?.older?.slot ?? null),
      updates.map((u) => u.checkpoints?.newer?.slot ?? null),
    ],
  );
};

/** A unit whose no-data limit has passed, with what the sweep needs to measure the silence from. */
export interface NoDataDueRow extends UnitStateRow {
  unit_created_at: Date;
}

/**
 * Creates state rows for active units of active customers that have none (a unit that never
 * reported is swept too): due at once, so the sweep computes the real due time from its rules.
 */
export const createSweepUnitStates = async (q: Sql): Promise<number> =>
  (
    await q.query(
      `INSERT INTO alarm_unit_state (storage_unit_id, customer_id, last_reading_at, no_data_due_at)
       SELECT u.id, u.customer_id, lr.t, coalesce(lr.t, u.created_at)
       FROM storage_units u JOIN customers c ON c.id = u.customer_id
       LEFT JOIN LATERAL (SELECT max(r.recorded_at) AS t FROM readings r
                          WHERE r.unit_key = u.reading_key) lr ON true
       WHERE u.is_active AND c.is_active
         AND NOT EXISTS (SELECT 1 FROM alarm_unit_state s WHERE s.storage_unit_id = u.id)
       ORDER BY 1
       ON CONFLICT (storage_unit_id) DO NOTHING
       RETURNING 1`,
    )
  ).length;

/**
 * Locks up to `limit` state rows due for the no-data check at `now`: active units of active customers,
 * not awaiting evaluation (new readings would answer the question), and whose customer has no open
 * source_down alarm (it covers them). Walks the partial index on no_data_due_at.
 */
export const claimNoDataDue = (tx: Sql, now: Date, limit: number): Promise<NoDataDueRow[]> =>
  tx.query<NoDataDueRow>(
    `SELECT ${STATE_COLUMNS}, u.created_at AS unit_created_at
     FROM alarm_unit_state s JOIN storage_units u ON u.id = s.storage_unit_id
     JOIN customers c ON c.id = s.customer_id
     WHERE s.no_data_due_at <= $1 AND u.is_active AND c.is_active
       AND NOT EXISTS (SELECT 1 FROM alarm_pending p WHERE p.storage_unit_id = s.storage_unit_id)
       AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.customer_id = s.customer_id AND a.kind = 'source_down'
                       AND a.cleared_at IS NULL)
     ORDER BY s.no_data_due_at LIMIT $2
     FOR UPDATE OF s SKIP LOCKED`,
    [now, limit],
  );

/** A customer whose latest finished ingestion runs failed: since when, and its collection period. */
export interface SourceFailureRow {
  customer_id: string;
  data_frequency_seconds: number;
  /** Start of the first failed run after the last run that was not a failure. */
  failing_since: Date;
}

/**
 * Active customers whose latest finished run failed, with the start of the current streak of failed
 * runs. Index probes per customer on ingestion_logs (customer_id, start_time DESC).
 */
export const findFailingSources = (q: Sql): Promise<SourceFailureRow[]> =>
  q.query<SourceFailureRow>(
    `SELECT c.id AS customer_id, c.data_frequency_seconds, f.since AS failing_since
     FROM customers c
     CROSS JOIN LATERAL (SELECT g.status FROM ingestion_logs g WHERE g.customer_id = c.id AND g.status <> 'running'
                         ORDER BY g.start_time DESC LIMIT 1) l
     CROSS JOIN LATERAL (
       SELECT min(g.start_time) AS since FROM ingestion_logs g
       WHERE g.customer_id = c.id AND g.status = 'failure'
         AND g.start_time > coalesce((SELECT max(h.start_time) FROM ingestion_logs h WHERE h.customer_id = c.id
                                      AND h.status NOT IN ('running', 'failure')), '-infinity'::timestamptz)) f
     WHERE c.is_active AND l.status = 'failure' AND f.since IS NOT NULL`,
  );

/** The first finished run of a customer that did not fail, started at or after `since`, or null. */
export const firstSuccessfulRunSince = async (
  q: Sql,
  customerId: string,
  since: Date,
): Promise<Date | null> => {
  const [row] = await q.query<{ at: Date }>(
    `SELECT coalesce(end_time, start_time) AS at FROM ingestion_logs
     WHERE customer_id = $1 AND start_time >= $2 AND status NOT IN ('running', 'failure')
     ORDER BY start_time LIMIT 1`,
    [customerId, since],
  );
  return row?.at ?? null;
};
