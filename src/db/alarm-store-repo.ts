import type { Sql } from './types.ts';

// Writes of the alarm evaluator: alarm rows (identified by customer, unit, rule and true start, so a
// replay or a second evaluator finds the row instead of adding one) and their events. Reading and
// acknowledging alarms is alarms-query-repo.ts.

/** An alarm's figures (domain/alarms AlarmStats, °C). */
export interface AlarmFigures {
  peakC: number | null;
  minC: number | null;
  maxC: number | null;
  meanC: number | null;
  readings: number;
  failedReads: number;
  timeBeyondSeconds: number;
  degreeMinutes: number;
}

export interface AlarmKey {
  customerId: string;
  /** Null for a customer's source_down alarm. */
  unitId: string | null;
  ruleId: string;
  startedAt: Date;
}

export interface NewAlarm extends AlarmKey {
  facilityId: string | null;
  kind: string;
  severity: string;
  ruleSnapshot: unknown;
  thresholdC: number | null;
  confirmedAt: Date;
  detectedAt: Date;
  late: boolean;
  figures: AlarmFigures;
}

/** The identity as a condition on $1–$4; `= $2` when there is a unit, so the unit's index serves it. */
const keyWhere = (k: AlarmKey): string =>
  `customer_id = $1 AND ${k.unitId === null ? '$2::uuid IS NULL AND storage_unit_id IS NULL' : 'storage_unit_id = $2::uuid'}
   AND rule_id = $3 AND started_at = $4`;
const keyParams = (k: AlarmKey): unknown[] => [k.customerId, k.unitId, k.ruleId, k.startedAt];

const figureParams = (f: AlarmFigures): unknown[] => [
  f.peakC,
  f.minC,
  f.maxC,
  f.meanC,
  f.readings,
  f.failedReads,
  f.timeBeyondSeconds,
  f.degreeMinutes,
];

/** The id of the alarm with this identity, or null. */
export const findAlarmId = async (q: Sql, key: AlarmKey): Promise<string | null> => {
  const [row] = await q.query<{ id: string }>(`SELECT id FROM alarms WHERE ${keyWhere(key)}`, keyParams(key));
  return row?.id ?? null;
};

/**
 * Inserts the alarm unless one with its identity exists.
 * @returns its id and whether this call created it.
 */
