import path from 'node:path';
import type { Command } from 'commander';
import { bootstrapTokens, type BootstrapTokens } from '../auth/tokens.ts';
import { loadConfig, parseConfig, parseRoles, type Config, type Role } from '../config/config.ts';
import { openDb } from '../db/open.ts';
import type { Db } from '../db/types.ts';
import { systemClock } from '../lib/clock.ts';
import { ensureDataDir, writePrivateFile } from '../lib/data-dir-lock.ts';
import { AppError } from '../lib/errors.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { startApi } from '../roles/api.ts';
import { startControlSocket } from '../roles/control-socket.ts';
import { startIngest } from '../roles/ingest.ts';
import { startSimulator } from '../roles/simulator.ts';
import type { RoleContext, RoleHandle } from '../roles/types.ts';
import { checkApiWorkers, isApiWorker, runApiCluster } from './api-cluster.ts';
import { runOpInProcess } from '../ops/ops.ts';
import { assertPortsFree } from './port-check.ts';
import { untilStopped } from './stop-signal.ts';

// Start order: mock customers first (ingestion polls them), the API last (it serves what is stored).
const ROLE_ORDER: readonly Role[] = ['simulator', 'ingest', 'api'];
const STARTERS: Partial<Record<Role, (ctx: RoleContext) => Promise<RoleHandle>>> = {
  simulator: startSimulator,
  ingest: startIngest,
  api: startApi,
};

const TOKENS_FILE = 'tokens.json';

/** tokens.json: the only place the first-start tokens' plaintext is ever written. */
const writeTokensFile = async (config: Config, tokens: BootstrapTokens): Promise<string> => {
  const file = path.join(config.dataDir, TOKENS_FILE);
  const body = {
    note: 'Created on first start. Each token is shown only here; delete this file once you have stored them.',
    admin: { id: tokens.admin.id, token: tokens.admin.token, permissions: tokens.admin.permissions },
    customers: Object.fromEntries(
      Object.entries(tokens.customers).map(([code, t]) => [
        code,
        { id: t.id, token: t.token, permissions: t.permissions },
      ]),
    ),
  };
  await ensureDataDir(config.dataDir);
  await writePrivateFile(file, JSON.stringify(body, null, 2)).catch((e: unknown) => {
    throw new AppError(
      'CONFIG',
      `Cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): no token was created; the next start tries again`,
    );
  });
  return file;
};

/**
 * First start: the default fleet on an empty database, and a set of tokens when none exists. The
 * two steps are independent, so a start that died between them is completed by the next one. The
 * tokens are committed only once tokens.json is on disk: a failure there mints nothing.
 */
const firstStart = async (config: Config, db: Db, log: Logger): Promise<void> => {
  const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM customers');
  if (row!.n === 0) {
    const result = (await runOpInProcess({ db, config, clock: systemClock }, 'db.seed', {
      firstStart: true,
    })) as { customersCreated: number; unitsCreated: number };
    log.info({ customers: result.customersCreated, units: result.unitsCreated }, 'seeded the default fleet');
  }
  let file = '';
  const minted = await bootstrapTokens(db, async (tokens) => {
    file = await writeTokensFile(config, tokens);
  });
  if (minted)
    console.log(`First start: created an admin token and a read token per customer in ${file} (mode 0600).`);
};

/** Stands in for the database in a process that runs only the simulator (it needs none). */
const noDb = (): Db => {
  const refuse = (): never => {
    throw new AppError('INTERNAL', 'this process runs no role that uses the database');
  };
  return {
    backend: 'postgres',
    location: 'none',
    query: refuse,
    exec: refuse,
    transaction: refuse,
    close: async () => undefined,
  };
};

export const runUp = async (config: Config): Promise<void> => {
  const log = createLogger(config.logLevel);
  checkApiWorkers(config);
  // Before the store is opened or seeded: a busy port must not leave a new data dir behind.
  if (!isApiWorker()) await assertPortsFree(config);
  if (config.apiWorkers > 1 && !isApiWorker())
    return runApiCluster(config, log, async () => {
      const db = await openDb(config, { holder: 'up' });
      try {
        await firstStart(config, db, log);
      } finally {
        await db.close();
      }
    });
  // A worker of runApiCluster: the primary has migrated, seeded and prints the banner.
  const quiet = isApiWorker();
  const started: RoleHandle[] = [];
  let stopControl: (() => Promise<void>) | undefined;
  const t0 = Date.now();
  // The simulator alone needs no database, so it neither opens nor locks the store.
  const needsDb = config.roles.some((r) => r !== 'simulator');
  const db = needsDb ? await openDb(config, { holder: 'up' }) : noDb();
  const stopAll = async (): Promise<void> => {
    for (const h of started.reverse())
      await h.stop().catch((err: unknown) => log.error({ err, role: h.role }, 'stop failed'));
    await stopControl?.();
    await db.close();
  };
  try {
    if (needsDb && !quiet) await firstStart(config, db, log);
    if (needsDb && db.backend === 'pglite') {
      stopControl = (await startControlSocket(config.dataDir, { db, config, clock: systemClock }, log)).stop;
    }
    const ctx: RoleContext = { config, log, clock: systemClock, db, services: {} };
    for (const role of ROLE_ORDER) {
      if (!config.roles.includes(role)) continue;
      const start = STARTERS[role];
      if (!start) {
        log.warn({ role }, 'role not available yet; skipped');
        continue;
      }
      started.push(await start({ ...ctx, log: log.child({ role }) }));
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  const store = !needsDb
    ? 'none (simulator only)'
    : db.backend === 'pglite'
      ? `embedded PGlite in ${config.dataDir}`
      : `PostgreSQL at ${db.location}`;
  if (!quiet) {
    console.log(
      `tms is up in ${((Date.now() - t0) / 1000).toFixed(1)} s: store ${store}, queue ${config.rabbitmqUrl ? 'RabbitMQ' : 'in-process'}`,
    );
    for (const h of started) for (const line of h.banner) console.log(`  ${line}`);
    console.log('Press Ctrl+C to stop.');
  }

  await untilStopped(() => stopAll().catch((err: unknown) => log.error({ err }, 'shutdown failed')), quiet);
  if (!quiet) console.log('Stopped.');
  // A cluster worker's channel to its primary would keep this process alive.
  else process.disconnect?.();
};

export const registerUpCommand = (program: Command): void => {
  program
    .command('up')
    .description('Run the system: mock customers, ingestion and the API (all roles by default)')
    .option(
      '--roles <list>',
      'comma-separated roles to run: simulator, ingest, api (default: all, or TMS_ROLES)',
    )
    .option(
      '--api-workers <n>',
      'API processes sharing PORT, to use every core (needs --roles api and DATABASE_URL; or TMS_API_WORKERS)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  tms up\n  tms up --roles api,ingest\n  DATABASE_URL=postgres://localhost/tms RABBITMQ_URL=amqp://localhost tms up --roles ingest\n  DATABASE_URL=postgres://localhost/tms tms up --roles api --api-workers 2',
    )
    .action(async (opts: { roles?: string; apiWorkers?: string }) => {
      const base = loadConfig();
      const config: Config = Object.freeze({
        ...base,
        roles: opts.roles ? parseRoles(opts.roles, '--roles') : base.roles,
        apiWorkers:
          opts.apiWorkers === undefined
            ? base.apiWorkers
            : parseConfig({ TMS_API_WORKERS: opts.apiWorkers }).apiWorkers,
      });
      await runUp(config);
    });
};
