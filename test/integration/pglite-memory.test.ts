import { readFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initPgliteDataDir } from '../../src/db/pglite-initdb.ts';
import { EMBEDDED_MEMORY_SETTINGS, toStartParams } from '../../src/db/pglite-memory.ts';
import { openPglite } from '../../src/db/pglite.ts';
import type { Db } from '../../src/db/types.ts';

/** PostgreSQL's own rendering of a memory setting (`32MB`, `4096kB`) in kilobytes. */
const kb = (value: string): number => {
  const m = /^(\d+)\s*(kB|MB|GB)$/.exec(value);
  if (!m) throw new Error(`not a memory size: ${value}`);
  return Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[m[2] as 'kB' | 'MB' | 'GB'];
};

const show = async (db: Db, name: string): Promise<string> => {
  const [row] = await db.query<Record<string, string>>(`SHOW ${name}`);
  return row![name]!;
};

const expectEmbeddedSettings = async (db: Db) => {
  for (const [name, value] of Object.entries(EMBEDDED_MEMORY_SETTINGS)) {
    expect({ name, kb: kb(await show(db, name)) }).toEqual({ name, kb: kb(value) });
  }
  // Everything PGlite writes at start (buffers, lock tables, WAL buffers): the resident floor of the
  // embedded store. Stock settings give 145 MB here.
  expect(kb(await show(db, 'shared_memory_size'))).toBeLessThanOrEqual(48 * 1024);
};

describe('embedded store memory settings', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'tms-pglite-memory-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a store created in a fresh directory runs with them, and so does the same store reopened', async () => {
    const dir = path.join(root, 'fresh');
    const db = await openPglite({ dataDir: dir });
    try {
      await expectEmbeddedSettings(db);
      await db.exec('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    } finally {
      await db.close();
    }
    const again = await openPglite({ dataDir: dir });
    try {
      await expectEmbeddedSettings(again);
      expect(await again.query('SELECT n FROM kept')).toEqual([{ n: 42 }]);
    } finally {
      await again.close();
    }
  });

  it('a store loaded from a dump (the tests’ template) runs with them too', async () => {
    const db = await openPglite({ loadDataDir: new Blob([await readFile(inject('pgliteTemplate'))]) });
    try {
      await expectEmbeddedSettings(db);
    } finally {
      await db.close();
    }
  });

  it('creates the database in a child process: the directory holds a cluster before this process opens it', async () => {
    const dir = path.join(root, 'child');
    await initPgliteDataDir(dir, [...PGlite.defaultStartParams, ...toStartParams(EMBEDDED_MEMORY_SETTINGS)]);
    expect((await stat(path.join(dir, 'PG_VERSION'))).isFile()).toBe(true);
    const before = (await stat(path.join(dir, 'PG_VERSION'))).mtimeMs;
    // A second call finds the cluster and leaves it alone.
    await initPgliteDataDir(dir, []);
    expect((await stat(path.join(dir, 'PG_VERSION'))).mtimeMs).toBe(before);
  });

  it('says why when the database cannot be created', async () => {
    const file = path.join(root, 'a-file');
    await writeFile(file, 'not a directory');
    await expect(initPgliteDataDir(path.join(file, 'pgdata'), [])).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining(
        `Creating the embedded database in ${path.join(file, 'pgdata')} failed:`,
      ),
    });
  });
});
