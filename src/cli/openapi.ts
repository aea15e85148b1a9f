import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Db } from '../db/types.ts';
import { buildApp } from '../http/app.ts';
import { systemClock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';

// Building the document needs the routes, not a database: any query would be a bug here.
const noDb: Db = {
  backend: 'pglite',
  location: 'none',
  query: () => Promise.reject(new Error('no database in tms openapi')),
  exec: () => Promise.reject(new Error('no database in tms openapi')),
  transaction: () => Promise.reject(new Error('no database in tms openapi')),
  close: () => Promise.resolve(),
};

/** The OpenAPI 3 document of the REST API, as served at /openapi.json. */
const openApiDocument = async (): Promise<unknown> => {
  const app = await buildApp({ db: noDb, log: createLogger('silent', false), clock: systemClock });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
  }
};

export const registerOpenApiCommand = (program: Command): void => {
  program
    .command('openapi')
    .description('Write the REST API description (OpenAPI 3 JSON) for offline use; no database needed')
    .option('--out <file>', 'file to write (default: print to stdout)')
    .addHelpText('after', '\nExample:\n  tms openapi --out openapi.json')
    .action(async (opts: { out?: string }) => {
      const text = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
      if (!opts.out) return void process.stdout.write(text);
      try {
        await writeFile(opts.out, text);
      } catch (e) {
        throw new AppError(
          'CONFIG',
          `Cannot write ${opts.out} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
        );
      }
      console.log(`Wrote the OpenAPI document to ${opts.out}.`);
    });
};
