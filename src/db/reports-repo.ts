import { unitKeySql } from './reading-keys.ts';
import { param } from './readings-query-repo.ts';
import type { Sql } from './types.ts';

// What the compliance reports (src/reports/) read beyond the compliance figures: who and what a report
// is about, the data hash, the chart's hourly envelope, the gaps, the alarms of the window, the readings
// of the CSV; and the record of each generated report. Times travel as epoch ms (float8).

const EPOCH_MS = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;

/** A unit as a report names it; set point and limits in the unit's own temperature_unit. */
export interface ReportUnitRow {
  id: string;
  unit_code: string;
  name: string | null;
  equipment_type: string;
  set_temperature: number;
  temperature_unit: 'C' | 'F';
  facility_id: string;
  facility_code: string;
  facility_name: string | null;
  customer_id: string;
  customer_code: string;
  customer_name: string;
  customer_timezone: string;
}

const UNIT_COLUMNS = `u.id, u.unit_code, u.name, u.equipment_type, u.set_temperature, u.temperature_unit,
  f.id AS facility_id, f.facility_code, f.name AS facility_name,
  c.id AS customer_id, c.customer_code, c.name AS customer_name, c.timezone AS customer_timezone`;
const UNIT_FROM = `storage_units u JOIN facilities f ON f.id = u.facility_id JOIN customers c ON c.id = u.customer_id`;

/**
 * The units a report covers: one unit, or a facility's units (only `unitIds` of them when the caller is
 * limited to some units), ordered by unit code. The caller has checked the scope (404s).
 */
export const reportUnits = (
  q: Sql,
  target: { unitId: string } | { facilityId: string },
  unitIds?: readonly string[],
): Promise<ReportUnitRow[]> => {
  const params: unknown[] = [];
  const c =
    'unitId' in target
      ? [`u.id = ${param(params, target.unitId)}::uuid`]
      : [`u.facility_id = ${param(params, target.facilityId)}::uuid`];
  if (unitIds && unitIds.length > 0) c.push(`u.id = ANY(${param(params, unitIds)}::uuid[])`);
  return q.query<ReportUnitRow>(
    `SELECT ${UNIT_COLUMNS} FROM ${UNIT_FROM} WHERE ${c.join(' AND ')} ORDER BY u.unit_code, u.id`,
    params,
  );
};

/** A facility and its customer, as the header of a facility report names them. */
export interface ReportFacilityRow {
  id: string;
  facility_code: string;
  name: string | null;
  customer_id: string;
  customer_code: string;
  customer_name: string;
  customer_timezone: string;
}

export const findReportFacility = async (q: Sql, id: string): Promise<ReportFacilityRow | undefined> =>
  (
    await q.query<ReportFacilityRow>(
      `SELECT f.id, f.facility_code, f.name, c.id AS customer_id, c.customer_code, c.name AS customer_name,
              c.timezone AS customer_timezone
       FROM facilities f JOIN customers c ON c.id = f.customer_id WHERE f.id = $1::uuid`,
      [id],
    )
  )[0];

/** Units whose code (or id) is `key`, optionally of one customer: what `tms report unit <code>` means. */
export const findUnitsByKey = (q: Sql, key: string, customerCode?: string): Promise<ReportUnitRow[]> => {
  const params: unknown[] = [key];
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key);
  const c = [isUuid ? 'u.id = $1::uuid' : 'u.unit_code = $1'];
  if (customerCode) c.push(`c.customer_code = ${param(params, customerCode)}`);
  return q.query<ReportUnitRow>(
    `SELECT ${UNIT_COLUMNS} FROM ${UNIT_FROM} WHERE ${c.join(' AND ')} ORDER BY c.customer_code, u.unit_code`,
    params,
  );
};

/** Facilities whose code (or id) is `key`, optionally of one customer. */
export const findFacilitiesByKey = (
  q: Sql,
  key: string,
  customerCode?: string,
): Promise<Array<{ id: string; facility_code: string; customer_code: string }>> => {
  const params: unknown[] = [key];
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key);
  const c = [isUuid ? 'f.id = $1::uuid' : 'f.facility_code = $1'];
  if (customerCode) c.push(`c.customer_code = ${param(params, customerCode)}`);
  return q.query(
    `SELECT f.id, f.facility_code, c.customer_code FROM facilities f JOIN customers c ON c.id = f.customer_id
     WHERE ${c.join(' AND ')} ORDER BY c.customer_code, f.facility_code`,
    params,
  );
};

