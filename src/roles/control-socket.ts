import { chmod, unlink } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { runOpInProcess, type OpContext } from '../ops/ops.ts';
import { ensureDataDir } from '../lib/data-dir-lock.ts';
import { httpStatusOf, isAppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

export const CONTROL_SOCKET = 'tms.sock';
const MAX_BODY_BYTES = 1 << 20;

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/**
 * Serves CLI operations over a Unix socket in the data directory while `tms up` owns the embedded
 * store (only one process may open it). The socket is mode 0600 from the moment it exists, in a 0700
 * directory: only the owning user can use it.
 */
export const startControlSocket = async (
  dataDir: string,
  ctx: OpContext,
  log: Logger,
): Promise<{ path: string; stop(): Promise<void> }> => {
  const socketPath = path.join(dataDir, CONTROL_SOCKET);
  await unlink(socketPath).catch(() => undefined);
  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const name = req.url?.startsWith('/ops/') ? decodeURIComponent(req.url.slice(5)) : undefined;
    if (req.method !== 'POST' || !name) return send(404, { detail: 'Not found' });
    try {
      const args = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
      send(200, { result: await runOpInProcess(ctx, name, args) });
    } catch (e) {
      if (isAppError(e)) return send(httpStatusOf[e.code], { detail: e.message, code: e.code });
      log.error({ err: e, op: name }, 'control operation failed');
      send(500, { detail: 'Operation failed; see the server log', code: 'INTERNAL' });
    }
  });
  await ensureDataDir(dataDir);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The socket file is created by bind() inside listen(), synchronously in a primary process,
    // with mode 0777 & ~umask: a umask of 0177 around it means it is born 0600, never group/other-usable
    // (the 0700 data directory closes that window a second time).
    const umask = process.umask(0o177);
    try {
      server.listen(socketPath, resolve);
    } finally {
      process.umask(umask);
    }
  });
  await chmod(socketPath, 0o600);
  return {
    path: socketPath,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(socketPath).catch(() => undefined);
    },
  };
};
