-- Alarms and notifications (issue 11). The evaluator (src/alarms/) turns readings into alarms per unit,
-- in recorded_at order, after the writer commits; the notifier delivers what the outbox holds.

-- A unit's rules as its customer set them (a JSON array of AlarmRule, °C). A unit without a row uses
-- its customer's default for its equipment type, else the defaults computed from the fleet
-- (src/alarms/unit-rules.ts). `rule.id` is the rule's key within the unit: evaluation state and alarms
-- are keyed by it.
CREATE TABLE unit_alarm_rules (
  storage_unit_id uuid PRIMARY KEY REFERENCES storage_units (id) ON DELETE CASCADE,
  rules           jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'array'),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alarm_rule_defaults (
  customer_id    uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  equipment_type varchar(100) NOT NULL,
  rules          jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'array'),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, equipment_type)
);

-- Units whose new readings await evaluation. The writer upserts a row in the same statement that stores
-- the readings, so a committed reading is never forgotten by a crash; an evaluator deletes the row in
-- the transaction that stores the evaluation, and only if `seq` is unchanged (a write meanwhile bumps
-- it and leaves the row for the next pass). `from_recorded_at` is the oldest reading not yet
-- evaluated: older than the unit's watermark means late readings, replayed from a checkpoint.
CREATE SEQUENCE alarm_pending_seq;
CREATE TABLE alarm_pending (
  storage_unit_id  uuid PRIMARY KEY REFERENCES storage_units (id) ON DELETE CASCADE,
  from_recorded_at timestamptz NOT NULL,
  seq              bigint NOT NULL,
  queued_at        timestamptz NOT NULL DEFAULT now()
);

