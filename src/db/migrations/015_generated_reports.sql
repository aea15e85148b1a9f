-- Every compliance report generated (issue 12, src/reports/): what it covered, who made it, and the two
-- hashes `tms report verify` checks a file against. data_sha256 is over the readings the report was made
-- from (src/db/reports-repo.ts unitDataHashes); file_sha256 over the bytes handed out. The same facts go
-- into the audit entry written in the same transaction (entity 'report', action 'generate').
--
-- No foreign keys: like the audit trail, the record of a report outlives the unit or facility it was
-- about. A row is never changed (trigger); the units of the report are kept so that the data hash can be
-- recomputed over the same units even after the facility gains or loses one.
CREATE TABLE generated_reports (
  id               uuid PRIMARY KEY,
  customer_id      uuid NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('unit', 'facility')),
  entity_id        uuid NOT NULL,
  unit_ids         uuid[] NOT NULL,
  format           text NOT NULL CHECK (format IN ('pdf', 'csv')),
  range_start      timestamptz NOT NULL,
  range_end        timestamptz NOT NULL,
  tz               text NOT NULL,
  temperature_unit char(1) NOT NULL CHECK (temperature_unit IN ('C', 'F')),
  generated_at     timestamptz NOT NULL,
  generated_by     text NOT NULL,
  data_sha256      char(64) NOT NULL,
  file_sha256      char(64) NOT NULL,
  figures          jsonb NOT NULL,
  CHECK (range_start < range_end)
);
CREATE INDEX generated_reports_customer_at ON generated_reports (customer_id, generated_at DESC);

CREATE FUNCTION generated_reports_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'generated_reports rows are never changed: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER generated_reports_immutable BEFORE UPDATE ON generated_reports
  FOR EACH ROW EXECUTE FUNCTION generated_reports_refuse_update();
