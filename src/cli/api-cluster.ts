import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { apiBanner } from '../roles/api.ts';
import { untilStopped } from './stop-signal.ts';

/** True in a process forked by runApiCluster (it runs the api role and nothing else). */
export const isApiWorker = (): boolean => cluster.isWorker;

/** Refuses worker counts the store or the roles cannot serve, naming the variable. */
export const checkApiWorkers = (config: Config): void => {
  if (config.apiWorkers <= 1) return;
  const why =
    config.roles.length !== 1 || config.roles[0] !== 'api'
      ? 'more than one API worker needs --roles api (start ingest and the simulator separately)'
      : !config.databaseUrl
        ? 'more than one API worker needs DATABASE_URL: the embedded store lives in one process'
        : undefined;
  if (why) throw new AppError('CONFIG', `Invalid TMS_API_WORKERS: ${why}`);
};

const RESTARTS_PER_MINUTE = 5;
const WORKER_STOP_MS = 20_000;

/**
 * Runs `config.apiWorkers` API processes sharing one port (node:cluster hands new connections to
 * them in turn), so one `tms up --roles api` uses every core. The primary migrates and seeds once
 * (`prepare`), forks the workers, replaces one that dies (up to 5 a minute), and stops them all on
 * SIGINT/SIGTERM. Rate limits and /metrics are per worker, as with separate replicas.
 */
export const runApiCluster = async (
  config: Config,
  log: Logger,
  prepare: () => Promise<void>,
): Promise<void> => {
  const t0 = Date.now();
  await prepare();
  let stopping = false;
  let gaveUp = false;
  const restarts: number[] = [];
  const fork = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      const early = (code: number | null) =>
        reject(
          new AppError('CONFIG', `An API worker exited during start (code ${code}); see its message above`),
        );
      worker.once('exit', early);
      worker.once('listening', () => {
        worker.off('exit', early);
        worker.once('exit', (code, signal) => {
          if (stopping) return;
          log.error({ pid: worker.process.pid, code, signal }, 'API worker died; starting another');
          const now = Date.now();
          restarts.push(now);
          while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
          if (restarts.length > RESTARTS_PER_MINUTE) {
            log.fatal('API workers keep dying; stopping');
            gaveUp = true;
            process.kill(process.pid, 'SIGTERM');
            return;
          }
          fork().catch((err: unknown) => log.error({ err }, 'could not replace an API worker'));
        });
        resolve(worker);
      });
    });
  const stopWorkers = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!w || w.isDead()) return resolve();
            // A worker stops within its own grace period; one that does not is killed.
            const kill = setTimeout(() => w.process.kill('SIGKILL'), WORKER_STOP_MS);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    await Promise.all(Array.from({ length: config.apiWorkers }, fork));
  } catch (e) {
    await stopWorkers();
    throw e;
  }
  console.log(
    `tms is up in ${((Date.now() - t0) / 1000).toFixed(1)} s: store PostgreSQL, ${config.apiWorkers} API worker processes`,
  );
  console.log(`  ${apiBanner(config)}`);
  console.log('Press Ctrl+C to stop.');
  await untilStopped(stopWorkers);
  if (gaveUp)
    throw new AppError('INTERNAL', `API workers died more than ${RESTARTS_PER_MINUTE} times a minute`);
  console.log('Stopped.');
};
