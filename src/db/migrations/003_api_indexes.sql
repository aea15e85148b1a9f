-- Indexes for the REST API's read paths.
-- Status counts (stats, performance) read only the rare readings that are neither normal nor a
-- null-temperature failure (null failures are counted by the rollups' null_count).
CREATE INDEX temperature_readings_unusual_customer_idx ON temperature_readings (customer_id, recorded_at)
  WHERE equipment_status <> 'normal' AND temperature_c IS NOT NULL;
CREATE INDEX temperature_readings_unusual_unit_idx ON temperature_readings (storage_unit_id, recorded_at)
  WHERE equipment_status <> 'normal' AND temperature_c IS NOT NULL;
-- Facility-scoped analytics over the rollups.
CREATE INDEX reading_rollups_facility_time_idx ON reading_rollups_hourly (facility_id, bucket_start);
