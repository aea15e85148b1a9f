-- Exactly-once accounting for at-least-once delivery. A reading batch (one queue message) is recorded
-- here in the same transaction as its readings, so a redelivered batch is recognised and neither
-- stored nor counted twice. records_accepted is how many readings a run handed to the queue: the run
-- is complete (and the customer's high-water mark may advance) when stored + duplicates reach it.
ALTER TABLE ingestion_logs ADD COLUMN records_accepted integer;

CREATE TABLE ingestion_batches (
  batch_id         uuid PRIMARY KEY,
  ingestion_log_id uuid REFERENCES ingestion_logs (id) ON DELETE CASCADE,
  reading_count    integer NOT NULL,
  stored           integer NOT NULL DEFAULT 0,
  duplicates       integer NOT NULL DEFAULT 0,
  written_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingestion_batches_log_idx ON ingestion_batches (ingestion_log_id);
CREATE INDEX ingestion_logs_open_idx ON ingestion_logs (customer_id, start_time) WHERE end_time IS NULL;
