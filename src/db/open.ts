import path from 'node:path';
import type { Config } from '../config/config.ts';
import { acquireDataDirLock, ensureDataDir } from '../lib/data-dir-lock.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Db } from './types.ts';

export interface OpenDbOptions {
  /** Who opens it, recorded in the embedded lock file (`up`, `db status`, …). */
  holder: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  poolSize?: number;
}

const openEmbedded = async (dataDir: string, holder: string): Promise<Db> => {
  await ensureDataDir(dataDir);
  const release = await acquireDataDirLock(dataDir, holder);
  try {
    const inner = await openPglite({ dataDir: path.join(dataDir, 'pgdata') });
    return {
      ...inner,
      close: async () => {
        await inner.close();
        await release();
      },
    };
  } catch (e) {
    await release();
    throw e;
  }
};

/**
 * Opens the configured store: PostgreSQL when DATABASE_URL is set, else embedded PGlite in the
 * data directory (locked against a second owner), then applies pending migrations.
 * @throws AppError CONFIG / CONFLICT / UPSTREAM_UNAVAILABLE with a one-line message.
 */
export const openDb = async (config: Config, opts: OpenDbOptions): Promise<Db> => {
  const db = config.databaseUrl
    ? await openPostgres({
        url: config.databaseUrl,
        max: opts.poolSize,
        applicationName: `tms ${opts.holder}`,
      })
    : await openEmbedded(config.dataDir, opts.holder);
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
  }
  return db;
};
