import { param, rangeSql } from './readings-query-repo.ts';
import type { Sql } from './types.ts';

// Reading and reviewing alarms (the API and the CLI): lists, one alarm with its events, and the
// human steps of its lifecycle (acknowledge, shelve). The evaluator (src/alarms/) writes the rest.

/** Who may see which alarms: a customer (optionally limited to some units), or everyone (admin). */
export interface AlarmScope {
  customerId?: string;
  /** Non-empty: only alarms of these units (a customer-wide source_down alarm is not among them). */
  unitIds?: readonly string[];
}

export interface AlarmFilter {
  /** active | acknowledged | cleared | closed, or open (= not closed). */
  state?: string;
  severity?: string;
  kind?: string;
  unitId?: string;
  facilityId?: string;
  /** On started_at, both ends inclusive. */
  start?: Date;
  end?: Date;
  /** started_at (newest first) or priority (unacknowledged open first, critical first, then newest). */
  sort?: 'started_at' | 'priority';
}

export interface AlarmRow {
  id: string;
  customer_id: string;
  facility_id: string | null;
  storage_unit_id: string | null;
  rule_id: string;
  kind: 'high' | 'low' | 'no_data' | 'sensor_failure' | 'predicted_breach' | 'source_down';
  severity: 'warning' | 'critical';
  state: 'active' | 'acknowledged' | 'cleared' | 'closed';
  rule_snapshot: Record<string, unknown>;
  threshold_c: number | null;
  started_at: Date;
  confirmed_at: Date;
  detected_at: Date;
  late: boolean;
  cleared_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  acknowledged_by_token_id: string | null;
  comment: string | null;
  shelved_until: Date | null;
  shelved_reason: string | null;
  shelved_by: string | null;
  peak_c: number | null;
  min_c: number | null;
  max_c: number | null;
  mean_c: number | null;
  reading_count: number;
  failed_reads: number;
  time_beyond_seconds: number;
  degree_minutes: number;
  unit_code: string | null;
  unit_name: string | null;
  /** The unit's own temperature unit; null for a customer-wide alarm. */
  unit_temperature_unit: 'C' | 'F' | null;
  facility_code: string | null;
  facility_name: string | null;
  customer_code: string;
  customer_name: string;
}

export interface AlarmEventRow {
  id: number;
  type: string;
  at: Date;
  details: Record<string, unknown>;
}

const COLUMNS = `a.id, a.customer_id, a.facility_id, a.storage_unit_id, a.rule_id, a.kind, a.severity, a.state,
  a.rule_snapshot, a.threshold_c, a.started_at, a.confirmed_at, a.detected_at, a.late, a.cleared_at,
  a.acknowledged_at, a.acknowledged_by, a.acknowledged_by_token_id, a.comment, a.shelved_until,
  a.shelved_reason, a.shelved_by, a.peak_c, a.min_c, a.max_c, a.mean_c, a.reading_count, a.failed_reads,
  a.time_beyond_seconds, a.degree_minutes, u.unit_code, u.name AS unit_name,
  u.temperature_unit AS unit_temperature_unit, f.facility_code, f.name AS facility_name,
  c.customer_code, c.name AS customer_name`;

const FROM = `alarms a JOIN customers c ON c.id = a.customer_id
  LEFT JOIN storage_units u ON u.id = a.storage_unit_id
  LEFT JOIN facilities f ON f.id = a.facility_id`;

const ORDER = {
  started_at: 'a.started_at DESC, a.id',
  priority: `CASE a.state WHEN 'active' THEN 0 WHEN 'cleared' THEN 1 WHEN 'acknowledged' THEN 2 ELSE 3 END,
    CASE a.severity WHEN 'critical' THEN 0 ELSE 1 END, a.started_at DESC, a.id`,
};

const where = (c: string[]): string => (c.length ? `WHERE ${c.join(' AND ')}` : '');

const scopeConditions = (s: AlarmScope, params: unknown[]): string[] => {
  const c: string[] = [];
  if (s.customerId) c.push(`a.customer_id = ${param(params, s.customerId)}::uuid`);
  if (s.unitIds && s.unitIds.length > 0)
    c.push(`a.storage_unit_id = ANY(${param(params, s.unitIds)}::uuid[])`);
  return c;
};

