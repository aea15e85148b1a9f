-- Every stored reading paid for this index, which served only `tms db clean --newer-than` (an
-- occasional admin command, now a scan) and the recent list of `tms db status` (now by id, which
-- grows in insertion order). Dropping it makes each insert one index cheaper.
DROP INDEX IF EXISTS temperature_readings_created_idx;
