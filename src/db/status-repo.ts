import { EXACT_MAX_PAGES, planRowCounts, type CountPlan, type LeafStats } from './row-estimate.ts';
import type { Db, Sql } from './types.ts';

/** Tables that grow with readings, alarms or time: counted exactly while small, else estimated (row-estimate.ts). */
const GROWING_TABLES = [
  'readings',
  'reading_rollups_hourly',
  'reading_rollups_daily',
  'ingestion_logs',
  'alarms',
  'alarm_events',
  'audit_log',
];
/** Shown under the name of the relation queries use (the partitioned table `readings` behind the view). */
const DISPLAY_NAMES: Record<string, string> = { readings: 'temperature_readings' };
/** In display order; the others hold a handful of rows per customer, unit or token and are always counted exactly. */
const STATUS_TABLES = [
  'customers',
  'facilities',
  'storage_units',
  'api_tokens',
  ...GROWING_TABLES,
  'system_config',
];

export interface TableCount {
  table: string;
  rows: number;
  /** True when `rows` comes from the planner's statistics or a page sample, not from count(*). */
  estimated: boolean;
}

export interface RecentReading {
  customer_code: string;
  facility_code: string;
  unit_code: string;
  temperature_c: number | null;
  source_value: number | null;
  source_unit: string;
  equipment_status: string;
  recorded_at: Date;
  created_at: Date;
}

export interface RecentLog {
  customer_code: string | null;
  ingestion_type: string;
  status: string;
  records_processed: number;
  records_succeeded: number;
  records_duplicate: number;
  records_failed: number;
  start_time: Date;
  duration_ms: number | null;
  error_message: string | null;
}

export interface DbStatus {
  backend: string;
  location: string;
  serverVersion: string;
  sizeBytes: number;
  /** Rows per table, exact or estimated (see `tables`). */
  counts: Record<string, number>;
  tables: TableCount[];
  recentReadings: RecentReading[];
  recentLogs: RecentLog[];
}

/** Statistics of each table's leaves with storage: itself, or its partitions / inheritance children. */
const readLeafStats = async (db: Sql, tables: readonly string[]): Promise<Map<string, LeafStats[]>> => {
  const rows = await db.query<LeafStats & { root: string }>(
    `WITH RECURSIVE tree AS (
       SELECT c.relname::text AS root, c.oid FROM pg_class c
       WHERE c.oid = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) t)
       UNION ALL
       SELECT tree.root, i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.oid
     )
     SELECT tree.root, c.oid::regclass::text AS name, c.reltuples::float8 AS reltuples, c.relpages::int AS relpages,
            (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 AS pages
     FROM tree JOIN pg_class c ON c.oid = tree.oid
     WHERE c.relkind IN ('r', 'm')`,
    [tables],
  );
  const byTable = new Map<string, LeafStats[]>();
  for (const { root, ...leaf } of rows) byTable.set(root, [...(byTable.get(root) ?? []), leaf]);
  return byTable;
};

