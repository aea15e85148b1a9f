import { unitKeySql } from './reading-keys.ts';
import { DAILY_COLUMNS } from './daily-rollups-repo.ts';
import { ROLLUP_AGGREGATES_OF_R } from './readings-repo.ts';
import type { Db, Sql } from './types.ts';

// A customer's zone change must not stall anyone else's writers, so its daily rollups are rebuilt
// in the background, one unit and a few local days per short transaction (`daily_rollup_rebuilds`
// holds the cursor, so a restart resumes where it stopped). Correctness meanwhile:
//  - The zone switch itself is one short transaction: `customers.timezone` and the pending row.
//    Writers that start afterwards fold new readings into the new zone's rows (they always fold into
//    'UTC' and the customer's current zone); analytics read that customer's days in its zone from the
//    hourly rollups while the row exists (dailyZoneReadySql), so answers stay exact throughout.
//  - A writer whose statement began before the switch may still fold readings into the old zone. No
//    chunk starts while such a statement can run: chunks wait until no other session holds a
//    snapshot older than the switch (pg_stat_activity.backend_xmin, as CREATE INDEX CONCURRENTLY
//    waits for older snapshots). From then on every reading is either visible to a chunk or folded
//    into the new zone by its writer.
//  - A chunk recomputes its unit-days from raw readings in REPEATABLE READ. A writer that commits a
//    reading the chunk cannot see, into a row the chunk rewrites, makes the chunk fail with a
//    serialization error (it is retried); a writer that comes after the chunk adds its readings to
//    the rebuilt rows, which did not count them. No lock beyond those rows is taken.

/** Local days of one unit recomputed per transaction: ≤ 10,080 readings at one a minute. */
export const REBUILD_CHUNK_DAYS = 7;

export interface PendingRebuild {
  customer_id: string;
  time_zone: string;
  switch_xid: number;
}

/**
 * SQL condition: the customer `customerIdSql` keeps complete daily rows for the zone `zoneSql` (it is
 * the customer's zone and no rebuild is pending). Readers use hourly rows for the others.
 */
export const dailyZoneReadySql = (customerIdSql: string, zoneSql: string): string =>
  `EXISTS (SELECT 1 FROM customers c WHERE c.id = ${customerIdSql} AND c.timezone = ${zoneSql}
     AND NOT EXISTS (SELECT 1 FROM daily_rollup_rebuilds p WHERE p.customer_id = c.id))`;

/**
 * Records that the customer's daily rows must be rebuilt for `zone` (call in the transaction that
 * sets customers.timezone). A rebuild already pending starts over for the new zone.
 */
export const requestZoneRebuild = async (tx: Sql, customerId: string, zone: string): Promise<void> => {
  await tx.query(
    `INSERT INTO daily_rollup_rebuilds (customer_id, time_zone, switch_xid) VALUES ($1, $2, txid_current())
     ON CONFLICT (customer_id) DO UPDATE SET time_zone = excluded.time_zone, switch_xid = excluded.switch_xid,
       unit_id = NULL, from_day = NULL, requested_at = now()`,
    [customerId, zone],
  );
};

export const listPendingRebuilds = (q: Sql): Promise<PendingRebuild[]> =>
  q.query<PendingRebuild>(
    'SELECT customer_id, time_zone, switch_xid FROM daily_rollup_rebuilds ORDER BY requested_at',
  );

/**
 * Whether another client session of this database still runs with a snapshot taken before the
 * transaction `switchXid` committed (it may fold readings into the old zone). Such statements end
 * within their own duration (autovacuum and other databases' sessions write no readings here).
 */