-- The per-unit evaluation state (one row a unit; its row lock serialises evaluators of that unit).
-- `states` maps rule id → {fingerprint, state} (AlarmState JSON at `watermark`). `checkpoint` is the
-- same map as of `checkpoint_at`, an earlier watermark, from which late readings are replayed.
-- `no_data_due_at` (newest reading + the no_data limit) is what the clock-driven sweep scans.
CREATE TABLE alarm_unit_state (
  storage_unit_id uuid PRIMARY KEY REFERENCES storage_units (id) ON DELETE CASCADE,
  customer_id     uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  states          jsonb NOT NULL DEFAULT '{}',
  watermark       timestamptz,
  checkpoint      jsonb,
  checkpoint_at   timestamptz,
  last_reading_at timestamptz,
  no_data_due_at  timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alarm_unit_state_no_data_due_idx ON alarm_unit_state (no_data_due_at)
  WHERE no_data_due_at IS NOT NULL;

-- One row an alarm. Identified by (customer, unit, rule, true start): a replay or a second worker
-- reproduces the same key, so an alarm is never stored twice. storage_unit_id is null for a customer's
-- source_down alarm. started_at/confirmed_at/cleared_at are event time (recorded_at); detected_at is
-- when tms raised it; late = it was raised well after it was confirmed (a backfill).
CREATE TABLE alarms (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id              uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  facility_id              uuid REFERENCES facilities (id) ON DELETE CASCADE,
  storage_unit_id          uuid REFERENCES storage_units (id) ON DELETE CASCADE,
  rule_id                  varchar(64) NOT NULL,
  kind                     varchar(32) NOT NULL
                           CHECK (kind IN ('high', 'low', 'no_data', 'sensor_failure', 'predicted_breach', 'source_down')),
  severity                 varchar(16) NOT NULL CHECK (severity IN ('warning', 'critical')),
  rule_snapshot            jsonb NOT NULL,
  threshold_c              double precision,
  started_at               timestamptz NOT NULL,
  confirmed_at             timestamptz NOT NULL,
  detected_at              timestamptz NOT NULL DEFAULT now(),
  late                     boolean NOT NULL DEFAULT false,
  cleared_at               timestamptz,
  acknowledged_at          timestamptz,
  acknowledged_by          varchar(255),
  acknowledged_by_token_id uuid,
  comment                  text,
  shelved_until            timestamptz,
  shelved_reason           text,
  shelved_by               varchar(255),
  -- Figures over [started_at, cleared_at or the newest reading): see domain/alarms/types.ts AlarmStats.
  peak_c                   double precision,
  min_c                    double precision,
  max_c                    double precision,
  mean_c                   double precision,
  reading_count            integer NOT NULL DEFAULT 0,
  failed_reads             integer NOT NULL DEFAULT 0,
  time_beyond_seconds      double precision NOT NULL DEFAULT 0,
  degree_minutes           double precision NOT NULL DEFAULT 0,
  -- Notification bookkeeping: the highest escalation step already queued, the last repeat queued.
  escalation_level         integer NOT NULL DEFAULT 0,
  last_repeat_at           timestamptz,
  updated_at               timestamptz NOT NULL DEFAULT now(),
  state varchar(16) GENERATED ALWAYS AS (
    CASE WHEN cleared_at IS NOT NULL AND acknowledged_at IS NOT NULL THEN 'closed'
         WHEN acknowledged_at IS NOT NULL THEN 'acknowledged'
         WHEN cleared_at IS NOT NULL THEN 'cleared'
         ELSE 'active' END) STORED,
  closed_at timestamptz GENERATED ALWAYS AS (
    CASE WHEN cleared_at IS NOT NULL AND acknowledged_at IS NOT NULL
         THEN GREATEST(cleared_at, acknowledged_at) END) STORED,
  CONSTRAINT alarms_identity_key UNIQUE NULLS NOT DISTINCT (customer_id, storage_unit_id, rule_id, started_at)
);
CREATE INDEX alarms_customer_started_idx ON alarms (customer_id, started_at DESC);
CREATE INDEX alarms_unit_started_idx ON alarms (storage_unit_id, started_at DESC);
CREATE INDEX alarms_open_idx ON alarms (customer_id, severity) WHERE state <> 'closed';

-- What happened to an alarm, in order (at, id): started, escalated, notified, acknowledged, shelved,
-- unshelved, cleared. `at` is event time for started/cleared, wall-clock time for the others.
CREATE TABLE alarm_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alarm_id    uuid NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
  type        varchar(32) NOT NULL
              CHECK (type IN ('started', 'escalated', 'notified', 'acknowledged', 'shelved', 'unshelved', 'cleared', 'repeated', 'notify_failed')),
  at          timestamptz NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alarm_events_alarm_idx ON alarm_events (alarm_id, at, id);

-- Where a customer's alarms are sent. escalate_after_seconds = 0: told when an alarm starts; N > 0:
-- told only when the alarm is still unacknowledged N s after it started (an escalation step).
-- repeat_seconds: told again every N s while the alarm is active and unacknowledged.
-- secret: the webhook's HMAC-SHA256 key (shown once when created).
CREATE TABLE notification_channels (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id            uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  name                   varchar(255),
  type                   varchar(16) NOT NULL CHECK (type IN ('email', 'webhook')),
  target                 varchar(2048) NOT NULL,
  secret                 varchar(128),
  min_severity           varchar(16) NOT NULL DEFAULT 'warning' CHECK (min_severity IN ('warning', 'critical')),
  escalate_after_seconds integer NOT NULL DEFAULT 0 CHECK (escalate_after_seconds >= 0),
  repeat_seconds         integer CHECK (repeat_seconds IS NULL OR repeat_seconds >= 60),
  is_active              boolean NOT NULL DEFAULT true,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_channels_customer_idx ON notification_channels (customer_id);

-- The outbox and delivery log in one: a row is written in the same transaction as the alarm change it
-- reports; the notifier claims due rows (locked_until), sends, and records the outcome. The idempotency
-- key travels with the message (Message-ID, webhook header) so a send repeated after a crash can be
-- recognised by the receiver.
CREATE TABLE notification_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key varchar(200) NOT NULL UNIQUE,
  customer_id     uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  channel_id      uuid REFERENCES notification_channels (id) ON DELETE SET NULL,
  alarm_id        uuid REFERENCES alarms (id) ON DELETE CASCADE,
  event           varchar(32) NOT NULL CHECK (event IN ('started', 'escalated', 'repeat', 'cleared', 'test')),
  channel_type    varchar(16) NOT NULL,
  target          varchar(2048) NOT NULL,
  status          varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_outbox_customer_idx ON notification_outbox (customer_id, created_at DESC);