export const insertAlarm = async (q: Sql, a: NewAlarm): Promise<{ id: string; inserted: boolean }> => {
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO alarms (customer_id, storage_unit_id, rule_id, started_at, facility_id, kind, severity,
       rule_snapshot, threshold_c, confirmed_at, detected_at, late,
       peak_c, min_c, max_c, mean_c, reading_count, failed_reads, time_beyond_seconds, degree_minutes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
     ON CONFLICT ON CONSTRAINT alarms_identity_key DO NOTHING
     RETURNING id`,
    [
      ...keyParams(a),
      a.facilityId,
      a.kind,
      a.severity,
      JSON.stringify(a.ruleSnapshot),
      a.thresholdC,
      a.confirmedAt,
      a.detectedAt,
      a.late,
      ...figureParams(a.figures),
    ],
  );
  if (row) return { id: row.id, inserted: true };
  const id = await findAlarmId(q, a);
  if (!id) throw new Error(`alarm ${a.ruleId}@${a.startedAt.toISOString()} neither inserted nor found`);
  return { id, inserted: false };
};

/**
 * Sets an alarm's figures and its end (null: still open, which undoes a clear a replay did not
 * reproduce).
 * @returns the alarm's id and its cleared_at before this call, or null when no alarm has the identity.
 */
export const updateAlarmOutcome = async (
  q: Sql,
  key: AlarmKey,
  figures: AlarmFigures,
  clearedAt: Date | null,
): Promise<{ id: string; previousClearedAt: Date | null } | null> => {
  const [row] = await q.query<{ id: string; previous: Date | null }>(
    `UPDATE alarms a SET peak_c = $5, min_c = $6, max_c = $7, mean_c = $8, reading_count = $9, failed_reads = $10,
       time_beyond_seconds = $11, degree_minutes = $12, cleared_at = $13, updated_at = now()
     FROM (SELECT id, cleared_at AS previous FROM alarms WHERE ${keyWhere(key)} FOR UPDATE) o
     WHERE a.id = o.id
     RETURNING a.id, o.previous`,
    [...keyParams(key), ...figureParams(figures), clearedAt],
  );
  return row ? { id: row.id, previousClearedAt: row.previous } : null;
};

export interface OpenFigures {
  unitId: string;
  ruleId: string;
  startedAt: Date;
  figures: AlarmFigures;
}

/** Sets the running figures of several open alarms of units in one statement (the evaluator's common write). */
export const updateOpenAlarmFigures = async (q: Sql, rows: readonly OpenFigures[]): Promise<void> => {
  if (rows.length === 0) return;
  const col = <T>(fn: (r: OpenFigures) => T): T[] => rows.map(fn);
  await q.query(
    `UPDATE alarms a SET peak_c = x.peak, min_c = x.mn, max_c = x.mx, mean_c = x.mean, reading_count = x.n,
       failed_reads = x.failed, time_beyond_seconds = x.beyond, degree_minutes = x.dm, updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[], $7::float8[],
                 $8::int[], $9::int[], $10::float8[], $11::float8[])
       AS x(unit, rule, started, peak, mn, mx, mean, n, failed, beyond, dm)
     WHERE a.storage_unit_id = x.unit AND a.rule_id = x.rule AND a.started_at = x.started AND a.cleared_at IS NULL`,
    [
      col((r) => r.unitId),
      col((r) => r.ruleId),
      col((r) => r.startedAt),
      col((r) => r.figures.peakC),
      col((r) => r.figures.minC),
      col((r) => r.figures.maxC),
      col((r) => r.figures.meanC),
      col((r) => r.figures.readings),
      col((r) => r.figures.failedReads),
      col((r) => r.figures.timeBeyondSeconds),
      col((r) => r.figures.degreeMinutes),
    ],
  );
};

/** What can happen to an alarm (alarm_events.type, migration 010). */
export type AlarmEventType =
  | 'started'
  | 'cleared'
  | 'escalated'
  | 'repeated'
  | 'notified'
  | 'notify_failed'
  | 'acknowledged'
  | 'shelved'
  | 'unshelved';

/**
 * Appends one event to an alarm's record: the one writer of alarm_events (evaluator, sweeps, notifier,
 * acknowledgement and shelving). `at` is event time for started/cleared, wall-clock time otherwise.
 */
export const appendAlarmEvent = async (
  q: Sql,
  alarmId: string,
  type: AlarmEventType,
  at: Date,
  details: Record<string, unknown>,
): Promise<void> => {
  await q.query('INSERT INTO alarm_events (alarm_id, type, at, details) VALUES ($1, $2, $3, $4::jsonb)', [
    alarmId,
    type,
    at,
    JSON.stringify(details),
  ]);
};

export interface StoredAlarmRef {
  id: string;
  rule_id: string;
  started_at: Date;
  cleared_at: Date | null;
}

/** A unit's alarms that started after `afterMs` (null: all): what a replay from there must reproduce. */
export const unitAlarmsSince = (q: Sql, unitId: string, afterMs: number | null): Promise<StoredAlarmRef[]> =>
  q.query<StoredAlarmRef>(
    `SELECT id, rule_id, started_at, cleared_at FROM alarms
     WHERE storage_unit_id = $1 AND started_at > coalesce($2::timestamptz, '-infinity'::timestamptz)
     ORDER BY started_at`,
    [unitId, afterMs === null ? null : new Date(afterMs)],
  );

/**
 * Gives an alarm an earlier true start (late readings showed the excursion began before it was first
 * seen); its 'started' event moves with it.
 */
export const moveAlarmStart = async (
  q: Sql,
  id: string,
  startedAt: Date,
  confirmedAt: Date,
): Promise<void> => {
  await q.query('UPDATE alarms SET started_at = $2, confirmed_at = $3, updated_at = now() WHERE id = $1', [
    id,
    startedAt,
    confirmedAt,
  ]);
  await q.query(`UPDATE alarm_events SET at = $2 WHERE alarm_id = $1 AND type = 'started'`, [id, startedAt]);
};

/**
 * Deletes an alarm nobody can have seen announced: not acknowledged or shelved, and no notification of
 * it sent, being sent or tried (its outbox rows go with it).
 * @returns false when it was kept.
 */
export const deleteUnannouncedAlarm = async (q: Sql, id: string): Promise<boolean> =>
  (
    await q.query(
      `DELETE FROM alarms a WHERE a.id = $1 AND a.acknowledged_at IS NULL AND a.shelved_until IS NULL
         AND NOT EXISTS (SELECT 1 FROM notification_outbox o WHERE o.alarm_id = a.id
                         AND (o.status <> 'pending' OR o.attempts > 0 OR o.locked_until IS NOT NULL))
       RETURNING 1`,
      [id],
    )
  ).length > 0;

/** True when a source_down alarm of the customer was open at `at` (it covers the units' no_data). */
export const sourceDownCovers = async (q: Sql, customerId: string, at: Date): Promise<boolean> =>
  (
    await q.query(
      `SELECT 1 FROM alarms WHERE customer_id = $1 AND kind = 'source_down' AND started_at <= $2
         AND (cleared_at IS NULL OR cleared_at >= $2) LIMIT 1`,
      [customerId, at],
    )
  ).length > 0;

export interface OpenSourceDownRow {
  id: string;
  customer_id: string;
  started_at: Date;
}

/** Every open source_down alarm. */
export const openSourceDownAlarms = (q: Sql): Promise<OpenSourceDownRow[]> =>
  q.query<OpenSourceDownRow>(
    `SELECT id, customer_id, started_at FROM alarms WHERE kind = 'source_down' AND cleared_at IS NULL`,
  );

/** Ends an open alarm by id. @returns false when it was already cleared. */
export const clearAlarmById = async (q: Sql, id: string, clearedAt: Date): Promise<boolean> =>
  (
    await q.query(
      'UPDATE alarms SET cleared_at = $2, updated_at = now() WHERE id = $1 AND cleared_at IS NULL RETURNING 1',
      [id, clearedAt],
    )
  ).length > 0;

/** Alarms not yet closed, by severity (the alarmsOpen gauge). */
export const countOpenAlarms = (q: Sql): Promise<{ severity: string; n: number }[]> =>
  q.query<{ severity: string; n: number }>(
    `SELECT severity, count(*)::int AS n FROM alarms WHERE state <> 'closed' GROUP BY severity`,
  );