export const olderSnapshotsRunning = async (q: Sql, switchXid: number): Promise<boolean> => {
  const [row] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = 'client backend'
       AND backend_xmin IS NOT NULL
       AND age(backend_xmin) >= age((($1::bigint % 4294967296))::text::xid)`,
    [switchXid],
  );
  return row!.n > 0;
};

export type ChunkResult = 'progress' | 'done' | 'gone';

interface Cursor {
  time_zone: string;
  unit_id: string | null;
  from_day: string | null;
}

/**
 * Rebuilds the next chunk of a pending rebuild (one unit, ≤ REBUILD_CHUNK_DAYS local days) and moves
 * its cursor, in one REPEATABLE READ transaction. 'gone': no such rebuild (finished, restarted for
 * another switch, or being worked on by another process); 'done': this chunk finished it.
 * @throws the database's serialization failure (40001) when a writer raced the chunk: retry it.
 */
export const rebuildZoneChunk = (db: Db, rebuild: PendingRebuild): Promise<ChunkResult> =>
  db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const [cur] = await tx.query<Cursor>(
      `SELECT time_zone, unit_id, from_day::text AS from_day FROM daily_rollup_rebuilds
       WHERE customer_id = $1 AND switch_xid = $2 FOR UPDATE SKIP LOCKED`,
      [rebuild.customer_id, rebuild.switch_xid],
    );
    if (!cur) return 'gone';
    const unit = cur.unit_id ?? (await nextUnit(tx, rebuild.customer_id, null));
    if (!unit) return finish(tx, rebuild);
    const zone = cur.time_zone;
    // 'UTC' rows are maintained for every customer already: only other zones' rows go.
    const toDay = zone === 'UTC' ? null : await rebuildDays(tx, unit, zone, cur.from_day);
    if (zone !== 'UTC') await foldDeletedHours(tx, unit, zone, cur.from_day, toDay);
    if (toDay) {
      await tx.query('UPDATE daily_rollup_rebuilds SET unit_id = $2, from_day = $3 WHERE customer_id = $1', [
        rebuild.customer_id,
        unit,
        toDay,
      ]);
      return 'progress';
    }
    await tx.query(
      `DELETE FROM reading_rollups_daily WHERE storage_unit_id = $1::uuid AND time_zone NOT IN ('UTC', $2::text)`,
      [unit, zone],
    );
    const next = await nextUnit(tx, rebuild.customer_id, unit);
    if (!next) return finish(tx, rebuild);
    await tx.query('UPDATE daily_rollup_rebuilds SET unit_id = $2, from_day = NULL WHERE customer_id = $1', [
      rebuild.customer_id,
      next,
    ]);
    return 'progress';
  });

const finish = async (tx: Sql, rebuild: PendingRebuild): Promise<ChunkResult> => {
  await tx.query('DELETE FROM daily_rollup_rebuilds WHERE customer_id = $1', [rebuild.customer_id]);
  return 'done';
};

const nextUnit = async (tx: Sql, customerId: string, after: string | null): Promise<string | undefined> =>
  (
    await tx.query<{ id: string }>(
      `SELECT id FROM storage_units WHERE customer_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid)
       ORDER BY id LIMIT 1`,
      [customerId, after],
    )
  )[0]?.id;

/**
 * Recomputes the unit's rows of `zone` for local days [fromDay, fromDay + REBUILD_CHUNK_DAYS) from
 * raw readings (fromDay null: from its first reading, and rows before it go). Returns the next
 * chunk's first day, or null when no reading lies beyond (rows after the chunk go too).
 */
const rebuildDays = async (
  tx: Sql,
  unit: string,
  zone: string,
  fromDay: string | null,
): Promise<string | null> => {
  const [span] = await tx.query<{ to_day: string | null }>(
    `SELECT (coalesce($3::date, (min(recorded_at) AT TIME ZONE $2::text)::date) + $4::int)::text AS to_day
     FROM readings WHERE unit_key = ${unitKeySql('$1::uuid')}`,
    [unit, zone, fromDay, REBUILD_CHUNK_DAYS],
  );
  const toDay = span!.to_day;
  const range = `($3::date IS NULL OR day >= $3::date) AND ($4::date IS NULL OR day < $4::date)`;
  await tx.query(
    `DELETE FROM reading_rollups_daily WHERE storage_unit_id = $1::uuid AND time_zone = $2::text AND ${range}`,
    [unit, zone, fromDay, toDay],
  );
  if (!toDay) return null;
  // ON CONFLICT only meets rows a concurrent writer committed after this snapshot: under
  // REPEATABLE READ that is a serialization failure, and the chunk is retried.
  await tx.query(
    `INSERT INTO reading_rollups_daily AS d (${DAILY_COLUMNS})
     SELECT r.storage_unit_id, $2::text, (r.recorded_at AT TIME ZONE $2::text)::date, r.customer_id,
            r.facility_id, ${ROLLUP_AGGREGATES_OF_R}
     FROM temperature_readings r
     WHERE r.unit_key = ${unitKeySql('$1::uuid')} AND r.recorded_at < ($4::date::timestamp AT TIME ZONE $2::text)
       AND ($3::date IS NULL OR r.recorded_at >= ($3::date::timestamp AT TIME ZONE $2::text))
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 3
     ON CONFLICT (storage_unit_id, time_zone, day) DO UPDATE SET reading_count = excluded.reading_count,
       null_count = excluded.null_count, sum_c = excluded.sum_c, min_c = excluded.min_c,
       max_c = excluded.max_c, good_quality_count = excluded.good_quality_count,
       mkt_term_sum = excluded.mkt_term_sum`,
    [unit, zone, fromDay, toDay],
  );
  const [more] = await tx.query<{ more: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM readings WHERE unit_key = ${unitKeySql('$1::uuid')}
       AND recorded_at >= ($3::date::timestamp AT TIME ZONE $2::text)) AS more`,
    [unit, zone, toDay],
  );
  if (more!.more) return toDay;
  await tx.query(
    `DELETE FROM reading_rollups_daily WHERE storage_unit_id = $1::uuid AND time_zone = $2::text AND day >= $3::date`,
    [unit, zone, toDay],
  );
  return null;
};