/**
 * One unit's readings in [from, to) as the canonical lines the data hash is made of, one per reading
 * in recorded_at order: `<unit uuid>,<recorded_at UTC, YYYY-MM-DDTHH:MM:SS.mmmZ>,<temperature_c>\n`,
 * temperature_c as PostgreSQL prints a float8 (shortest exact form; empty for a failed read). The CSV
 * report prints the same texts, so anyone can recompute the hash from it.
 */
const UTC_TEXT = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const LINE_SQL = `storage_unit_id::text || ',' || ${UTC_TEXT} || ',' || coalesce(temperature_c::text, '') || E'\\n'`;

/** SHA-256 (hex) of one unit's canonical lines in [from, to), and how many readings they are. */
export const unitDataHash = async (
  q: Sql,
  unitId: string,
  from: Date,
  to: Date,
): Promise<{ sha256: string; readings: number }> => {
  const [row] = await q.query<{ sha256: string; readings: number }>(
    `SELECT encode(sha256(convert_to(coalesce(string_agg(line, '' ORDER BY recorded_at), ''), 'UTF8')), 'hex') AS sha256,
            count(*)::int AS readings
     FROM (SELECT recorded_at, ${LINE_SQL} AS line FROM temperature_readings
           WHERE unit_key = ${unitKeySql('$1::uuid')} AND recorded_at >= $2::timestamptz AND recorded_at < $3::timestamptz) r`,
    [unitId, from, to],
  );
  return row!;
};

