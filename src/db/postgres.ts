import pg from 'pg';
import { AppError } from '../lib/errors.ts';
import { INT8_OID, NUMERIC_OID, toNumber } from './type-parsers.ts';
import type { Db, Sql } from './types.ts';

pg.types.setTypeParser(INT8_OID, toNumber);
pg.types.setTypeParser(NUMERIC_OID, toNumber);

/** "host:port/database" without credentials, for messages and `tms db status`. */
const describeUrl = (url: string): string => {
  const u = new URL(url);
  return `${u.hostname || u.searchParams.get('host') || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
};

const connectError = (url: string, e: unknown): AppError => {
  const err = e as NodeJS.ErrnoException & { code?: string };
  const where = describeUrl(url);
  const reason =
    err.code === 'ECONNREFUSED'
      ? 'connection refused'
      : err.code === 'ENOTFOUND'
        ? 'host not found'
        : err.code === '3D000'
          ? 'database does not exist'
          : err.code === '28P01' || err.code === '28000'
            ? 'authentication failed'
            : (err.code ?? err.message);
  return new AppError('UPSTREAM_UNAVAILABLE', `Cannot connect to PostgreSQL at ${where}: ${reason}`);
};

export interface PostgresOptions {
  url: string;
  /** Pool size; the API role wants several, a CLI command one or two. */
  max?: number;
  applicationName?: string;
  /**
   * The server cancels any statement of this pool running longer (SQLSTATE 57014). Set per pool, so
   * the API's budget never applies to the ingestion writer or migrations, which use their own pool.
   */
  statementTimeoutMs?: number;
  /**
   * Skip the connection check: the pool connects on first use (a read replica that is down when
   * the API starts must not stop it: its reads go to the primary until it answers).
   */
  lazy?: boolean;
}

/**
 * Connects a pool to a PostgreSQL server and checks that it answers (unless `lazy`).
 * @throws AppError UPSTREAM_UNAVAILABLE when the server cannot be reached.
 */
export const openPostgres = async (opts: PostgresOptions): Promise<Db> => {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5_000,
    application_name: opts.applicationName ?? 'tms',
    // Sent in the startup message: no extra round trip per connection or statement.
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    if (!opts.lazy) await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw connectError(opts.url, e);
  }
  const run = async <R>(
    q: pg.Pool | pg.PoolClient,
    text: string,
    params?: readonly unknown[],
    name?: string,
  ): Promise<R[]> =>
    (await q.query({ text, values: params as unknown[] | undefined, ...(name ? { name } : {}) })).rows as R[];
  return {
    backend: 'postgres',
    location: describeUrl(opts.url),
    query: (text, params, opts) => run(pool, text, params, opts?.name),
    exec: async (text) => void (await pool.query(text)),
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Sql = {
          query: (text, params, opts) => run(client, text, params, opts?.name),
          exec: async (text) => void (await client.query(text)),
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
};