/**
 * Adds to the unit's rows of `zone` for local days [fromDay, toDay) (null: open) the hours whose raw
 * readings retention deleted (before the customer's reading_retention.deleted_before, with no raw
 * reading left), from their hourly rollups: rebuildDays, reading raw readings, finds none there, and
 * the proof of those days must survive a zone change. Each hour counts on the local day it starts in
 * (exact for zones with whole-hour offsets).
 */
const foldDeletedHours = async (
  tx: Sql,
  unit: string,
  zone: string,
  fromDay: string | null,
  toDay: string | null,
): Promise<void> => {
  await tx.query(
    `INSERT INTO reading_rollups_daily AS d (${DAILY_COLUMNS})
     SELECT h.storage_unit_id, $2::text, (h.bucket_start AT TIME ZONE $2::text)::date, h.customer_id, h.facility_id,
            sum(h.reading_count)::int, sum(h.null_count)::int, sum(h.sum_c), min(h.min_c), max(h.max_c),
            sum(h.good_quality_count)::int, sum(h.mkt_term_sum)
     FROM reading_rollups_hourly h
     JOIN reading_retention rr ON rr.customer_id = h.customer_id AND h.bucket_start < rr.deleted_before
     WHERE h.storage_unit_id = $1::uuid
       AND ($3::date IS NULL OR (h.bucket_start AT TIME ZONE $2::text)::date >= $3::date)
       AND ($4::date IS NULL OR (h.bucket_start AT TIME ZONE $2::text)::date < $4::date)
       AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.unit_key = ${unitKeySql('h.storage_unit_id')}
                         AND r.recorded_at >= h.bucket_start AND r.recorded_at < h.bucket_start + interval '1 hour')
     GROUP BY 1, 2, 3, 4, 5
     ON CONFLICT (storage_unit_id, time_zone, day) DO UPDATE SET reading_count = d.reading_count + excluded.reading_count,
       null_count = d.null_count + excluded.null_count, sum_c = d.sum_c + excluded.sum_c,
       min_c = least(d.min_c, excluded.min_c), max_c = greatest(d.max_c, excluded.max_c),
       good_quality_count = d.good_quality_count + excluded.good_quality_count,
       mkt_term_sum = d.mkt_term_sum + excluded.mkt_term_sum`,
    [unit, zone, fromDay, toDay],
  );
};
