-- Mean kinetic temperature (issue 12, src/domain/mkt.ts). A unit may name the activation energy ΔH of
-- what it stores (kJ/mol); null means the default 83.144 kJ/mol (ΔH/R = 10,000 K).
ALTER TABLE storage_units ADD COLUMN mkt_activation_energy_kj_mol double precision
  CHECK (mkt_activation_energy_kj_mol > 0 AND mkt_activation_energy_kj_mol <= 1000);

-- Σ exp(−ΔH/RT) over the readings with a temperature, for the default ΔH/R = 10,000 K and T in kelvin,
-- so MKT over months reads rollup rows (src/domain/compliance-rollups.ts). Every writer of readings
-- maintains it with the other aggregates (readings-repo.ts MKT_TERM_SQL; the floor of 15 K only keeps
-- exp() from underflowing on an impossible value).
ALTER TABLE reading_rollups_hourly ADD COLUMN mkt_term_sum double precision NOT NULL DEFAULT 0;
ALTER TABLE reading_rollups_daily ADD COLUMN mkt_term_sum double precision NOT NULL DEFAULT 0;

-- Readings stored before this migration.
UPDATE reading_rollups_hourly h SET mkt_term_sum = s.e
FROM (SELECT storage_unit_id, date_bin('1 hour', recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS b,
             coalesce(sum(exp(-10000 / greatest(temperature_c + 273.15, 15))), 0) AS e
      FROM temperature_readings GROUP BY 1, 2) s
WHERE h.storage_unit_id = s.storage_unit_id AND h.bucket_start = s.b;

UPDATE reading_rollups_daily d SET mkt_term_sum = s.e
FROM (SELECT r.storage_unit_id, z.tz, (r.recorded_at AT TIME ZONE z.tz)::date AS day,
             coalesce(sum(exp(-10000 / greatest(r.temperature_c + 273.15, 15))), 0) AS e
      FROM temperature_readings r
      JOIN customers c ON c.id = r.customer_id
      CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['UTC', c.timezone]::text[])) z(tz)
      GROUP BY 1, 2, 3) s
WHERE d.storage_unit_id = s.storage_unit_id AND d.time_zone = s.tz AND d.day = s.day;
