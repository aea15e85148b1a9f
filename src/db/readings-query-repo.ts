import { notifyReadingsCte } from './reading-changes.ts';
import { readingScopeConditions } from './reading-keys.ts';
import { alarmPendingCte, readingIdSql, rollupCtes, storedAsIns } from './readings-repo.ts';
import { auditAppendCall, type NewAuditEntry } from './audit-repo.ts';
import { statusCodeSql, writeReadings } from './reading-prepare.ts';
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

/**
 * For a scope wider than one unit: SQL of the recorded_at of the k-th matching reading in `dir`
 * order across the scope's units, found unit by unit through the natural key's index (the first k of
 * each), or null when the scope holds fewer. A page query bounded by it reads only the readings from
 * that instant on, instead of every reading of a customer or facility (there is no index by customer
 * or facility: it would cost ~30 bytes a reading, migration 019).
 */
const kthInstantSql = (
  scope: ReadingScope,
  f: ReadingFilter,
  extra: (params: unknown[]) => string[],
  dir: 'ASC' | 'DESC',
  k: number,
  params: unknown[],
): string => {
  const unitConds = unitScopeConditions(scope, params);
  const rowConds = ['r.unit_key = u.reading_key', ...filterConditions(f, params), ...extra(params)];
  const kk = param(params, k);
  return `(SELECT t FROM (
      SELECT x.recorded_at AS t FROM storage_units u CROSS JOIN LATERAL (
        SELECT r.recorded_at FROM temperature_readings r WHERE ${rowConds.join(' AND ')}
        ORDER BY r.recorded_at ${dir} LIMIT ${kk}::int) x
      ${where(unitConds)}) s
    ORDER BY t ${dir} OFFSET ${kk}::int - 1 LIMIT 1)`;
};

/** One page of readings, newest first. */
export const listReadings = async (
  q: Sql,
  scope: ReadingScope,
  f: ReadingFilter,
  limit: number,
  offset: number,
): Promise<ReadingRow[]> => {
  const params: unknown[] = [];
  const c = [...readingScopeConditions(scope, params, 'r.'), ...filterConditions(f, params)];
  if (!scope.unitId)
    c.push(
      `r.recorded_at >= coalesce(${kthInstantSql(scope, f, () => [], 'DESC', offset + limit, params)}, '-infinity')`,
    );
  return q.query<ReadingRow>(
    `SELECT ${READING_COLUMNS}
     FROM temperature_readings r JOIN storage_units u ON u.id = r.storage_unit_id JOIN facilities f ON f.id = r.facility_id
     ${where(c)} ORDER BY r.recorded_at DESC, r.unit_key DESC LIMIT ${param(params, limit)} OFFSET ${param(params, offset)}`,
    params,
  );
};