/** One hour of a unit's readings: count with a temperature, mean, min and max in °C. */
export interface HourEnvelope {
  /** Hour start, epoch ms. */
  t: number;
  n: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

/** The hourly rollups of a unit in the UTC hours that start in [from, to), ascending. */
export const hourlyEnvelope = (q: Sql, unitId: string, from: Date, to: Date): Promise<HourEnvelope[]> =>
  q.query<HourEnvelope>(
    `SELECT ${EPOCH_MS('bucket_start')} AS t, (reading_count - null_count) AS n,
            CASE WHEN reading_count > null_count THEN sum_c / (reading_count - null_count) END AS mean,
            min_c AS min, max_c AS max
     FROM reading_rollups_hourly
     WHERE storage_unit_id = $1::uuid AND bucket_start >= $2::timestamptz AND bucket_start < $3::timestamptz
     ORDER BY bucket_start`,
    [unitId, from, to],
  );

/** A stretch without a temperature reading: from the last reading before it to the first after (epoch ms). */
export interface GapRow {
  from: number;
  to: number;
}

/**
 * The gaps between consecutive readings with a temperature in [from, to) longer than `overMs`, oldest
 * first, at most `limit` of them, and how many there are. The edges of the window (before the first
 * reading, after the last) are the caller's: it knows where "now" is.
 */
export const readingGaps = async (
  q: Sql,
  unitId: string,
  from: Date,
  to: Date,
  overMs: number,
  limit: number,
): Promise<{ gaps: GapRow[]; total: number; first: number | null; last: number | null }> => {
  const rows = await q.query<{
    from: number | null;
    to: number | null;
    total: number;
    first: number | null;
    last: number | null;
  }>(
    `WITH r AS (
       SELECT recorded_at, lag(recorded_at) OVER (ORDER BY recorded_at) AS prev FROM readings
       WHERE unit_key = ${unitKeySql('$1::uuid')} AND recorded_at >= $2::timestamptz AND recorded_at < $3::timestamptz
         AND temperature_c IS NOT NULL),
     g AS (SELECT prev, recorded_at FROM r WHERE prev IS NOT NULL AND recorded_at - prev > $4::float8 * interval '1 millisecond'),
     e AS (SELECT ${EPOCH_MS('min(recorded_at)')} AS first, ${EPOCH_MS('max(recorded_at)')} AS last FROM r)
     SELECT ${EPOCH_MS('g.prev')} AS "from", ${EPOCH_MS('g.recorded_at')} AS "to",
            (SELECT count(*)::int FROM g) AS total, e.first, e.last
     FROM e LEFT JOIN LATERAL (SELECT * FROM g ORDER BY prev LIMIT $5) g ON true`,
    [unitId, from, to, overMs, limit],
  );
  const head = rows[0];
  return {
    gaps: rows.filter((r) => r.from !== null).map((r) => ({ from: r.from!, to: r.to! })),
    total: head?.total ?? 0,
    first: head?.first ?? null,
    last: head?.last ?? null,
  };
};

/** An alarm of a unit as a report lists it, with its acknowledgement. */
export interface ReportAlarmRow {
  id: string;
  storage_unit_id: string;
  kind: string;
  severity: string;
  state: string;
  threshold_c: number | null;
  peak_c: number | null;
  started_at: Date;
  cleared_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  comment: string | null;
  time_beyond_seconds: number;
  degree_minutes: number;
}

/**
 * The alarms of the units that were active at some time in [from, to): started before its end and not
 * cleared before its start (an alarm still open at the start of a month belongs to that month's report).
 */
export const alarmsInWindow = (
  q: Sql,
  unitIds: readonly string[],
  from: Date,
  to: Date,
): Promise<ReportAlarmRow[]> =>
  q.query<ReportAlarmRow>(
    `SELECT id, storage_unit_id, kind, severity, state, threshold_c, peak_c, started_at, cleared_at,
            acknowledged_at, acknowledged_by, comment, time_beyond_seconds, degree_minutes
     FROM alarms
     WHERE storage_unit_id = ANY($1::uuid[]) AND started_at < $3::timestamptz
       AND (cleared_at IS NULL OR cleared_at >= $2::timestamptz)
     ORDER BY started_at, id`,
    [unitIds, from, to],
  );

/** A reading as the CSV report prints it; `utc` and `c_text` are the data hash's own texts. */
export interface ReportReadingRow {
  storage_unit_id: string;
  /** recorded_at, epoch ms. */
  t: number;
  utc: string;
  temperature_c: number | null;
  c_text: string;
  quality_score: number;
  equipment_status: string;
}

/** A page of one unit's readings in [from, to) after `afterMs` (keyset on recorded_at), ascending. */
export const reportReadingsPage = (
  q: Sql,
  unitId: string,
  from: Date,
  to: Date,
  afterMs: number | null,
  limit: number,
): Promise<ReportReadingRow[]> =>
  q.query<ReportReadingRow>(
    `SELECT storage_unit_id, ${EPOCH_MS('recorded_at')} AS t,
            ${UTC_TEXT} AS utc,
            temperature_c, coalesce(temperature_c::text, '') AS c_text, quality_score, equipment_status
     FROM temperature_readings
     WHERE unit_key = ${unitKeySql('$1::uuid')} AND recorded_at >= $2::timestamptz AND recorded_at < $3::timestamptz
       AND ($4::float8 IS NULL OR recorded_at > to_timestamp($4::float8 / 1000))
     ORDER BY recorded_at LIMIT $5`,
    [unitId, from, to, afterMs, limit],
  );

/** The record of one generated report (migration 015). */
export interface GeneratedReportRow {
  id: string;
  customer_id: string;
  kind: 'unit' | 'facility';
  entity_id: string;
  unit_ids: string[];
  format: 'pdf' | 'csv';
  range_start: Date;
  range_end: Date;
  tz: string;
  temperature_unit: 'C' | 'F';
  generated_at: Date;
  generated_by: string;
  data_sha256: string;
  file_sha256: string;
  figures: Record<string, unknown>;
}

export const insertGeneratedReport = async (tx: Sql, r: GeneratedReportRow): Promise<void> => {
  await tx.query(
    `INSERT INTO generated_reports (id, customer_id, kind, entity_id, unit_ids, format, range_start, range_end,
       tz, temperature_unit, generated_at, generated_by, data_sha256, file_sha256, figures)
     VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)`,
    [
      r.id,
      r.customer_id,
      r.kind,
      r.entity_id,
      r.unit_ids,
      r.format,
      r.range_start,
      r.range_end,
      r.tz,
      r.temperature_unit,
      r.generated_at,
      r.generated_by,
      r.data_sha256,
      r.file_sha256,
      JSON.stringify(r.figures),
    ],
  );
};

export const findGeneratedReport = async (q: Sql, id: string): Promise<GeneratedReportRow | undefined> =>
  (
    await q.query<GeneratedReportRow>(
      `SELECT id, customer_id, kind, entity_id, unit_ids, format, range_start, range_end, tz, temperature_unit,
              generated_at, generated_by, data_sha256, file_sha256, figures
       FROM generated_reports WHERE id = $1::uuid`,
      [id],
    )
  )[0];
