import type { Logger } from '../lib/logger.ts';
import type { Db, ReplicaStatus } from './types.ts';

/** A streaming replica for lag-tolerant reads, falling back to the primary while it fails. */
export interface ReadReplica {
  /** Where replica-backed reads go: the replica, or the primary while the replica is down. */
  readonly db: Db;
  /** The replica itself (never the primary): reachable, and how far its replay is behind. */
  status(): Promise<ReplicaStatus>;
  /** Closes the replica's pool (not the primary's). */
  close(): Promise<void>;
}

// Socket-level failures of node and `pg`'s own connection messages.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
const CONNECTION_MESSAGE = /connection terminated|timeout exceeded when trying to connect|connection error/i;
// Server states of a replica that cannot serve: shutting down, crashed, still starting, full.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
// A hot standby cancels a query that holds back WAL replay (vacuumed rows, locks): 40001, or 40P01
// for a buffer-pin deadlock. The replica is fine; this query is retried on the primary.
const CONFLICT_STATES = new Set(['40001', '40P01']);

/**
 * Why a statement failed on the replica when the primary could answer it: `unreachable` (no
 * connection, or the server cannot serve) or `conflict` (cancelled by replay); undefined for any
 * other error (bad SQL, statement timeout), which the primary would raise as well.
 */
export const replicaFailure = (e: unknown): 'unreachable' | 'conflict' | undefined => {
  const err = e as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code && CONFLICT_STATES.has(code)) return 'conflict';
  if (code && (SOCKET_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')))
    return 'unreachable';
  if (typeof err?.message === 'string' && CONNECTION_MESSAGE.test(err.message)) return 'unreachable';
  // Connecting to a name with several addresses fails with an AggregateError of the attempts.
  if (Array.isArray(err?.errors) && err.errors.some((x) => replicaFailure(x) === 'unreachable'))
    return 'unreachable';
  return undefined;
};

export interface ReadReplicaOptions {
  log: Logger;
  /** While down, the replica is tried again this often, in the background (default 5 s). */
  probeIntervalMs?: number;
  /** /health waits this long for the replica's answer (default 1 s). */
  statusTimeoutMs?: number;
}

// 0 while nothing has been replayed yet is not knowable: null then. Received-but-not-replayed WAL
// (or paused replay) shows as the age of the last replayed transaction, which overstates the lag
// when the primary was idle before its latest write, never understates it.
const LAG_SQL = `SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE greatest(0, extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()))
  END AS lag_seconds`;

/**
 * Routes reads to `replica` and, when a statement fails there for a reason the primary does not
 * share (see replicaFailure), runs it again on `primary`. An unreachable replica is then left out
 * entirely (every read goes to the primary at once, one warning logged) until a background probe
 * finds it answering again. Only for read-only statements: a write would fail on a standby.
 */
export const withReadReplica = (replica: Db, primary: Db, opts: ReadReplicaOptions): ReadReplica => {
  const { log } = opts;
  const probeIntervalMs = opts.probeIntervalMs ?? 5_000;
  const statusTimeoutMs = opts.statusTimeoutMs ?? 1_000;
  let down = false;
  let probe: NodeJS.Timeout | undefined;
  let closed = false;

  const markUp = () => {
    if (!down) return;
    down = false;
    clearInterval(probe);
    probe = undefined;
    log.info({ replica: replica.location }, 'read replica answers again: reads go to it');
  };
  const markDown = (e: unknown) => {
    if (down || closed) return;
    down = true;
    log.warn(
      {
        replica: replica.location,
        err: { code: (e as { code?: string }).code, message: (e as Error).message },
      },
      'read replica unreachable: reading from the primary until it answers',
    );
    probe = setInterval(() => {
      replica.query('SELECT 1').then(markUp, () => undefined);
    }, probeIntervalMs);
    probe.unref();
  };

  const read = async <T>(run: (db: Db) => Promise<T>): Promise<T> => {
    if (down) return run(primary);
    try {
      return await run(replica);
    } catch (e) {
      const why = replicaFailure(e);
      if (!why) throw e;
      if (why === 'unreachable') markDown(e);
      else
        log.warn(
          { code: (e as { code?: string }).code },
          'read replica cancelled a query (replay conflict): retried on the primary',
        );
      return run(primary);
    }
  };

  const db: Db = {
    backend: replica.backend,
    location: replica.location,
    query: (text, params, o) => read((d) => d.query(text, params, o)),
    exec: (text) => read((d) => d.exec(text)),
    transaction: (fn) => read((d) => d.transaction(fn)),
    // The pools belong to ReadReplica.close (replica) and to whoever opened the primary.
    close: async () => undefined,
  };

  const status = async (): Promise<ReplicaStatus> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })),
        statusTimeoutMs,
      );
    });
    try {
      const [row] = await Promise.race([replica.query<{ lag_seconds: number | null }>(LAG_SQL), timeout]);
      markUp();
      const lag = row?.lag_seconds ?? null;
      return { status: 'ok', lagSeconds: lag === null ? null : Math.round(lag * 1000) / 1000 };
    } catch (e) {
      if (replicaFailure(e) === 'unreachable') markDown(e);
      return { status: 'down', lagSeconds: null };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    db,
    status,
    close: async () => {
      closed = true;
      clearInterval(probe);
      await replica.close();
    },
  };
};
