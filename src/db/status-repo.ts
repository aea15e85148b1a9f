import type { Db } from './types.ts';

const STATUS_TABLES = [
  'customers',
  'facilities',
  'storage_units',
  'api_tokens',
  'temperature_readings',
  'reading_rollups_hourly',
  'ingestion_logs',
  'system_config',
] as const;

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
  counts: Record<string, number>;
  recentReadings: RecentReading[];
  recentLogs: RecentLog[];
}

/** What `tms db status` shows: counts per table, newest readings and ingestion runs, size. */
export const readDbStatus = async (db: Db, recent = 5): Promise<DbStatus> => {
  const counts: Record<string, number> = {};
  for (const t of STATUS_TABLES) {
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
    counts[t] = row!.n;
  }
  const [meta] = await db.query<{ size: number; version: string }>(
    `SELECT pg_database_size(current_database()) AS size, current_setting('server_version') AS version`,
  );
  // Ids grow in insertion order: the most recently ingested first, through the primary key.
  const recentReadings = await db.query<RecentReading>(
    `SELECT c.customer_code, f.facility_code, u.unit_code, r.temperature_c, r.source_value, r.source_unit,
            r.equipment_status, r.recorded_at, r.created_at
     FROM temperature_readings r
     JOIN storage_units u ON u.id = r.storage_unit_id
     JOIN facilities f ON f.id = u.facility_id
     JOIN customers c ON c.id = u.customer_id
     ORDER BY r.id DESC LIMIT $1`,
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
    recentReadings,
    recentLogs,
  };
};
