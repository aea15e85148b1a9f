import type { Db } from '../../src/db/types.ts';
import type { UnitRef } from './factories.ts';

// Alarm rows written straight into the table, as the evaluator would store them: API and CLI tests
// of the review side (list, acknowledge, shelve) need no evaluator running.

export interface AlarmFixture {
  unit: UnitRef;
  kind?: string;
  severity?: 'warning' | 'critical';
  ruleId?: string;
  startedAt: Date;
  clearedAt?: Date | null;
  acknowledgedAt?: Date | null;
  acknowledgedBy?: string | null;
  thresholdC?: number | null;
  peakC?: number | null;
  late?: boolean;
}

/** Inserts an alarm with a 'started' event (and 'cleared' when cleared); returns its id. */
export const insertAlarm = async (db: Db, a: AlarmFixture): Promise<string> => {
  const kind = a.kind ?? 'high';
  const severity = a.severity ?? 'critical';
  const ruleId = a.ruleId ?? `${kind}-${severity}`;
  const thresholdC = a.thresholdC === undefined ? 8 : a.thresholdC;
  const rule = {
    id: ruleId,
    kind,
    severity,
    ...(thresholdC === null ? {} : { threshold_c: thresholdC }),
    delay_seconds: 2700,
    deadband_c: 0.5,
    clear_delay_seconds: 600,
    enabled: true,
  };
  const peak = a.peakC === undefined ? 11 : a.peakC;
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO alarms (customer_id, facility_id, storage_unit_id, rule_id, kind, severity, rule_snapshot,
       threshold_c, started_at, confirmed_at, detected_at, late, cleared_at, acknowledged_at, acknowledged_by, comment,
       peak_c, min_c, max_c, mean_c, reading_count, time_beyond_seconds, degree_minutes)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $9::timestamptz + interval '45 minutes',
       $9::timestamptz + interval '46 minutes', $10, $11, $12, $13, $14, $15, $16, $15, $17, 12, 3000, 90)
     RETURNING id`,
    [
      a.unit.customer_id,
      a.unit.facility_id,
      a.unit.id,
      ruleId,
      kind,
      severity,
      JSON.stringify(rule),
      thresholdC,
      a.startedAt,
      a.late ?? false,
      a.clearedAt ?? null,
      a.acknowledgedAt ?? null,
      a.acknowledgedAt ? (a.acknowledgedBy ?? 'fixture') : null,
      a.acknowledgedAt ? 'checked' : null,
      peak,
      peak === null ? null : peak - 3,
      peak === null ? null : peak - 1,
    ],
  );
  const id = row!.id;
  await db.query(`INSERT INTO alarm_events (alarm_id, type, at, details) VALUES ($1, 'started', $2, '{}')`, [
    id,
    a.startedAt,
  ]);
  if (a.clearedAt)
    await db.query(
      `INSERT INTO alarm_events (alarm_id, type, at, details) VALUES ($1, 'cleared', $2, '{}')`,
      [id, a.clearedAt],
    );
  return id;
};
