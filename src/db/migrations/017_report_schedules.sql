-- Scheduled compliance reports (issue 12 item 3): a facility's report of the last full week (Monday to
-- Monday) or calendar month in `tz`, e-mailed to the customer's e-mail notification channels by the
-- ingest role's due job (src/reports/schedules.ts).
--
-- period_end_at is the end of the next period to report (a local Monday or 1st of the month, 00:00 in
-- tz); next_run_at is when the job acts on it: period_end_at + a grace delay for late readings, or an
-- earlier retry time after a failed send. A worker claims a due row with
-- UPDATE … WHERE id = $1 AND next_run_at = $seen, which moves the row on to the following period in
-- the same statement, so exactly one worker sends a period (at most once: see docs/operations.md).
-- retry_channel_ids: after a partly failed send, only the channels still to be told (null: all).
-- channel_ids null: every active e-mail channel of the customer at send time.
CREATE TABLE report_schedules (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  facility_id       uuid NOT NULL REFERENCES facilities (id) ON DELETE CASCADE,
  period            varchar(16) NOT NULL CHECK (period IN ('weekly', 'monthly')),
  format            varchar(8) NOT NULL DEFAULT 'pdf' CHECK (format IN ('pdf', 'csv')),
  tz                varchar(64) NOT NULL,
  channel_ids       uuid[],
  enabled           boolean NOT NULL DEFAULT true,
  period_end_at     timestamptz NOT NULL,
  next_run_at       timestamptz NOT NULL,
  attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  retry_channel_ids uuid[],
  last_run_at       timestamptz,
  last_period_start timestamptz,
  last_period_end   timestamptz,
  last_status       varchar(16) CHECK (last_status IN ('sending', 'sent', 'retrying', 'failed', 'interrupted')),
  last_error        text,
  last_report_id    uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_schedules_customer_idx ON report_schedules (customer_id, created_at);
CREATE INDEX report_schedules_due_idx ON report_schedules (next_run_at) WHERE enabled;
