-- Initial schema. Fixes the prototype's schema problems (seed-system.md §1.7, §9): the URL column
-- the code uses (api_url), nullable temperatures for failed sensor reads, a float quality score,
-- a natural key on readings, the uniqueness the importer relies on, and the indexes the API needs.

CREATE TABLE system_config (
  key         varchar(100) PRIMARY KEY,
  value       jsonb NOT NULL,
  description text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO system_config (key, value, description) VALUES
  ('data_retention_days', '730', 'Number of days to retain raw temperature readings.'),
  ('max_temperature_deviation', '{"warning": 2, "critical": 5}', 'Deviation from set point, in degrees Celsius, that raises a warning or a critical status.'),
  ('good_quality_threshold', '0.8', 'A reading is of good quality when its quality_score is at least this value.')
ON CONFLICT (key) DO NOTHING;

CREATE TABLE customers (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_code          varchar(32) NOT NULL UNIQUE CHECK (customer_code ~ '^[A-Za-z0-9_-]+$'),
  name                   varchar(255) NOT NULL,
  data_sharing_method    varchar(8) NOT NULL CHECK (data_sharing_method IN ('api', 'csv')),
  data_frequency_seconds integer NOT NULL CHECK (data_frequency_seconds BETWEEN 10 AND 86400),
  api_url                varchar(2048),
  timezone               varchar(64) NOT NULL DEFAULT 'UTC',
  is_active              boolean NOT NULL DEFAULT true,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE facilities (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id   uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  facility_code varchar(64) NOT NULL,
  name          varchar(255),
  city          varchar(100),
  country       varchar(100),
  latitude      double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude     double precision CHECK (longitude BETWEEN -180 AND 180),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, facility_code)
);

-- set_temperature and the alarm limits are in the unit's own temperature_unit, as the source reports.
CREATE TABLE storage_units (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  facility_id      uuid NOT NULL REFERENCES facilities (id) ON DELETE CASCADE,
  customer_id      uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  unit_code        varchar(64) NOT NULL,
  name             varchar(255),
  size_value       double precision NOT NULL CHECK (size_value > 0),
  size_unit        varchar(8) NOT NULL CHECK (size_unit IN ('sqm', 'sqft', 'm2', 'ft2')),
  set_temperature  double precision NOT NULL,
  temperature_unit char(1) NOT NULL CHECK (temperature_unit IN ('C', 'F')),
  equipment_type   varchar(100) NOT NULL DEFAULT 'freezer',
  alarm_low_limit  double precision,
  alarm_high_limit double precision,
  data_frequency_seconds integer CHECK (data_frequency_seconds > 0),
  is_active        boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (facility_id, unit_code),
  CHECK (alarm_low_limit IS NULL OR alarm_high_limit IS NULL OR alarm_low_limit < alarm_high_limit)
);
CREATE INDEX storage_units_customer_idx ON storage_units (customer_id);

-- Customer tokens and admin tokens in one table: an admin token belongs to no customer.
-- Only the SHA-256 of a token is stored; token_prefix is what lists show.
CREATE TABLE api_tokens (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id         uuid REFERENCES customers (id) ON DELETE CASCADE,
  token_hash          char(64) NOT NULL UNIQUE,
  token_prefix        varchar(16) NOT NULL,
  token_name          varchar(255) NOT NULL,
  permissions         text[] NOT NULL CHECK (permissions <@ ARRAY['read', 'write', 'admin']::text[] AND cardinality(permissions) > 0),
  accessible_units    uuid[] NOT NULL DEFAULT '{}',
  rate_limit_per_hour integer NOT NULL DEFAULT 1000 CHECK (rate_limit_per_hour > 0),
  expires_at          timestamptz,
  last_used_at        timestamptz,
  is_active           boolean NOT NULL DEFAULT true,
  revoked_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (('admin' = ANY (permissions)) = (customer_id IS NULL))
);
CREATE INDEX api_tokens_customer_idx ON api_tokens (customer_id);

CREATE TABLE ingestion_logs (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id       uuid REFERENCES customers (id) ON DELETE SET NULL,
  ingestion_type    varchar(16) NOT NULL CHECK (ingestion_type IN ('api', 'csv', 'import', 'manual')),
  status            varchar(16) NOT NULL CHECK (status IN ('running', 'success', 'partial', 'warning', 'failure')),
  records_processed integer NOT NULL DEFAULT 0,
  records_succeeded integer NOT NULL DEFAULT 0,
  records_duplicate integer NOT NULL DEFAULT 0,
  records_failed    integer NOT NULL DEFAULT 0,
  rejection_reasons jsonb NOT NULL DEFAULT '{}',
  start_time        timestamptz NOT NULL DEFAULT now(),
  end_time          timestamptz,
  duration_ms       integer,
  window_start      timestamptz,
  window_end        timestamptz,
  source_url        varchar(2048),
  error_message     text,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingestion_logs_customer_time_idx ON ingestion_logs (customer_id, start_time DESC);
CREATE INDEX ingestion_logs_time_idx ON ingestion_logs (start_time DESC);

-- Readings: natural key (storage_unit_id, recorded_at) makes every store idempotent. The key's index
-- covers temperature and quality so per-unit range queries are index-only. customer_id and
-- facility_id are denormalised for tenant-scoped queries (a unit never changes owner).
CREATE TABLE temperature_readings (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id      uuid NOT NULL,
  facility_id      uuid NOT NULL,
  storage_unit_id  uuid NOT NULL REFERENCES storage_units (id) ON DELETE CASCADE,
  recorded_at      timestamptz NOT NULL,
  temperature_c    double precision CHECK (temperature_c BETWEEN -273.15 AND 1000),
  source_value     double precision,
  source_unit      char(1) NOT NULL CHECK (source_unit IN ('C', 'F')),
  sensor_id        varchar(255),
  quality_score    double precision NOT NULL DEFAULT 1 CHECK (quality_score BETWEEN 0 AND 1),
  equipment_status varchar(16) NOT NULL DEFAULT 'normal'
                   CHECK (equipment_status IN ('normal', 'warning', 'error', 'failure', 'maintenance')),
  ingestion_log_id uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT temperature_readings_unit_time_key UNIQUE (storage_unit_id, recorded_at) INCLUDE (temperature_c, quality_score),
  CHECK (temperature_c IS NOT NULL OR equipment_status = 'failure')
);
CREATE INDEX temperature_readings_customer_time_idx ON temperature_readings (customer_id, recorded_at DESC);
CREATE INDEX temperature_readings_facility_time_idx ON temperature_readings (facility_id, recorded_at DESC);
CREATE INDEX temperature_readings_created_idx ON temperature_readings (created_at);

-- Hourly per-unit aggregates in °C, maintained by the writer in the same transaction as the readings.
CREATE TABLE reading_rollups_hourly (
  storage_unit_id uuid NOT NULL REFERENCES storage_units (id) ON DELETE CASCADE,
  bucket_start    timestamptz NOT NULL,
  customer_id     uuid NOT NULL,
  facility_id     uuid NOT NULL,
  reading_count   integer NOT NULL,
  null_count      integer NOT NULL,
  sum_c           double precision NOT NULL,
  min_c           double precision,
  max_c           double precision,
  good_quality_count integer NOT NULL DEFAULT 0,
  PRIMARY KEY (storage_unit_id, bucket_start)
);
CREATE INDEX reading_rollups_customer_time_idx ON reading_rollups_hourly (customer_id, bucket_start);

-- Scheduler state: one row per customer. A lease lets many ingest processes share the fleet
-- without collecting a customer twice; high_water_mark is the newest reading time collected.
CREATE TABLE ingestion_schedule (
  customer_id          uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  next_run_at          timestamptz NOT NULL DEFAULT now(),
  lease_owner          varchar(128),
  lease_expires_at     timestamptz,
  last_run_at          timestamptz,
  last_success_at      timestamptz,
  high_water_mark      timestamptz,
  consecutive_failures integer NOT NULL DEFAULT 0,
  last_error           text
);
