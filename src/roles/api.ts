import net from 'node:net';
import { startReasonSettingRefresh } from '../audit/reason-setting.ts';
import { buildApp, type AppContext } from '../http/app.ts';
import type { Config } from '../config/config.ts';
import { openPostgres } from '../db/postgres.ts';
import { listenReadingChanges } from '../db/reading-changes.ts';
import { withReadReplica, type ReadReplica } from '../db/read-replica.ts';
import type { Db } from '../db/types.ts';
import { startZoneRebuilder } from '../fleet/zone-rebuild.ts';
import { AppError } from '../lib/errors.ts';
import type { QueueHealth, RoleContext, RoleHandle } from './types.ts';

/**
 * How /health learns the queue's state: from the ingest role in this process, else (an API-only
 * process with RabbitMQ configured) from a cached TCP check of the broker; no broker, no entry.
 */
const queueHealthFor = (ctx: RoleContext): AppContext['queueHealth'] => {
  if (!ctx.config.rabbitmqUrl) return undefined;
  const url = new URL(ctx.config.rabbitmqUrl);
  const probe = cachedProbe(url.hostname, Number(url.port || (url.protocol === 'amqps:' ? 5671 : 5672)));
  return () => (ctx.services.queueHealth ? ctx.services.queueHealth() : probe());
};

const PROBE_TTL_MS = 5_000;
const STOP_GRACE_MS = 5_000;

const cachedProbe = (host: string, port: number): (() => Promise<QueueHealth>) => {
  let last: { at: number; result: Promise<QueueHealth> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > PROBE_TTL_MS) {
      last = {
        at: Date.now(),
        result: new Promise((resolve) => {
          const socket = net.connect({ host, port, timeout: 1_000 });
          const done = (r: QueueHealth) => {
            socket.destroy();
            resolve(r);
          };
          socket.once('connect', () => done('ok'));
          socket.once('timeout', () => done('error'));
          socket.once('error', () => done('error'));
        }),
      };
    }
    return last.result;
  };
};

/** The start-up line naming where the API, its health check and its docs are. */
export const apiBanner = (config: Pick<Config, 'host' | 'port'>): string => {
  const base = `http://${config.host}:${config.port}`;
  // A wildcard address is where the server listens, not an address a browser can open.
  const browse = ['0.0.0.0', '::', '[::]'].includes(config.host) ? `http://localhost:${config.port}` : base;
  return `api:       ${base}  (dashboard ${browse}/, health ${base}/health, docs ${base}/docs)`;
};

/**
 * On PostgreSQL the API gets a pool of its own whose connections carry `statement_timeout`, so the
 * budget cuts API queries only, never the ingestion writer or migrations sharing this process. PGlite
 * is one session that cannot enforce a timeout (see db/pglite.ts): the API shares it.
 */
const openApiDb = async (ctx: RoleContext): Promise<{ db: Db; close(): Promise<void> }> => {
  const { databaseUrl, api } = ctx.config;
  if (ctx.db.backend !== 'postgres' || !databaseUrl || api.statementTimeoutMs === 0)
    return { db: ctx.db, close: async () => undefined };
  const db = await openPostgres({
    url: databaseUrl,
    applicationName: 'tms api',
    statementTimeoutMs: api.statementTimeoutMs,
  });
  return { db, close: () => db.close() };
};

/**
 * DATABASE_READ_URL: a pool on the replica (same statement budget), opened without a connection
 * check so a replica that is down at start costs nothing but falling back to the primary.
 */
const openReadReplica = async (ctx: RoleContext, primary: Db): Promise<ReadReplica | undefined> => {
  const { databaseReadUrl, api } = ctx.config;
  if (!databaseReadUrl || ctx.db.backend !== 'postgres') return undefined;
  const replica = await openPostgres({
    url: databaseReadUrl,
    applicationName: 'tms api read',
    statementTimeoutMs: api.statementTimeoutMs || undefined,
    lazy: true,
  });
  return withReadReplica(replica, primary, { log: ctx.log.child({ module: 'read-replica' }) });
};

/** Serves the REST API and the dashboard on HOST:PORT. */
export const startApi = async (ctx: RoleContext): Promise<RoleHandle> => {
  const apiDb = await openApiDb(ctx);
  const readReplica = await openReadReplica(ctx, apiDb.db);
  // Whether limit changes and deletions need a reason: the system setting, re-read every 30 s.
  const stopReasonRefresh = await startReasonSettingRefresh(ctx.db);
  // Resumes rebuilds left pending by a restart; on the role's db, outside the API statement budget.
  const zoneRebuilds = startZoneRebuilder({ db: ctx.db, log: ctx.log.child({ module: 'zone-rebuild' }) });
  // Writers announce new readings at commit; kept answers of those customers are dropped on it.
  const readingChanges =
    ctx.config.api.responseCacheTtlMs > 0
      ? await listenReadingChanges({
          db: ctx.db,
          url: ctx.config.databaseUrl,
          log: ctx.log.child({ module: 'reading-changes' }),
        })
      : undefined;
  const app = await buildApp({
    db: apiDb.db,
    readDb: readReplica?.db,
    readReplicaStatus: readReplica?.status,
    log: ctx.log,
    clock: ctx.clock,
    futureToleranceSeconds: ctx.config.futureToleranceSeconds,
    queueHealth: queueHealthFor(ctx),
    limits: ctx.config.api,
    zoneRebuilds,
    responseCacheTtlMs: ctx.config.api.responseCacheTtlMs,
    readingChanges,
  });
  try {
    await app.listen({ host: ctx.config.host, port: ctx.config.port });
  } catch (e) {
    stopReasonRefresh();
    await app.close();
    await zoneRebuilds.stop();
    await readingChanges?.close();
    await readReplica?.close();
    await apiDb.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError(
      'CONFIG',
      code === 'EADDRINUSE'
        ? `Port ${ctx.config.port} on ${ctx.config.host} is already in use (set PORT to another port)`
        : `Cannot listen on ${ctx.config.host}:${ctx.config.port} (${code ?? (e as Error).message})`,
    );
  }
  return {
    role: 'api',
    banner: [
      apiBanner(ctx.config),
      ...(readReplica
        ? [`reads:     replica at ${readReplica.db.location} (falls back to the primary)`]
        : []),
    ],
    stop: async () => {
      // Requests in flight get 5 s to finish; then keep-alive sockets that went idle after close()
      // began (a load balancer's, a benchmark's) are cut, so stopping never hangs on a client.
      const grace = setTimeout(() => app.server.closeAllConnections(), STOP_GRACE_MS);
      try {
        await app.close();
      } finally {
        stopReasonRefresh();
        clearTimeout(grace);
        await zoneRebuilds.stop();
        await readingChanges?.close();
        await readReplica?.close();
        await apiDb.close();
      }
    },
  };
};
