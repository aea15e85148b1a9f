-- Failed reads (equipment_status 'failure', usually with no temperature) are rare; data quality
-- counts them against itself and shows them as their own figure. These partial indexes let the
-- performance report count them (and those of them with a good quality score) without scanning
-- every reading of the range.
CREATE INDEX temperature_readings_failed_customer_idx ON temperature_readings (customer_id, recorded_at)
  WHERE equipment_status = 'failure';
CREATE INDEX temperature_readings_failed_unit_idx ON temperature_readings (storage_unit_id, recorded_at)
  WHERE equipment_status = 'failure';
