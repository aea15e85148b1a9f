import { ROLLUP_AGGREGATES_OF_R } from './readings-repo.ts';
import type { Sql } from './types.ts';

// `reading_rollups_daily` keeps one row per unit and local day for two zones: 'UTC' and the
// customer's own. Writers maintain it with the hourly rollups (readings-repo.ts); this file rebuilds
// it where readings are deleted or a customer's zone changes.

const DAILY_COLUMNS = `storage_unit_id, time_zone, day, customer_id, facility_id, reading_count, null_count, sum_c,
  min_c, max_c, good_quality_count`;

/**
 * Blocks writers of readings until the transaction ends (readers go on). A writer waiting here
 * starts its statement afterwards, so it sees the zone the transaction committed.
 */
export const lockDailyRollups = async (tx: Sql): Promise<void> => {
  await tx.exec('LOCK TABLE reading_rollups_daily IN EXCLUSIVE MODE');
};

/**
 * After a customer's time zone changed (call inside the transaction that changed it, after
 * lockDailyRollups): drops its rows of zones no longer kept and builds the new zone's from raw
 * readings, which is exact for every zone, including those with :30 offsets.
 */
export const syncCustomerDailyZones = async (tx: Sql, customerId: string): Promise<void> => {
  await tx.query(
    `DELETE FROM reading_rollups_daily d USING customers c
     WHERE c.id = $1::uuid AND d.customer_id = c.id AND d.time_zone NOT IN ('UTC', c.timezone)`,
    [customerId],
  );
  await tx.query(
    `INSERT INTO reading_rollups_daily (${DAILY_COLUMNS})
     SELECT r.storage_unit_id, c.timezone, (r.recorded_at AT TIME ZONE c.timezone)::date, r.customer_id,
            r.facility_id, ${ROLLUP_AGGREGATES_OF_R}
     FROM temperature_readings r JOIN customers c ON c.id = r.customer_id
     WHERE r.customer_id = $1::uuid
       AND NOT EXISTS (SELECT 1 FROM reading_rollups_daily d WHERE d.customer_id = c.id AND d.time_zone = c.timezone)
     GROUP BY 1, 2, 3, 4, 5`,
    [customerId],
  );
};

/**
 * Recomputes the daily rows of every unit-day that contains one of the unit-hours in the temp table
 * `clean_touched (storage_unit_id, bucket_start)` (readings were deleted there), from raw readings.
 */
export const rebuildTouchedDays = async (tx: Sql): Promise<void> => {
  await tx.query('DROP TABLE IF EXISTS clean_days');
  // An hour can straddle two local days in zones with :30/:45 offsets: take the day of its start and end.
  await tx.query(
    `CREATE TEMP TABLE clean_days ON COMMIT DROP AS
     SELECT DISTINCT t.storage_unit_id, z.tz, d.day
     FROM clean_touched t
     JOIN storage_units u ON u.id = t.storage_unit_id
     JOIN customers c ON c.id = u.customer_id
     CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['UTC', c.timezone]::text[])) z(tz)
     CROSS JOIN LATERAL (VALUES ((t.bucket_start AT TIME ZONE z.tz)::date),
                                (((t.bucket_start + interval '59 minutes 59.999999 seconds') AT TIME ZONE z.tz)::date)) d(day)`,
  );
  await tx.query(
    `DELETE FROM reading_rollups_daily r USING clean_days d
     WHERE r.storage_unit_id = d.storage_unit_id AND r.time_zone = d.tz AND r.day = d.day`,
  );
  await tx.query(
    `INSERT INTO reading_rollups_daily (${DAILY_COLUMNS})
     SELECT r.storage_unit_id, d.tz, d.day, r.customer_id, r.facility_id, ${ROLLUP_AGGREGATES_OF_R}
     FROM clean_days d
     JOIN temperature_readings r ON r.storage_unit_id = d.storage_unit_id
      AND r.recorded_at >= (d.day::timestamp AT TIME ZONE d.tz)
      AND r.recorded_at < ((d.day + 1)::timestamp AT TIME ZONE d.tz)
     GROUP BY 1, 2, 3, 4, 5`,
  );
};
