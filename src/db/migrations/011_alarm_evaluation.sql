-- Alarm evaluation (issue 11, src/alarms/evaluator*.ts). Late readings are replayed from the newest
-- checkpoint older than them; two are kept so that a reading a few hours late never needs the whole
-- history: `checkpoint`/`checkpoint_at` (the older) and `checkpoint_next`/`checkpoint_next_at` (the
-- newer), both rule id → {fingerprint, since, state} as of that instant (every reading at or before it
-- evaluated, none after). They roll forward at 6-hour boundaries of event time.
ALTER TABLE alarm_unit_state
  ADD COLUMN checkpoint_next    jsonb,
  ADD COLUMN checkpoint_next_at timestamptz;

-- source_down: the open alarm of a customer is looked up on every sweep and when a backfill asks
-- whether a gap was covered by it.
CREATE INDEX alarms_source_down_idx ON alarms (customer_id, started_at) WHERE kind = 'source_down';
