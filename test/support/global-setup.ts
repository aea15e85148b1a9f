import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/migrate.ts';
import { PGlite } from '@electric-sql/pglite';
import { wrapPglite } from '../../src/db/pglite.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresAdminUrl: string | null;
  }
}

export const DEFAULT_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const postgresReachable = async (url: string): Promise<string | null> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
};

/**
 * Once per test run: a migrated PGlite data directory dumped to a file (each test database starts
 * from it in ~1 s instead of running initdb), and a check that PostgreSQL is there.
 */
export default async function setup(project: TestProject): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tms-test-'));
  const raw = new PGlite({});
  await migrate(wrapPglite(raw, 'template'));
  const dump = await raw.dumpDataDir('none');
  await raw.close();
  const file = path.join(dir, 'pglite-template.tar');
  await writeFile(file, new Uint8Array(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);

  const adminUrl = process.env.TMS_TEST_PG_URL ?? DEFAULT_PG_ADMIN_URL;
  const problem = await postgresReachable(adminUrl);
  if (problem) {
    if (process.env.CI === 'true')
      throw new Error(`PostgreSQL at ${adminUrl} is required under CI=true but unreachable (${problem})`);
    console.warn(
      `\n[tms tests] PostgreSQL at ${adminUrl} unreachable (${problem}): the PostgreSQL half of the storage suites is SKIPPED.\n`,
    );
    project.provide('postgresAdminUrl', null);
  } else {
    project.provide('postgresAdminUrl', adminUrl);
  }
}
