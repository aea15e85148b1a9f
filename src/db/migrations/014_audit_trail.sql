-- The audit trail (issue 12): one row per action that created, changed or deleted a record, written in
-- the same transaction as the change (src/audit/record.ts). Append-only and hash-chained: `hash` is
-- SHA-256 over `prev_hash` and a canonical encoding of the row's own fields (src/domain/audit-chain.ts),
-- so an edit, a deletion or a swap of rows breaks the chain at that row (`tms audit verify`).
--
-- `seq` is gapless and assigned under a transaction-scoped advisory lock together with `prev_hash`
-- (db/audit-repo.ts), so concurrent writers (API replicas, ingest workers) append one chain.
-- No foreign keys: the trail outlives the records it describes, and entity ids are kept as text.
CREATE TABLE audit_log (
  seq            bigint PRIMARY KEY,
  id             uuid NOT NULL UNIQUE,
  at             timestamptz NOT NULL,
  actor_kind     text NOT NULL CHECK (actor_kind IN ('token', 'cli', 'system')),
  actor_token_id uuid,
  actor_name     text NOT NULL,
  customer_id    uuid,
  entity_type    text NOT NULL,
  entity_id      text,
  action         text NOT NULL,
  changes        jsonb NOT NULL,
  reason         text,
  prev_hash      char(64) NOT NULL,
  hash           char(64) NOT NULL
);
CREATE INDEX audit_log_customer_seq ON audit_log (customer_id, seq DESC);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Readings are immutable: a stored reading is never changed. They are deleted only by `db clean` and
-- the retention job, which mark their transaction (set_config('tms.reading_delete', 'audited', true))
-- and write an audit entry in it; any other DELETE is refused.
CREATE FUNCTION temperature_readings_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'temperature readings are immutable: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER temperature_readings_immutable BEFORE UPDATE ON temperature_readings
  FOR EACH ROW EXECUTE FUNCTION temperature_readings_refuse_update();

CREATE FUNCTION temperature_readings_guard_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('tms.reading_delete', true), '') <> 'audited' THEN
    RAISE EXCEPTION 'temperature readings are deleted only by db clean or retention (audited)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER temperature_readings_audited_delete BEFORE DELETE ON temperature_readings
  FOR EACH STATEMENT EXECUTE FUNCTION temperature_readings_guard_delete();
