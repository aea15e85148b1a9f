import { param } from './readings-query-repo.ts';
import type { Sql } from './types.ts';

export interface ConfigRow {
  key: string;
  value: unknown;
  description: string | null;
  updated_at: Date;
}

export const listConfig = (q: Sql): Promise<ConfigRow[]> =>
  q.query<ConfigRow>('SELECT key, value, description, updated_at FROM system_config ORDER BY key');

export const getConfigValue = async (q: Sql, key: string): Promise<unknown> =>
  (await q.query<{ value: unknown }>('SELECT value FROM system_config WHERE key = $1', [key]))[0]?.value;

/** A setting's row, locked until the transaction ends (undefined: not set yet). */
export const lockConfigRow = async (tx: Sql, key: string): Promise<ConfigRow | undefined> =>
  (
    await tx.query<ConfigRow>(
      'SELECT key, value, description, updated_at FROM system_config WHERE key = $1 FOR UPDATE',
      [key],
    )
  )[0];

/** Inserts or replaces a setting; a missing description keeps the stored one. */
export const upsertConfig = async (
  q: Sql,
  key: string,
  value: unknown,
  description: string | undefined,
): Promise<ConfigRow> =>
  (
    await q.query<ConfigRow>(
      `INSERT INTO system_config (key, value, description, updated_at) VALUES ($1, $2::jsonb, $3, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
         description = COALESCE(EXCLUDED.description, system_config.description), updated_at = now()
       RETURNING key, value, description, updated_at`,
      [key, JSON.stringify(value), description ?? null],
    )
  )[0]!;

export interface IngestionLogFilter {
  customerId?: string;
  status?: string;
  start?: Date;
  end?: Date;
}

/** Ingestion runs for the admin view (read-only; the ingestion role writes them), newest first. */
export const listIngestionLogs = async (
  q: Sql,
  f: IngestionLogFilter,
  limit: number,
  offset: number,
): Promise<{ rows: Record<string, unknown>[]; total: number }> => {
  const params: unknown[] = [];
  const c: string[] = [];
  if (f.customerId) c.push(`l.customer_id = ${param(params, f.customerId)}::uuid`);
  if (f.status) c.push(`l.status = ${param(params, f.status)}`);
  if (f.start) c.push(`l.start_time >= ${param(params, f.start)}`);
  if (f.end) c.push(`l.start_time <= ${param(params, f.end)}`);
  const w = c.length ? `WHERE ${c.join(' AND ')}` : '';
  const [{ n }] = (await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ingestion_logs l ${w}`,
    params,
  )) as [{ n: number }];
  const rows = await q.query<Record<string, unknown>>(
    `SELECT l.*, c.customer_code, c.name AS customer_name FROM ingestion_logs l LEFT JOIN customers c ON c.id = l.customer_id
     ${w} ORDER BY l.start_time DESC, l.id LIMIT ${param(params, limit)} OFFSET ${param(params, offset)}`,
    params,
  );
  return { rows, total: n };
};
