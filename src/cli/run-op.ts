import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { openDb } from '../db/open.ts';
import { readLockOwner } from '../lib/data-dir-lock.ts';
import { systemClock } from '../lib/clock.ts';
import { AppError, type ErrorCode } from '../lib/errors.ts';
import { CONTROL_SOCKET } from '../roles/control-socket.ts';
import { runOpInProcess } from '../ops/ops.ts';

/** The operating-system user running the CLI, for the audit trail's `cli:<user>`. */
export const osUser = (): string => {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
};

const callSocket = (socketPath: string, name: string, args: Record<string, unknown>): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify(args);
    const req = http.request(
      {
        socketPath,
        path: `/ops/${encodeURIComponent(name)}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              result?: unknown;
              detail?: string;
              code?: ErrorCode;
            };
            if (res.statusCode === 200) resolve(parsed.result);
            else
              reject(
                new AppError(
                  parsed.code ?? 'INTERNAL',
                  parsed.detail ?? `control socket answered ${res.statusCode}`,
                ),
              );
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on('error', (e) =>
      reject(
        new AppError(
          'UPSTREAM_UNAVAILABLE',
          `Cannot reach the running tms process at ${socketPath} (${(e as NodeJS.ErrnoException).code})`,
        ),
      ),
    );
    req.end(body);
  });

/**
 * Runs a database operation for the CLI. On PostgreSQL it connects directly. On the embedded store,
 * if `tms up` owns the data directory, the operation runs inside that process via its control
 * socket; otherwise the CLI opens the store itself for the duration of the command.
 */
export const runOp = async <T = unknown>(
  config: Config,
  name: string,
  argsIn: Record<string, unknown> = {},
): Promise<T> => {
  // Who runs the command, for the audit trail (`cli:<user>`); a `reason` in args goes with it.
  const args = { ...argsIn, cliUser: osUser() };
  if (!config.databaseUrl) {
    const owner = await readLockOwner(config.dataDir);
    if (owner?.holder === 'up')
      return (await callSocket(path.join(config.dataDir, CONTROL_SOCKET), name, args)) as T;
  }
  const db = await openDb(config, { holder: `tms ${name}`, poolSize: 2 });
  try {
    return (await runOpInProcess({ db, config, clock: systemClock }, name, args)) as T;
  } finally {
    await db.close();
  }
};
