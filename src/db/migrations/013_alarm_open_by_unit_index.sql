-- Unit listings count each unit's open alarms and find its worst uncleared one (fleet-repo UNIT_COLUMNS):
-- a partial index keeps that a probe of the few open rows, however long a unit's alarm history grows.
CREATE INDEX alarms_unit_open_idx ON alarms (storage_unit_id, severity) WHERE state <> 'closed';
