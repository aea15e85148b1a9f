import { notifyReadingsCte } from './reading-changes.ts';
import { unitKeysSql } from './reading-keys.ts';
import { DEFAULT_ACTIVATION_KELVIN, KELVIN_OFFSET } from '../domain/mkt.ts';
import type { Reading } from '../domain/reading.ts';
import {
  advanceHighWaterMarkSql,
  FINALISED_RUN_COLUMNS,
  runCompleteSql,
  runDurationSql,
  runErrorMessageSql,
  runStatusSql,
  type FinalisedRun,
} from './ingestion-repo.ts';
import { statusCodeSql, writeReadings } from './reading-prepare.ts';
import type { Sql } from './types.ts';

/** A reading counts as good quality from this score up (system_config good_quality_threshold). */
export const GOOD_QUALITY_THRESHOLD = 0.8;

/**
 * exp(−ΔH/RT) of a °C column for the default ΔH/R (domain/mkt.ts), the term rollups sum as mkt_term_sum
 * (migration 012); NULL for a failed read. The 15 K floor only keeps exp() from underflowing.
 */
export const mktTermSql = (celsius: string): string =>
  `exp(-${DEFAULT_ACTIVATION_KELVIN} / greatest(${celsius} + ${KELVIN_OFFSET}, 15))`;

/**
 * A rollup row's seven aggregates (reading_count, null_count, sum_c, min_c, max_c,
 * good_quality_count, mkt_term_sum) over raw readings aliased `r`: for rebuilding rollups from raw rows.
 */
export const ROLLUP_AGGREGATES_OF_R = `count(*), count(*) FILTER (WHERE r.temperature_c IS NULL),
  coalesce(sum(r.temperature_c), 0), min(r.temperature_c), max(r.temperature_c),
  count(*) FILTER (WHERE r.quality_score >= ${GOOD_QUALITY_THRESHOLD}),
  coalesce(sum(${mktTermSql('r.temperature_c')}), 0)`;

const ROLLUP_UPDATE = `reading_count = r.reading_count + excluded.reading_count,
    null_count = r.null_count + excluded.null_count,
    sum_c = r.sum_c + excluded.sum_c,
    min_c = LEAST(r.min_c, excluded.min_c),
    max_c = GREATEST(r.max_c, excluded.max_c),
    good_quality_count = r.good_quality_count + excluded.good_quality_count,
    mkt_term_sum = r.mkt_term_sum + excluded.mkt_term_sum`;

const SUMS = 'sum(n), sum(nulls), sum(s), min(mn), max(mx), sum(good), sum(e)';

/**
 * The rollup CTEs that follow an `ins` CTE (storage_unit_id, facility_id, recorded_at, temperature_c,
 * quality_score: exactly the rows inserted) in every writer of readings, so rollups always equal
 * an aggregate over the raw rows. `customer` is the SQL for the readings' customer: a column of `ins`
 * or a parameter.
 *  qh        pre-aggregates the rows by unit and quarter-hour (plain arithmetic, no zone lookups);
 *  roll      folds the quarter-hours into `reading_rollups_hourly` (UTC hours);
 *  roll_day  folds them into `reading_rollups_daily` for each zone kept for the customer ('UTC' and
 *            its own): one zone conversion per quarter-hour instead of per reading. Exact because
 *            every zone's offset is a whole number of quarter-hours (+5:45 and +12:45 included).
 * Rows are sorted so concurrent writers lock rollup rows in the same order.
 */
export const rollupCtes = (customer: string): string => `qh AS (
  SELECT storage_unit_id, facility_id, ${customer} AS customer_id,
         date_bin('15 minutes', recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS q,
         count(*)::int AS n, (count(*) FILTER (WHERE temperature_c IS NULL))::int AS nulls,
         coalesce(sum(temperature_c), 0) AS s, min(temperature_c) AS mn, max(temperature_c) AS mx,
         (count(*) FILTER (WHERE quality_score >= ${GOOD_QUALITY_THRESHOLD}))::int AS good,
         coalesce(sum(${mktTermSql('temperature_c')}), 0) AS e
  FROM ins GROUP BY 1, 2, 3, 4
), roll AS (
  INSERT INTO reading_rollups_hourly AS r (storage_unit_id, bucket_start, customer_id, facility_id,
    reading_count, null_count, sum_c, min_c, max_c, good_quality_count, mkt_term_sum)
  SELECT storage_unit_id, date_bin('1 hour', q, TIMESTAMPTZ '2000-01-01 00:00:00+00'), customer_id, facility_id, ${SUMS}
  FROM qh GROUP BY 1, 2, 3, 4 ORDER BY 1, 2
  ON CONFLICT (storage_unit_id, bucket_start) DO UPDATE SET ${ROLLUP_UPDATE}
  RETURNING 1
), roll_day AS (
  INSERT INTO reading_rollups_daily AS r (storage_unit_id, time_zone, day, customer_id, facility_id,
    reading_count, null_count, sum_c, min_c, max_c, good_quality_count, mkt_term_sum)
  SELECT qh.storage_unit_id, z.tz, (qh.q AT TIME ZONE z.tz)::date, qh.customer_id, qh.facility_id, ${SUMS}
  FROM qh JOIN customers c ON c.id = qh.customer_id
  CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['UTC', c.timezone]::text[])) z(tz)
  GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3
  ON CONFLICT (storage_unit_id, time_zone, day) DO UPDATE SET ${ROLLUP_UPDATE}
  RETURNING 1
)`;