const filterConditions = (f: AlarmFilter, params: unknown[]): string[] => {
  const c: string[] = [];
  if (f.state === 'open') c.push(`a.state <> 'closed'`);
  else if (f.state) c.push(`a.state = ${param(params, f.state)}`);
  if (f.severity) c.push(`a.severity = ${param(params, f.severity)}`);
  if (f.kind) c.push(`a.kind = ${param(params, f.kind)}`);
  if (f.unitId) c.push(`a.storage_unit_id = ${param(params, f.unitId)}::uuid`);
  if (f.facilityId) c.push(`a.facility_id = ${param(params, f.facilityId)}::uuid`);
  if (f.start || f.end)
    c.push(rangeSql('a.started_at', { from: f.start, to: f.end, toInclusive: true }, params));
  return c;
};

/** A page of alarms in the scope that match the filter, and how many match in all. */
export const listAlarms = async (
  q: Sql,
  s: AlarmScope,
  f: AlarmFilter,
  limit: number,
  offset: number,
): Promise<{ rows: AlarmRow[]; total: number }> => {
  const params: unknown[] = [];
  const w = where([...scopeConditions(s, params), ...filterConditions(f, params)]);
  const [count] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM alarms a ${w}`, params);
  const rows = await q.query<AlarmRow>(
    `SELECT ${COLUMNS} FROM ${FROM} ${w} ORDER BY ${ORDER[f.sort ?? 'started_at']}
     LIMIT ${param(params, limit)} OFFSET ${param(params, offset)}`,
    params,
  );
  return { rows, total: count!.n };
};

/** One alarm in the scope, or undefined (unknown, or another customer's: both are a 404). */
export const findAlarm = async (q: Sql, id: string, s: AlarmScope): Promise<AlarmRow | undefined> => {
  const params: unknown[] = [id];
  const c = ['a.id = $1::uuid', ...scopeConditions(s, params)];
  return (await q.query<AlarmRow>(`SELECT ${COLUMNS} FROM ${FROM} ${where(c)}`, params))[0];
};

/** An alarm's events in the order they happened (at, then id). */
export const alarmEvents = (q: Sql, alarmId: string): Promise<AlarmEventRow[]> =>
  q.query<AlarmEventRow>(
    'SELECT id, type, at, details FROM alarm_events WHERE alarm_id = $1 ORDER BY at, id',
    [alarmId],
  );

export interface Acknowledgement {
  at: Date;
  by: string;
  tokenId: string | null;
  comment: string;
}

/** What the audit entry of an acknowledgement names. */
export interface AcknowledgedAlarm {
  id: string;
  customer_id: string;
  storage_unit_id: string;
  kind: string;
  severity: string;
}

/**
 * Acknowledges an alarm that is not acknowledged yet, in one statement (two callers at once: one
 * wins). Returns undefined when it was acknowledged already (or is not in the scope).
 */
export const acknowledgeAlarm = async (
  q: Sql,
  id: string,
  s: AlarmScope,
  ack: Acknowledgement,
): Promise<AcknowledgedAlarm | undefined> => {
  const params: unknown[] = [id, ack.at, ack.by, ack.tokenId, ack.comment];
  const c = ['a.id = $1::uuid', 'a.acknowledged_at IS NULL', ...scopeConditions(s, params)];
  const rows = await q.query<AcknowledgedAlarm>(
    `UPDATE alarms a SET acknowledged_at = $2, acknowledged_by = $3, acknowledged_by_token_id = $4::uuid,
       comment = $5, updated_at = now() ${where(c)}
     RETURNING a.id, a.customer_id, a.storage_unit_id, a.kind, a.severity`,
    params,
  );
  return rows[0];
};

/** Sets (until = a time) or lifts (until = null) an alarm's shelving. Returns false when not in the scope. */
export const setShelving = async (
  q: Sql,
  id: string,
  s: AlarmScope,
  shelf: { until: Date | null; reason: string | null; by: string | null },
): Promise<boolean> => {
  const params: unknown[] = [id, shelf.until, shelf.reason, shelf.by];
  const c = ['a.id = $1::uuid', ...scopeConditions(s, params)];
  const rows = await q.query(
    `UPDATE alarms a SET shelved_until = $2, shelved_reason = $3, shelved_by = $4, updated_at = now()
     ${where(c)} RETURNING a.id`,
    params,
  );
  return rows.length > 0;
};
