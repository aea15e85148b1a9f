import { alarmPendingCte, rollupCtes } from './readings-repo.ts';
import { auditAppendCall, type NewAuditEntry } from './audit-repo.ts';
import type { Sql } from './types.ts';

/** Which readings a query may see: a customer (always, for customer tokens), a facility, units. */
export interface ReadingScope {
  customerId?: string;
  facilityId?: string;
  unitId?: string;
  /** Non-empty: only these units (a token's accessible_units). */
  unitIds?: readonly string[];
}

/** Filters of `/temperature` and friends, temperatures already in °C. */
export interface ReadingFilter {
  start?: Date;
  end?: Date;
  minC?: number;
  maxC?: number;
  equipmentStatus?: string;
  qualityScore?: number;
  minQuality?: number;
  sensorId?: string;
}

export const param = (params: unknown[], v: unknown): string => {
  params.push(v);
  return `$${params.length}`;
};

/** SQL conditions for a scope on a table with customer_id, facility_id and storage_unit_id (alias `a`). */
export const scopeConditions = (s: ReadingScope, params: unknown[], a = ''): string[] => {
  const c: string[] = [];
  if (s.customerId) c.push(`${a}customer_id = ${param(params, s.customerId)}::uuid`);
  if (s.facilityId) c.push(`${a}facility_id = ${param(params, s.facilityId)}::uuid`);
  if (s.unitId) c.push(`${a}storage_unit_id = ${param(params, s.unitId)}::uuid`);
  if (s.unitIds && s.unitIds.length > 0)
    c.push(`${a}storage_unit_id = ANY(${param(params, s.unitIds)}::uuid[])`);
  return c;
};

/** `scopeConditions` on storage_units (alias `u`), whose own id is the unit. */
export const unitScopeConditions = (s: ReadingScope, params: unknown[]): string[] =>
  scopeConditions(s, params, 'u.').map((c) => c.replace('u.storage_unit_id', 'u.id'));

/** SQL condition: `col` within [from, to] or [from, to) (open ends unbounded; no ends: `true`). */
export const rangeSql = (
  col: string,
  r: { from?: Date; to?: Date; toInclusive: boolean },
  params: unknown[],
): string => {
  const c: string[] = [];
  if (r.from) c.push(`${col} >= ${param(params, r.from)}::timestamptz`);
  if (r.to) c.push(`${col} ${r.toInclusive ? '<=' : '<'} ${param(params, r.to)}::timestamptz`);
  return c.length ? `(${c.join(' AND ')})` : 'true';
};

/** True when the filter has nothing but a time range (so counts may come from the rollups). */
export const isTimeOnly = (f: ReadingFilter): boolean =>
  f.minC === undefined &&
  f.maxC === undefined &&
  f.equipmentStatus === undefined &&
  f.qualityScore === undefined &&
  f.minQuality === undefined &&
  f.sensorId === undefined;

const filterConditions = (f: ReadingFilter, params: unknown[], a = 'r.'): string[] => {
  const c: string[] = [];
  if (f.start) c.push(`${a}recorded_at >= ${param(params, f.start)}`);
  if (f.end) c.push(`${a}recorded_at <= ${param(params, f.end)}`);
  if (f.minC !== undefined) c.push(`${a}temperature_c >= ${param(params, f.minC)}`);
  if (f.maxC !== undefined) c.push(`${a}temperature_c <= ${param(params, f.maxC)}`);
  if (f.equipmentStatus !== undefined) c.push(`${a}equipment_status = ${param(params, f.equipmentStatus)}`);
  if (f.qualityScore !== undefined) c.push(`${a}quality_score = ${param(params, f.qualityScore)}`);
  if (f.minQuality !== undefined) c.push(`${a}quality_score >= ${param(params, f.minQuality)}`);
  if (f.sensorId !== undefined) c.push(`${a}sensor_id = ${param(params, f.sensorId)}`);
  return c;
};