const countExactly = async (db: Sql, table: string): Promise<number> => {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${table}`);
  return row!.n;
};

/** A table's rows by its plan: count(*), or statistics plus page-range samples (TID range scans). */
const countByPlan = async (db: Sql, table: string, plan: CountPlan): Promise<TableCount> => {
  if (plan.kind === 'exact') return { table, rows: await countExactly(db, table), estimated: false };
  let rows = plan.fromStatistics;
  for (const s of plan.sample) {
    // The leaf name is pg_class's own (regclass text, quoted where needed); page numbers are integers.
    const parts = s.ranges?.map(
      (r) =>
        `SELECT count(*) AS n FROM ${s.name} WHERE ctid >= '(${r.from},0)'::tid AND ctid < '(${r.to},0)'::tid`,
    ) ?? [`SELECT count(*) AS n FROM ${s.name}`];
    const [row] = await db.query<{ n: number }>(
      `SELECT sum(n)::float8 AS n FROM (${parts.join(' UNION ALL ')}) s`,
    );
    rows += (row!.n * s.pages) / s.sampledPages;
  }
  return { table, rows: Math.round(rows), estimated: true };
};

/**
 * Rows of each table (partitioned or inherited ones summed over their children) in bounded time:
 * exact, smallest first, while those counted exactly stay within `exactMaxPages` on disk together;
 * the others estimated from reltuples scaled to the pages now, plus a page-range sample of leaves
 * never analyzed (PGlite has no autovacuum: there that is the usual case). See row-estimate.ts.
 */
export const countTableRows = async (
  db: Sql,
  tables: readonly string[],
  exactMaxPages = EXACT_MAX_PAGES,
): Promise<TableCount[]> => {
  const leafStats = await readLeafStats(db, tables);
  const plans = planRowCounts(new Map(tables.map((t) => [t, leafStats.get(t) ?? []])), exactMaxPages);
  const counts: TableCount[] = [];
  for (const t of tables) counts.push(await countByPlan(db, t, plans.get(t)!));
  return counts;
};

/**
 * What `tms db status` shows: rows per table (exact for small tables, estimated for large growing
 * ones, in well under a second at any size), newest readings and ingestion runs, size.
 * `exactMaxPages` lowers the size up to which growing tables are counted exactly (for tests).
 */
export const readDbStatus = async (
  db: Db,
  recent = 5,
  exactMaxPages = EXACT_MAX_PAGES,
): Promise<DbStatus> => {
  const tables = await db.transaction(async (tx) => {
    // Serial scans: for the ≤ 64 MB counted exactly, starting parallel workers costs more than it
    // saves, and several times more on a busy machine (bench:db-status: 30–50 ms vs 130–290 ms).
    await tx.query(`SELECT set_config('max_parallel_workers_per_gather', '0', true)`);
    const growing = new Map(
      (await countTableRows(tx, GROWING_TABLES, exactMaxPages)).map((c) => [c.table, c]),
    );
    const all: TableCount[] = [];
    for (const t of STATUS_TABLES)
      all.push(growing.get(t) ?? { table: t, rows: await countExactly(tx, t), estimated: false });
    return all;
  });
  for (const t of tables) t.table = DISPLAY_NAMES[t.table] ?? t.table;
  const counts = Object.fromEntries(tables.map((t) => [t.table, t.rows]));
  const [meta] = await db.query<{ size: number; version: string }>(
    `SELECT pg_database_size(current_database()) AS size, current_setting('server_version') AS version`,
  );
  // Batch keys grow in insertion order: the readings of the newest batches that stored any, found
  // through the BRIN index of batch_key (migration 019), most recently ingested first.
  const recentReadings = await db.query<RecentReading>(
    `SELECT c.customer_code, f.facility_code, u.unit_code, r.temperature_c, r.source_value, r.source_unit,
            r.equipment_status, r.recorded_at, r.created_at
     FROM temperature_readings r
     JOIN storage_units u ON u.id = r.storage_unit_id
     JOIN facilities f ON f.id = u.facility_id
     JOIN customers c ON c.id = u.customer_id
     WHERE r.batch_key >= (SELECT min(batch_key) FROM (SELECT batch_key FROM ingestion_batches WHERE stored > 0
                                                       ORDER BY batch_key DESC LIMIT $1) b)
     ORDER BY r.batch_key DESC, r.recorded_at DESC LIMIT $1`,
    [recent],
  );
  const recentLogs = await db.query<RecentLog>(
    `SELECT c.customer_code, l.ingestion_type, l.status, l.records_processed, l.records_succeeded,
            l.records_duplicate, l.records_failed, l.start_time, l.duration_ms, l.error_message
     FROM ingestion_logs l LEFT JOIN customers c ON c.id = l.customer_id
     ORDER BY l.start_time DESC LIMIT $1`,
    [recent],
  );
  return {
    backend: db.backend,
    location: db.location,
    serverVersion: meta!.version,
    sizeBytes: Number(meta!.size),
    counts,
    tables,
    recentReadings,
    recentLogs,
  };
};
