import type { Reading } from '../ingestion/types.ts';
import type { Sql } from './types.ts';

/** A reading counts as good quality from this score up (system_config good_quality_threshold). */
export const GOOD_QUALITY_THRESHOLD = 0.8;

// One statement: insert the new readings (the natural key drops the ones already stored), then fold
// exactly the rows that were inserted into the hourly rollups. Rows are sorted so concurrent writers
// take row locks in the same order (no deadlocks). reading_count counts failed reads too;
// null_count says how many of them have no temperature, so avg = sum_c / (reading_count - null_count).
const INSERT_SQL = `
WITH input AS (
  SELECT * FROM unnest($3::uuid[], $4::uuid[], $5::timestamptz[], $6::float8[], $7::float8[], $8::text[],
                       $9::text[], $10::float8[], $11::text[])
    AS x(facility_id, storage_unit_id, recorded_at, temperature_c, source_value, source_unit, sensor_id,
         quality_score, equipment_status)
), ins AS (
  INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c,
    source_value, source_unit, sensor_id, quality_score, equipment_status, ingestion_log_id)
  SELECT $1::uuid, facility_id, storage_unit_id, recorded_at, temperature_c, source_value, source_unit,
         sensor_id, quality_score, equipment_status, $2::uuid
  FROM input ORDER BY storage_unit_id, recorded_at
  ON CONFLICT (storage_unit_id, recorded_at) DO NOTHING
  RETURNING facility_id, storage_unit_id, recorded_at, temperature_c, quality_score
), roll AS (
  INSERT INTO reading_rollups_hourly AS r (storage_unit_id, bucket_start, customer_id, facility_id,
    reading_count, null_count, sum_c, min_c, max_c, good_quality_count)
  SELECT storage_unit_id, date_trunc('hour', recorded_at, 'UTC') AS bucket, $1::uuid, facility_id,
         count(*), count(*) FILTER (WHERE temperature_c IS NULL), coalesce(sum(temperature_c), 0),
         min(temperature_c), max(temperature_c), count(*) FILTER (WHERE quality_score >= ${GOOD_QUALITY_THRESHOLD})
  FROM ins GROUP BY storage_unit_id, facility_id, bucket ORDER BY storage_unit_id, bucket
  ON CONFLICT (storage_unit_id, bucket_start) DO UPDATE SET
    reading_count = r.reading_count + excluded.reading_count,
    null_count = r.null_count + excluded.null_count,
    sum_c = r.sum_c + excluded.sum_c,
    min_c = LEAST(r.min_c, excluded.min_c),
    max_c = GREATEST(r.max_c, excluded.max_c),
    good_quality_count = r.good_quality_count + excluded.good_quality_count
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins)::int AS stored`;

/**
 * Stores readings of one customer idempotently on (storage_unit_id, recorded_at) and updates the
 * hourly rollups from the rows actually inserted. Run it inside the caller's transaction.
 * @returns how many readings were new.
 */
export const insertReadings = async (
  tx: Sql,
  customerId: string,
  ingestionLogId: string | null,
  readings: readonly Reading[],
): Promise<number> => {
  if (readings.length === 0) return 0;
  const n = readings.length;
  const facility = new Array<string>(n);
  const unit = new Array<string>(n);
  const at = new Array<string>(n);
  const tempC = new Array<number | null>(n);
  const source = new Array<number | null>(n);
  const sourceUnit = new Array<string>(n);
  const sensor = new Array<string | null>(n);
  const quality = new Array<number>(n);
  const status = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    facility[i] = r.facilityId;
    unit[i] = r.storageUnitId;
    at[i] = new Date(r.recordedAtMs).toISOString();
    tempC[i] = r.temperatureC;
    source[i] = r.sourceValue;
    sourceUnit[i] = r.sourceUnit;
    sensor[i] = r.sensorId;
    quality[i] = r.qualityScore;
    status[i] = r.equipmentStatus;
  }
  const [row] = await tx.query<{ stored: number }>(INSERT_SQL, [
    customerId,
    ingestionLogId,
    facility,
    unit,
    at,
    tempC,
    source,
    sourceUnit,
    sensor,
    quality,
    status,
  ]);
  return row!.stored;
};

/**
 * Records a batch as applied. False when it was applied before (a redelivery): the caller then
 * stores and counts nothing. Concurrent duplicates wait on the key until the first commits.
 */
export const claimBatch = async (
  tx: Sql,
  batchId: string,
  ingestionLogId: string | null,
  readingCount: number,
): Promise<boolean> =>
  (
    await tx.query(
      `INSERT INTO ingestion_batches (batch_id, ingestion_log_id, reading_count) VALUES ($1, $2, $3)
       ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id`,
      [batchId, ingestionLogId, readingCount],
    )
  ).length === 1;

export const recordBatchCounts = async (tx: Sql, batchId: string, stored: number, duplicates: number) =>
  void (await tx.query('UPDATE ingestion_batches SET stored = $2, duplicates = $3 WHERE batch_id = $1', [
    batchId,
    stored,
    duplicates,
  ]));

export interface StoredReadingRow {
  unit_code: string;
  facility_code: string;
  recorded_at: Date;
  temperature_c: number | null;
  source_value: number | null;
  source_unit: string;
  equipment_status: string;
}

/** A customer's stored readings with recorded_at in [from, to), for verification. */
export const listStoredReadings = (
  q: Sql,
  customerId: string,
  from: Date,
  to: Date,
): Promise<StoredReadingRow[]> =>
  q.query<StoredReadingRow>(
    `SELECT u.unit_code, f.facility_code, r.recorded_at, r.temperature_c, r.source_value, r.source_unit,
            r.equipment_status
     FROM temperature_readings r JOIN storage_units u ON u.id = r.storage_unit_id
     JOIN facilities f ON f.id = r.facility_id
     WHERE r.customer_id = $1 AND r.recorded_at >= $2 AND r.recorded_at < $3
     ORDER BY r.recorded_at, u.unit_code`,
    [customerId, from, to],
  );