/** A stored reading with the names of its facility and unit. */
export interface ReadingRow {
  id: string;
  customer_id: string;
  facility_id: string;
  storage_unit_id: string;
  recorded_at: Date;
  temperature_c: number | null;
  source_value: number | null;
  source_unit: 'C' | 'F';
  unit_temperature_unit: 'C' | 'F';
  sensor_id: string | null;
  quality_score: number;
  equipment_status: string;
  created_at: Date;
  /** The facility's name, else its code: sources may send no names (never null). */
  facility_name: string;
  facility_code: string;
  /** The unit's name, else its code (never null). */
  unit_name: string;
  unit_code: string;
}

const READING_COLUMNS = `r.id::text AS id, r.customer_id, r.facility_id, r.storage_unit_id, r.recorded_at, r.temperature_c,
  r.source_value, r.source_unit, u.temperature_unit AS unit_temperature_unit, r.sensor_id, r.quality_score,
  r.equipment_status, r.created_at, coalesce(nullif(f.name, ''), f.facility_code) AS facility_name, f.facility_code,
  coalesce(nullif(u.name, ''), u.unit_code) AS unit_name, u.unit_code`;

const where = (c: string[]): string => (c.length ? `WHERE ${c.join(' AND ')}` : '');

/** One page of readings, newest first. */
export const listReadings = async (
  q: Sql,
  scope: ReadingScope,
  f: ReadingFilter,
  limit: number,
  offset: number,
): Promise<ReadingRow[]> => {
  const params: unknown[] = [];
  const c = [...scopeConditions(scope, params, 'r.'), ...filterConditions(f, params)];
  return q.query<ReadingRow>(
    `SELECT ${READING_COLUMNS}
     FROM temperature_readings r JOIN storage_units u ON u.id = r.storage_unit_id JOIN facilities f ON f.id = r.facility_id
     ${where(c)} ORDER BY r.recorded_at DESC, r.id DESC LIMIT ${param(params, limit)} OFFSET ${param(params, offset)}`,
    params,
  );
};