/** SQL of a reading's id (a string, as the view temperature_readings shows it): '<unit key>-<µs>'. */
export const readingIdSql = (unitKey: string, recordedAt: string): string =>
  `(${unitKey}::text || '-' || ((extract(epoch FROM ${recordedAt}) * 1000000)::bigint)::text)`;

/**
 * The `ins` CTE of every writer: the rows an INSERT into `readings` returned (CTE `src`: unit_key,
 * recorded_at, temperature_c, quality_score) with their unit's ids, as the rollup and alarm CTEs take
 * them. The quality is read back as the view temperature_readings shows it (real through numeric).
 */
export const storedAsIns = (src: string): string => `ins AS (
  SELECT u.customer_id, u.facility_id, u.id AS storage_unit_id, i.recorded_at, i.temperature_c,
         i.quality_score::numeric::float8 AS quality_score, i.unit_key
  FROM ${src} i JOIN storage_units u ON u.reading_key = i.unit_key
)`;

/**
 * Marks the units of the rows of CTE `ins` (storage_unit_id, recorded_at: exactly the rows inserted) for
 * alarm evaluation (table alarm_pending, migration 010), in the statement that stores them: a committed
 * reading is then always evaluated, whatever crashes after the commit. Every writer of readings uses it.
 */
export const alarmPendingCte = (ins: string): string => `pend AS (
  INSERT INTO alarm_pending AS p (storage_unit_id, from_recorded_at, seq)
  SELECT storage_unit_id, min(recorded_at), nextval('alarm_pending_seq') FROM ${ins} GROUP BY 1 ORDER BY 1
  ON CONFLICT (storage_unit_id) DO UPDATE
    SET from_recorded_at = LEAST(p.from_recorded_at, excluded.from_recorded_at), seq = excluded.seq
  RETURNING 1
)`;

// This batch completes the run: stored + duplicates, its own included, reach the accepted count.
const DONE = runCompleteSql('l', 'b.stored + b.duplicates');

