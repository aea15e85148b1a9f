-- Appending to the audit chain in one round trip (issue 12, "auditing costs < 5 %"): the function takes
-- the chain's transaction-scoped advisory lock, reads the head, stamps the entry with the database clock
-- and stores it with its SHA-256, so a change and its entry can even share one statement.
--
-- The hash (also computed by src/domain/audit-chain.ts, which verifies the chain) is SHA-256 of the
-- UTF-8 text  prev_hash \n seq \n at \n entity \n body  where `at` is ISO-8601 UTC with milliseconds,
-- `entity` is '-' for no entity or '=' followed by the entity id, and `body` is the canonical JSON of
-- the entry's other fields, written by the caller. Only the parts known after the lock (seq, at,
-- prev_hash) and the entity id (a reading's id comes from its INSERT) are added here.
--
-- VOLATILE: the head is read with a snapshot taken after the lock, so the previous writer's entry
-- (committed before the lock was granted) is always seen.
CREATE FUNCTION audit_append(
  p_body text, p_id uuid, p_actor_kind text, p_actor_token_id uuid, p_actor_name text, p_customer_id uuid,
  p_entity_type text, p_entity_id text, p_action text, p_changes jsonb, p_reason text
) RETURNS audit_log LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  head record;
  v_seq bigint;
  v_at timestamptz;
  v_prev text;
  row audit_log;
BEGIN
  PERFORM pg_advisory_xact_lock(7204653012);
  SELECT a.seq, a.hash INTO head FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
  v_seq := coalesce(head.seq, 0) + 1;
  v_prev := coalesce(head.hash, repeat('0', 64));
  v_at := date_trunc('milliseconds', clock_timestamp());
  INSERT INTO audit_log (seq, id, at, actor_kind, actor_token_id, actor_name, customer_id, entity_type, entity_id,
    action, changes, reason, prev_hash, hash)
  VALUES (v_seq, p_id, v_at, p_actor_kind, p_actor_token_id, p_actor_name, p_customer_id, p_entity_type, p_entity_id,
    p_action, p_changes, p_reason, v_prev,
    encode(sha256(convert_to(
      v_prev || E'\n' || v_seq::text || E'\n' || to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        || E'\n' || CASE WHEN p_entity_id IS NULL THEN '-' ELSE '=' || p_entity_id END || E'\n' || p_body,
      'UTF8')), 'hex'))
  RETURNING * INTO row;
  RETURN row;
END $$;