/** Exact number of readings matching a filter (raw rows; use the rollups for time-only filters). */
export const countReadingsRaw = async (q: Sql, scope: ReadingScope, f: ReadingFilter): Promise<number> => {
  const params: unknown[] = [];
  const c = [...scopeConditions(scope, params, 'r.'), ...filterConditions(f, params)];
  const [row] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM temperature_readings r ${where(c)}`,
    params,
  );
  return row!.n;
};

/**
 * Readings in ascending (recorded_at, id) order after a keyset cursor: the export streams pages of
 * these, so memory stays constant whatever the number of rows.
 */
export const readingsAfter = async (
  q: Sql,
  scope: ReadingScope,
  f: ReadingFilter,
  after: { at: Date; id: string } | undefined,
  pageSize: number,
): Promise<ReadingRow[]> => {
  const params: unknown[] = [];
  const c = [...scopeConditions(scope, params, 'r.'), ...filterConditions(f, params)];
  if (after)
    c.push(`(r.recorded_at, r.id) > (${param(params, after.at)}, ${param(params, after.id)}::bigint)`);
  return q.query<ReadingRow>(
    `SELECT ${READING_COLUMNS}
     FROM temperature_readings r JOIN storage_units u ON u.id = r.storage_unit_id JOIN facilities f ON f.id = r.facility_id
     ${where(c)} ORDER BY r.recorded_at, r.id LIMIT ${param(params, pageSize)}`,
    params,
  );
};

/** A unit's newest reading with what judging it needs: the unit's alarm band and reporting periods. */
export interface LatestRow extends ReadingRow {
  alarm_low_limit: number | null;
  alarm_high_limit: number | null;
  unit_frequency_seconds: number | null;
  customer_frequency_seconds: number;
}

/** The newest reading of each unit in scope (one index probe per unit), newest first. */
export const latestPerUnit = async (q: Sql, scope: ReadingScope, limit: number): Promise<LatestRow[]> => {
  const params: unknown[] = [];
  const c = unitScopeConditions(scope, params);
  return q.query<LatestRow>(
    `SELECT ${READING_COLUMNS}, u.alarm_low_limit, u.alarm_high_limit,
       u.data_frequency_seconds AS unit_frequency_seconds, cu.data_frequency_seconds AS customer_frequency_seconds
     FROM storage_units u JOIN facilities f ON f.id = u.facility_id JOIN customers cu ON cu.id = u.customer_id
     CROSS JOIN LATERAL (SELECT * FROM temperature_readings x WHERE x.storage_unit_id = u.id
                         ORDER BY x.recorded_at DESC LIMIT 1) r
     ${where(c)} ORDER BY r.recorded_at DESC, r.id DESC LIMIT ${param(params, limit)}`,
    params,
  );
};

export const findReadingRow = async (q: Sql, id: string): Promise<ReadingRow | undefined> =>
  (
    await q.query<ReadingRow>(
      `SELECT ${READING_COLUMNS}
       FROM temperature_readings r JOIN storage_units u ON u.id = r.storage_unit_id JOIN facilities f ON f.id = r.facility_id
       WHERE r.id = $1::bigint`,
      [id],
    )
  )[0];

/** A reading to store, already normalised to °C. */
export interface NewReading {
  customerId: string;
  facilityId: string;
  unitId: string;
  recordedAt: Date;
  temperatureC: number | null;
  sourceValue: number | null;
  sourceUnit: 'C' | 'F';
  sensorId: string | null;
  qualityScore: number;
  equipmentStatus: string;
}

/**
 * Stores readings idempotently and folds the new ones (only those actually inserted) into
 * `reading_rollups_hourly`, in one statement, with the ingestion writer's rollup SQL.
 * Returns the ids of the rows inserted.
 */
const INSERT_WITH_ROLLUPS = `WITH ins AS (
       INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c, source_value,
         source_unit, sensor_id, quality_score, equipment_status)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::float8[], $6::float8[],
         $7::text[], $8::text[], $9::float8[], $10::text[])
       ON CONFLICT (storage_unit_id, recorded_at) DO NOTHING
       RETURNING id, customer_id, facility_id, storage_unit_id, recorded_at, temperature_c, quality_score),
     ${rollupCtes('ins.customer_id')}, ${alarmPendingCte('ins')}`;

const insertParams = (rows: readonly NewReading[]): unknown[] => {
  const col = <T>(fn: (r: NewReading) => T) => rows.map(fn);
  return [
    col((r) => r.customerId),
    col((r) => r.facilityId),
    col((r) => r.unitId),
    col((r) => r.recordedAt),
    col((r) => r.temperatureC),
    col((r) => r.sourceValue),
    col((r) => r.sourceUnit),
    col((r) => r.sensorId),
    col((r) => r.qualityScore),
    col((r) => r.equipmentStatus),
  ];
};

export const insertReadingsWithRollups = async (q: Sql, rows: readonly NewReading[]): Promise<string[]> => {
  if (rows.length === 0) return [];
  const result = await q.query<{ id: string }>(
    `${INSERT_WITH_ROLLUPS}
     SELECT id::text AS id FROM ins`,
    insertParams(rows),
  );
  return result.map((r) => r.id);
};

/**
 * One reading and its audit entry in one statement (so one round trip and no explicit transaction:
 * the statement is atomic). The entry is appended only when the reading was inserted, with the
 * reading's id as its entity id. Returns the id, or undefined for a duplicate.
 */
export const insertReadingAudited = async (
  q: Sql,
  row: NewReading,
  audit: NewAuditEntry | null,
): Promise<string | undefined> => {
  const params = insertParams([row]);
  const call = audit ? auditAppendCall(audit, params.length + 1, 'ins.id::text') : null;
  const [r] = await q.query<{ id: string }>(
    `${INSERT_WITH_ROLLUPS}
     SELECT id::text AS id${call ? `, (${call.sql}).seq AS audit_seq` : ''} FROM ins`,
    [...params, ...(call?.params ?? [])],
  );
  return r?.id;
};