// The whole write of one batch is ONE statement (one round trip, atomic without an explicit
// transaction):
//  ins    inserts the new readings under their unit's customer and facility (storage_units; never
//         the message's); the natural key drops those already stored. Rows are sorted so
//         concurrent writers take row locks in the same order (no deadlocks).
//  qh, roll, roll_day fold exactly the inserted rows into the hourly and daily rollups (rollupCtes).
//         reading_count counts failed reads too; null_count says how many have no temperature:
//         avg = sum_c / (reading_count - null_count).
//  pend   marks the units that got new readings for alarm evaluation (alarmPendingCte).
//  batch  records the batch id with its counts; a redelivered batch conflicts here, so its readings
//         (all duplicates by then) are neither stored nor counted again.
//  log    adds the counts to the run and ends the run when every accepted reading is accounted for,
//         hwm then moving the customer's high-water mark: the run-outcome rule of ingestion-repo.ts.
const WRITE_BATCH_SQL = `
WITH input AS (
  SELECT * FROM unnest($3::uuid[], $4::timestamptz[], $5::float8[], $6::float8[], $7::text[], $8::text[],
                       $9::float8[], $10::text[])
    AS x(storage_unit_id, recorded_at, temperature_c, source_value, source_unit, sensor_id, quality_score,
         equipment_status)
), bk AS (
  SELECT nextval('ingestion_batches_batch_key_seq') AS k
), stored AS (
  INSERT INTO readings (recorded_at, temperature_c, batch_key, unit_key, sensor_key, quality_score, status,
    source_unit)
  SELECT x.recorded_at, x.temperature_c, bk.k, u.reading_key, CASE WHEN x.sensor_id IS NULL THEN 0 ELSE s.sensor_key END,
         x.quality_score, ${statusCodeSql('x.equipment_status')}, x.source_unit::"char"
  FROM input x CROSS JOIN bk LEFT JOIN storage_units u ON u.id = x.storage_unit_id
  LEFT JOIN reading_sensors s ON s.sensor_id = x.sensor_id
  ORDER BY u.reading_key, x.recorded_at
  ON CONFLICT (unit_key, recorded_at) DO NOTHING
  RETURNING unit_key, recorded_at, temperature_c, quality_score
), ${storedAsIns('stored')}, ${rollupCtes('customer_id')}, ${alarmPendingCte('ins')}, ${notifyReadingsCte('ins')}, batch AS (
  INSERT INTO ingestion_batches (batch_key, batch_id, ingestion_log_id, reading_count, stored, duplicates)
  SELECT bk.k, $1::uuid, $2::uuid, $11::int, c.n, $11::int - c.n FROM (SELECT count(*)::int AS n FROM ins) c, bk
  ON CONFLICT (batch_id) DO NOTHING
  RETURNING stored, duplicates
), log AS (
  UPDATE ingestion_logs l SET
    records_succeeded = l.records_succeeded + b.stored,
    records_duplicate = l.records_duplicate + b.duplicates,
    status = CASE WHEN ${DONE} THEN ${runStatusSql('l')} ELSE l.status END,
    error_message = CASE WHEN ${DONE} THEN ${runErrorMessageSql('l')} ELSE l.error_message END,
    end_time = CASE WHEN ${DONE} THEN now() ELSE l.end_time END,
    duration_ms = CASE WHEN ${DONE} THEN ${runDurationSql('l')} ELSE l.duration_ms END
  FROM batch b WHERE l.id = $2::uuid
  RETURNING ${FINALISED_RUN_COLUMNS}, (l.end_time = now()) AS finalised
), hwm AS (${advanceHighWaterMarkSql('log')})
SELECT b.applied, b.stored, f.id, f.customer_id, f.ingestion_type, f.status, f.window_end, f.records_processed,
       f.records_succeeded, f.records_duplicate, f.records_failed, f.duration_ms
FROM (SELECT count(*)::int AS applied, coalesce(max(stored), 0)::int AS stored FROM batch) b
CROSS JOIN tms_notify
LEFT JOIN log f ON f.finalised`;

export interface WrittenBatch {
  /** False when the batch had been written before (a redelivery). */
  applied: boolean;
  stored: number;
  /** The run this batch completed, if it did. */
  finalised?: FinalisedRun;
}

/**
 * Writes one batch of readings, idempotently and atomically, in one statement: the readings (natural
 * key), the rollups of the new ones, the batch id (exactly-once accounting), the run's counters and,
 * if this batch completes the run, its status and the high-water mark. Each reading's customer and
 * facility are those of its storage unit: the batch's customerId and each reading's facilityId are
 * not trusted (a message cannot file a reading under another tenant).
 * @throws a not-null violation (23502) for an unknown storage unit; the batch is then not written.
 */
export const writeReadingBatch = async (
  q: Sql,
  batch: { batchId: string; ingestionLogId: string | null; readings: readonly Reading[] },
): Promise<WrittenBatch> => {
  const readings = batch.readings;
  const n = readings.length;
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
    unit[i] = r.storageUnitId;
    at[i] = new Date(r.recordedAtMs).toISOString();
    tempC[i] = r.temperatureC;
    source[i] = r.sourceValue;
    sourceUnit[i] = r.sourceUnit;
    sensor[i] = r.sensorId;
    quality[i] = r.qualityScore;
    status[i] = r.equipmentStatus;
  }
  const atMs = readings.map((r) => r.recordedAtMs);
  const [row] = await writeReadings(q, sensor, atMs, () =>
    q.query<{ applied: number; stored: number } & FinalisedRun>(
      WRITE_BATCH_SQL,
      [batch.batchId, batch.ingestionLogId, unit, at, tempC, source, sourceUnit, sensor, quality, status, n],
      { name: 'tms_write_batch' },
    ),
  );
  const { applied, stored, ...run } = row!;
  return {
    applied: applied === 1,
    stored,
    finalised: run.id ? (run as FinalisedRun) : undefined,
  };
};

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
     WHERE r.unit_key = ANY (${unitKeysSql('customer_id = $1::uuid')}) AND r.recorded_at >= $2 AND r.recorded_at < $3
     ORDER BY r.recorded_at, u.unit_code`,
    [customerId, from, to],
  );
