#!/usr/bin/env bash
# Makes the Debian PostgreSQL cluster "replica" (127.0.0.1:5433) a streaming standby of the local
# primary (cluster "main", 127.0.0.1:5432) and starts it: what DATABASE_READ_URL points at in the
# read-replica tests (test/integration/read-replica.test.ts) and how docs/operations.md sets one up.
#
# Idempotent: a standby that is already streaming is left alone, a stopped one is started, and one
# that cannot catch up (the primary recycled the WAL it needs while it was down) is made again from a
# fresh base backup. The primary is never restarted: if it lacks wal_level=replica or wal senders the
# script says so and fails; a missing pg_hba.conf line for replication from 127.0.0.1 is added and
# the primary reloaded. Exits non-zero with the reason on stderr when no standby could be made.
# Run as root or as the postgres OS user.
set -euo pipefail

PRIMARY_HOST=127.0.0.1
PRIMARY_PORT=${PG_PRIMARY_PORT:-5432}
REPLICA_PORT=${PG_REPLICA_PORT:-5433}
NAME=replica
# Written into the standby's conf.d: marks a cluster this script made (and may rebuild).
MARKER=90-tms-replica.conf

say() { echo "pg-replica: $*"; }
die() {
  echo "pg-replica: $*" >&2
  exit 1
}

command -v pg_lsclusters >/dev/null || die "pg_lsclusters not found (Debian's postgresql-common is needed)"
if [ "$(id -un)" = postgres ]; then
  as_pg() { "$@"; }
elif [ "$(id -u)" = 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  die "run as root or as the postgres user (it creates a cluster and reads the primary's pg_hba.conf)"
fi

VER=$(pg_lsclusters -h | awk '$2 == "main" { print $1; exit }')
[ -n "$VER" ] || die "no cluster 'main' in pg_lsclusters"
BIN=/usr/lib/postgresql/$VER/bin
CONF_DIR=/etc/postgresql/$VER/$NAME
DATA_DIR=/var/lib/postgresql/$VER/$NAME

primary() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -XAtqc "$1"; }
replica() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -XAtqc "$1" 2>/dev/null; }

primary 'SELECT 1' >/dev/null 2>&1 || die "the primary at $PRIMARY_HOST:$PRIMARY_PORT does not answer"

# A standby that streams from the primary: in recovery, its WAL receiver connected.
streaming() { [ "$(replica "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')")" = t ]; }
wait_streaming() {
  for _ in $(seq 1 "$1"); do
    streaming && return 0
    sleep 1
  done
  return 1
}
start_replica() { pg_ctlcluster --skip-systemctl-redirect "$VER" "$NAME" start >/dev/null 2>&1 || true; }
cluster_status() { pg_lsclusters -h | awk -v v="$VER" -v n="$NAME" '$1 == v && $2 == n { print $4 }'; }

# 1. Already there?
if [ -n "$(cluster_status)" ]; then
  [ -f "$CONF_DIR/conf.d/$MARKER" ] || die "a cluster '$NAME' exists that this script did not make; not touching it"
  [ "$(cluster_status)" = online ] || start_replica
  if wait_streaming 20; then
    say "standby $VER/$NAME on 127.0.0.1:$REPLICA_PORT is streaming from $PRIMARY_HOST:$PRIMARY_PORT"
    exit 0
  fi
  say "standby $VER/$NAME does not stream (log: /var/log/postgresql/postgresql-$VER-$NAME.log); making it again"
  pg_dropcluster --stop "$VER" "$NAME"
fi

# 2. The primary must be able to send WAL. Changing these needs a restart, which is not ours to do.
wal_level=$(primary 'SHOW wal_level')
senders=$(primary 'SHOW max_wal_senders')
[ "$wal_level" != minimal ] || die "the primary has wal_level=minimal: set wal_level=replica and restart it"
[ "$senders" -gt 0 ] || die "the primary has max_wal_senders=0: raise it and restart it"
if (exec 3<>"/dev/tcp/127.0.0.1/$REPLICA_PORT") 2>/dev/null; then
  die "port $REPLICA_PORT is taken by something else"
fi

# 3. Replication connections from 127.0.0.1 ("all" in pg_hba.conf does not cover them).
can_replicate() { psql "host=$PRIMARY_HOST port=$PRIMARY_PORT user=postgres replication=true" -XAtqc IDENTIFY_SYSTEM >/dev/null 2>&1; }
if ! can_replicate; then
  hba=$(primary 'SHOW hba_file')
  say "allowing replication connections from 127.0.0.1 in $hba and reloading the primary"
  printf '# Streaming standby on this machine (scripts/pg-replica.sh)\nhost    replication     all             127.0.0.1/32            trust\n' >>"$hba"
  primary 'SELECT pg_reload_conf()' >/dev/null
  for _ in 1 2 3 4 5; do
    can_replicate && break
    sleep 1
  done
  can_replicate || die "replication connections to the primary are still refused (see $hba)"
fi

# 4. A new cluster whose data directory is a base backup of the primary (-R: standby.signal and
# primary_conninfo), with the primary's client authentication.
say "creating standby $VER/$NAME on 127.0.0.1:$REPLICA_PORT (base backup of the primary)"
pg_createcluster "$VER" "$NAME" -p "$REPLICA_PORT" >/dev/null
cat >"$CONF_DIR/conf.d/$MARKER" <<EOF
# Made by scripts/pg-replica.sh: a hot standby of $PRIMARY_HOST:$PRIMARY_PORT.
listen_addresses = '127.0.0.1'
port = $REPLICA_PORT
hot_standby = on
EOF
cp "$(primary 'SHOW hba_file')" "$CONF_DIR/pg_hba.conf"
chown postgres:postgres "$CONF_DIR/pg_hba.conf" "$CONF_DIR/conf.d/$MARKER"
as_pg find "$DATA_DIR" -mindepth 1 -delete
as_pg "$BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$DATA_DIR" \
  -R -X stream -c fast -d "application_name=tms_replica" ||
  die "pg_basebackup failed"
start_replica
wait_streaming 60 || die "the standby did not start streaming (log: /var/log/postgresql/postgresql-$VER-$NAME.log)"
say "standby $VER/$NAME on 127.0.0.1:$REPLICA_PORT is streaming from $PRIMARY_HOST:$PRIMARY_PORT"