/** Exact number of readings matching a filter (raw rows; use the rollups for time-only filters). */
export const countReadingsRaw = async (q: Sql, scope: ReadingScope, f: ReadingFilter): Promise<number> => {
  const params: unknown[] = [];
  const c = [...readingScopeConditions(scope, params, 'r.'), ...filterConditions(f, params)];
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
  const c = [...readingScopeConditions(scope, params, 'r.'), ...filterConditions(f, params)];
  const cursor = (p: unknown[]): string[] =>
    after
      ? [
          `(r.recorded_at, r.unit_key) > (${param(p, after.at)}, split_part(${param(p, after.id)}, '-', 1)::int)`,
        ]
      : [];
  c.push(...cursor(params));
  if (!scope.unitId)
    c.push(
      `r.recorded_at <= coalesce(${kthInstantSql(scope, f, cursor, 'ASC', pageSize, params)}, 'infinity')`,
    );
  return q.query<ReadingRow>(
    `SELECT ${READING_COLUMNS}
     FROM temperature_readings r JOIN storage_units u ON u.id = r.storage_unit_id JOIN facilities f ON f.id = r.facility_id
     ${where(c)} ORDER BY r.recorded_at, r.unit_key LIMIT ${param(params, pageSize)}`,
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
     CROSS JOIN LATERAL (SELECT * FROM temperature_readings x WHERE x.unit_key = u.reading_key
                         ORDER BY x.recorded_at DESC LIMIT 1) r
     ${where(c)} ORDER BY r.recorded_at DESC, r.unit_key DESC LIMIT ${param(params, limit)}`,
    params,
  );
};

export const findReadingRow = async (q: Sql, id: string): Promise<ReadingRow | undefined> =>
  (
    await q.query<ReadingRow>(
      `SELECT ${READING_COLUMNS}
       FROM temperature_readings r JOIN storage_units u ON u.id = r.storage_unit_id JOIN facilities f ON f.id = r.facility_id
       WHERE r.unit_key = split_part($1, '-', 1)::int
         AND r.recorded_at = TIMESTAMPTZ 'epoch' + split_part($1, '-', 2)::bigint * INTERVAL '1 microsecond'`,
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
const INSERT_WITH_ROLLUPS = `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::float8[], $6::float8[],
         $7::text[], $8::text[], $9::float8[], $10::text[])
         AS x(customer_id, facility_id, storage_unit_id, recorded_at, temperature_c, source_value, source_unit,
              sensor_id, quality_score, equipment_status)
     ), bk AS (
       SELECT nextval('ingestion_batches_batch_key_seq') AS k
     ), stored AS (
       INSERT INTO readings (recorded_at, temperature_c, batch_key, unit_key, sensor_key, quality_score, status,
         source_unit)
       SELECT x.recorded_at, x.temperature_c, bk.k, u.reading_key,
              CASE WHEN x.sensor_id IS NULL THEN 0 ELSE s.sensor_key END, x.quality_score,
              ${statusCodeSql('x.equipment_status')}, x.source_unit::"char"
       FROM input x CROSS JOIN bk LEFT JOIN storage_units u ON u.id = x.storage_unit_id
       LEFT JOIN reading_sensors s ON s.sensor_id = x.sensor_id
       ORDER BY u.reading_key, x.recorded_at
       ON CONFLICT (unit_key, recorded_at) DO NOTHING
       RETURNING unit_key, recorded_at, temperature_c, quality_score
     ), ${storedAsIns('stored')}, batch AS (
       INSERT INTO ingestion_batches (batch_key, batch_id, reading_count, stored, duplicates)
       SELECT bk.k, gen_random_uuid(), t.total, c.n, t.total - c.n
       FROM (SELECT count(*)::int AS n FROM ins) c, (SELECT count(*)::int AS total FROM input) t, bk
       WHERE c.n > 0
       RETURNING 1
     ), ${rollupCtes('ins.customer_id')}, ${alarmPendingCte('ins')}, ${notifyReadingsCte('ins')}`;

/** Runs a write of `rows` once their sensors and months are prepared (reading-prepare.ts). */
const write = <R>(q: Sql, rows: readonly NewReading[], text: string, params: unknown[]): Promise<R[]> =>
  writeReadings(
    q,
    rows.map((r) => r.sensorId),
    rows.map((r) => r.recordedAt.getTime()),
    () => q.query<R>(text, params),
  );

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
  const result = await write<{ id: string }>(
    q,
    rows,
    `${INSERT_WITH_ROLLUPS}
     SELECT ${readingIdSql('unit_key', 'recorded_at')} AS id FROM ins CROSS JOIN tms_notify`,
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
  const id = readingIdSql('ins.unit_key', 'ins.recorded_at');
  const call = audit ? auditAppendCall(audit, params.length + 1, id) : null;
  const [r] = await write<{ id: string }>(
    q,
    [row],
    `${INSERT_WITH_ROLLUPS}
     SELECT ${id} AS id${call ? `, (${call.sql}).seq AS audit_seq` : ''} FROM ins CROSS JOIN tms_notify`,
    [...params, ...(call?.params ?? [])],
  );
  return r?.id;
};
