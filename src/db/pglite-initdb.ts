import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../lib/errors.ts';

const run = promisify(execFile);

/**
 * Creates the database in a child Node process and lets it exit. PGlite runs initdb in a second,
 * temporary PostgreSQL instance with a WebAssembly memory and compiled module of its own: done in
 * the process that then serves, it lifts a first start to about 1 GB RSS and leaves 100–160 MB of
 * freed-but-resident malloc arenas behind for the life of the process. A child returns all of it.
 */
const CHILD = `
const [pkg, dataDir, params] = process.argv.slice(1);
const { PGlite } = require(pkg);
(async () => {
  const pg = new PGlite({ dataDir, startParams: JSON.parse(params) });
  await pg.waitReady;
  await pg.close();
})().catch((e) => {
  process.stderr.write(String((e && e.message) || e));
  process.exit(1);
});
`;

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * Runs initdb for `dataDir` in a child process unless it already holds a database (PG_VERSION).
 * @throws AppError INTERNAL when the child fails (its message included).
 */
export const initPgliteDataDir = async (dataDir: string, startParams: readonly string[]): Promise<void> => {
  if (await exists(path.join(dataDir, 'PG_VERSION'))) return;
  const pkg = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  try {
    await run(process.execPath, ['-e', CHILD, pkg, dataDir, JSON.stringify(startParams)], {
      maxBuffer: 16 << 20,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new AppError(
      'INTERNAL',
      `Creating the embedded database in ${dataDir} failed: ${err.stderr || err.message}`,
    );
  }
};
