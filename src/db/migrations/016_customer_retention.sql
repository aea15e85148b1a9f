-- Retention that keeps the proof (issue 12): raw readings older than a customer's retention are
-- deleted by a daily job (src/admin/retention.ts); the hourly and daily rollups of those periods stay,
-- so MKT and summaries of old periods remain available, and the audit trail is never deleted by it.

-- A customer's own retention of raw readings, in days; null: the system's data_retention_days.
ALTER TABLE customers ADD COLUMN data_retention_days integer CHECK (data_retention_days >= 1);

-- Before `deleted_before` (a UTC midnight) the customer's raw readings were deleted by retention:
-- figures for earlier periods are answered from the rollups (src/readings/compliance.ts).
CREATE TABLE reading_retention (
  customer_id    uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  deleted_before timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Periodic jobs that one process of many runs at a time: a lease (renewed while the job runs) and
-- when it last finished, so several ingest workers run the daily retention once a day between them.
CREATE TABLE job_runs (
  job              varchar(64) PRIMARY KEY,
  lease_owner      varchar(128),
  lease_expires_at timestamptz,
  last_started_at  timestamptz,
  last_finished_at timestamptz,
  last_result      jsonb
);
