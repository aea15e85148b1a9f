import { ROLLUP_AGGREGATES_OF_R } from './readings-repo.ts';
import type { Sql } from './types.ts';

// `reading_rollups_daily` keeps one row per unit and local day for two zones: 'UTC' and the
// customer's own. Writers maintain it with the hourly rollups (readings-repo.ts); this file rebuilds
// it where readings are deleted (rebuildTouchedDays) or a customer's zone changes (zone-rebuild-repo.ts).

export const DAILY_COLUMNS = `storage_unit_id, time_zone, day, customer_id, facility_id, reading_count, null_count, sum_c,
  min_c, max_c, good_quality_count, mkt_term_sum`;

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
