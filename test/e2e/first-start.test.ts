import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { randomPortBase, runTms, startTms, waitForProcessHttp } from '../support/cli.ts';

const modeOf = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);

/**
 * Starts `tms up --roles api` with a data directory that does not exist yet, waits until it is healthy,
 * and checks what the first start left there: a 0700 directory with a 0600 tokens.json whose admin
 * token works against the API. Returns the tokens file, after stopping the process.
 */
const firstStartIn = async (dataDir: string, env: Record<string, string>) => {
  const port = randomPortBase();
  const up = startTms(['up', '--roles', 'api'], { ...env, TMS_DATA_DIR: dataDir, PORT: String(port) });
  try {
    await waitForProcessHttp(up, `http://127.0.0.1:${port}/health`, 150_000);
    expect(await modeOf(dataDir)).toBe('700');
    const file = path.join(dataDir, 'tokens.json');
    expect(await modeOf(file)).toBe('600');
    const tokens = JSON.parse(await readFile(file, 'utf8')) as { admin: { token: string } };
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/admin/config`, {
      headers: { authorization: `Bearer ${tokens.admin.token}` },
    });
    expect(res.status).toBe(200);
    return { up, tokens };
  } catch (e) {
    await up.stop();
    throw new Error(`${(e as Error).message}\n--- tms up output ---\n${up.output()}`, { cause: e });
  }
};

describe('first start from a data directory that does not exist yet', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'tms-first-start-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // A fresh embedded store runs initdb: over a minute on a busy 2-core machine.
  const FIRST_START_MS = 240_000;

  it(
    'on PGlite: creates the directory 0700, tokens.json 0600 with a working admin token, the socket 0600',
    { timeout: FIRST_START_MS },
    async () => {
      const dataDir = path.join(root, 'pglite', 'data');
      const { up } = await firstStartIn(dataDir, {});
      try {
        expect(await modeOf(path.join(dataDir, 'tms.sock'))).toBe('600');
      } finally {
        await up.stop();
      }
    },
  );

  describe.skipIf(!inject('postgresAdminUrl'))('on PostgreSQL (a fresh database each)', () => {
    let t: TestDatabase;
    beforeEach(async () => {
      t = await createPostgresDatabase();
    });
    afterEach(async () => t?.drop());

    it(
      'seeds the fleet, creates the directory 0700 and tokens.json 0600 with a working admin token',
      { timeout: FIRST_START_MS },
      async () => {
        const { up } = await firstStartIn(path.join(root, 'postgres-clean', 'data'), {
          DATABASE_URL: t.url!,
        });
        await up.stop();
        const [row] = await t.db.query<{ customers: number; tokens: number }>(
          'SELECT (SELECT count(*)::int FROM customers) AS customers, (SELECT count(*)::int FROM api_tokens) AS tokens',
        );
        expect(row).toEqual({ customers: 10, tokens: 11 });
      },
    );

    it(
      'keeps no token when tokens.json cannot be written, and the next start writes working ones',
      { timeout: FIRST_START_MS },
      async () => {
        // A data directory that cannot be created (its parent is a file): the start fails...
        const blocker = path.join(root, 'not-a-dir');
        await writeFile(blocker, '');
        const failed = await runTms(['up', '--roles', 'api'], {
          DATABASE_URL: t.url!,
          TMS_DATA_DIR: path.join(blocker, 'data'),
          PORT: String(randomPortBase()),
        });
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toMatch(/not-a-dir/);
        const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_tokens');
        expect(row!.n).toBe(0);
        // ...and the next start, in a directory that does not exist yet, mints and writes them.
        const { up, tokens } = await firstStartIn(path.join(root, 'postgres', 'data'), {
          DATABASE_URL: t.url!,
        });
        await up.stop();
        const [admin] = await t.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM api_tokens WHERE customer_id IS NULL',
        );
        expect(admin!.n).toBe(1);
        expect(tokens.admin.token).toMatch(/^tms_/);
      },
    );
  });
});
