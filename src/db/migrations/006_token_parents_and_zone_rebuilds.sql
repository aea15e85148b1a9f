-- A token created by another token remembers its parent, so revoking the parent revokes its
-- descendants. Admin-issued and CLI-issued tokens have none.
ALTER TABLE api_tokens ADD COLUMN parent_token_id uuid REFERENCES api_tokens (id) ON DELETE SET NULL;
CREATE INDEX api_tokens_parent_idx ON api_tokens (parent_token_id) WHERE parent_token_id IS NOT NULL;

-- When a customer's time zone last changed: the change is rate-limited per customer.
ALTER TABLE customers ADD COLUMN timezone_changed_at timestamptz;

-- A pending rebuild of a customer's daily rollups for its (new) zone, resumed at start until done
-- (src/fleet/zone-rebuild.ts). While a row exists, analytics read that customer's days in its zone
-- from the hourly rollups instead of the daily ones. Units are rebuilt in id order, each in chunks of
-- local days; (unit_id, from_day) is where the next chunk starts.
CREATE TABLE daily_rollup_rebuilds (
  customer_id  uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  time_zone    varchar(64) NOT NULL,
  -- txid_current() of the transaction that switched the zone: chunks wait until no statement that
  -- could still have read the old zone (a snapshot older than it) is running.
  switch_xid   bigint NOT NULL,
  unit_id      uuid,
  from_day     date,
  requested_at timestamptz NOT NULL DEFAULT now()
);
