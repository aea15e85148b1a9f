-- Daily per-unit aggregates in °C, one row per unit and local calendar day of a time zone: 'UTC'
-- for every unit, and the customer's own zone. Every writer of readings maintains them in the same
-- statement as the hourly rollups; long-range analytics (day/week/month buckets, stats over weeks)
-- read one row per unit-day instead of 24. A customer's zone change rebuilds that customer's rows.
CREATE TABLE reading_rollups_daily (
  storage_unit_id    uuid NOT NULL REFERENCES storage_units (id) ON DELETE CASCADE,
  time_zone          varchar(64) NOT NULL,
  day                date NOT NULL,
  customer_id        uuid NOT NULL,
  facility_id        uuid NOT NULL,
  reading_count      integer NOT NULL,
  null_count         integer NOT NULL,
  sum_c              double precision NOT NULL,
  min_c              double precision,
  max_c              double precision,
  good_quality_count integer NOT NULL DEFAULT 0,
  PRIMARY KEY (storage_unit_id, time_zone, day)
);
CREATE INDEX reading_rollups_daily_customer_idx ON reading_rollups_daily (customer_id, time_zone, day);
CREATE INDEX reading_rollups_daily_facility_idx ON reading_rollups_daily (facility_id, time_zone, day);

-- Readings stored before this migration (0.8 is the good-quality threshold of readings-repo.ts).
INSERT INTO reading_rollups_daily (storage_unit_id, time_zone, day, customer_id, facility_id, reading_count,
  null_count, sum_c, min_c, max_c, good_quality_count)
SELECT r.storage_unit_id, z.tz, (r.recorded_at AT TIME ZONE z.tz)::date, r.customer_id, r.facility_id, count(*),
       count(*) FILTER (WHERE r.temperature_c IS NULL), coalesce(sum(r.temperature_c), 0), min(r.temperature_c),
       max(r.temperature_c), count(*) FILTER (WHERE r.quality_score >= 0.8)
FROM temperature_readings r
JOIN customers c ON c.id = r.customer_id
CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['UTC', c.timezone]::text[])) z(tz)
GROUP BY 1, 2, 3, 4, 5;
