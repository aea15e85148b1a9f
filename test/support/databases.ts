import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Backend, Db } from '../../src/db/types.ts';

export interface TestDatabase {
  db: Db;
  /** postgres:// URL of this database (PostgreSQL only), for code under test that connects itself. */
  url?: string;
  drop(): Promise<void>;
}

/** A fresh, migrated embedded database, started from the template dump made in global setup. */
export const createPgliteDatabase = async (): Promise<TestDatabase> => {
  const bytes = await readFile(inject('pgliteTemplate'));
  const db = await openPglite({ loadDataDir: new Blob([bytes]) });
  return { db, drop: () => db.close() };
};

/**
 * A fresh PostgreSQL database of its own (created, migrated, and dropped afterwards); with
 * `migrate: false`, empty (for tests of the migrations themselves).
 */
export const createPostgresDatabase = async (opts: { migrate?: boolean } = {}): Promise<TestDatabase> => {
  const adminUrl = inject('postgresAdminUrl');
  if (!adminUrl) throw new Error('PostgreSQL is not available for this run');
  const name = `tms_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres({ url: url.toString(), max: 4 });
  if (opts.migrate !== false) await migrate(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
};

export interface BackendCase {
  backend: Backend;
  create: () => Promise<TestDatabase>;
}

/** Every backend this run can use: PGlite always; PostgreSQL when reachable (required under CI=true). */
export const backendCases = (): BackendCase[] => {
  const cases: BackendCase[] = [{ backend: 'pglite', create: createPgliteDatabase }];
  if (inject('postgresAdminUrl')) cases.push({ backend: 'postgres', create: createPostgresDatabase });
  return cases;
};

/**
 * Declares the same suite once per backend ("storage [pglite] …", "storage [postgres] …").
 * Where PostgreSQL is unreachable on a laptop, global setup printed why that half is absent.
 */
export const describeEachBackend = (title: string, body: (c: BackendCase) => void): void => {
  for (const c of backendCases()) describe(`${title} [${c.backend}]`, () => body(c));
};
