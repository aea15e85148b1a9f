import pg from 'pg';
import type { Logger } from '../lib/logger.ts';
import type { Db, Sql } from './types.ts';

/**
 * The channel on which writers of readings announce, at commit, whose readings changed: the payload
 * is the comma-separated customer ids, or `*` (everything; sent when the list would not fit the
 * 8,000-byte payload limit). The API's caches of answers that depend on readings listen to it.
 */
export const READINGS_CHANNEL = 'tms_readings';

/** PostgreSQL's payload limit is 8,000 bytes; ~215 customer ids fit below this. */
const MAX_PAYLOAD = 7_900;

/**
 * A CTE for a writer's single statement: announces the customers of the rows of `source` (a CTE
 * name such as `ins`, or a join such as `ins JOIN storage_units u ON u.reading_key = ins.unit_key`),
 * `customerId` being the SQL expression of a row's customer id. NOTIFY is transactional: the
 * announcement goes out only when the statement's transaction commits, and not at all when the
 * source has no rows.
 *
 * A SELECT in WITH runs only when the main query reads it: the statement must reference it, e.g.
 * `… FROM … CROSS JOIN tms_notify` (it always yields exactly one row, `notified` 0 or 1).
 */
export const notifyReadingsCte = (
  source: string,
  customerId = 'customer_id',
  name = 'tms_notify',
): string => `${name} AS (
  SELECT count(pg_notify('${READINGS_CHANNEL}', CASE WHEN length(p) > ${MAX_PAYLOAD} THEN '*' ELSE p END))::int AS notified
  FROM (SELECT string_agg(DISTINCT (${customerId})::text, ',') AS p FROM ${source} HAVING count(*) > 0) x
)`;

/**
 * Announces that readings of these customers changed (no list: of every customer). Run it inside
 * the writer's transaction, after the write: the notification is sent at commit, or never.
 * For writers that are not one statement (deletions, rebuilds, `tms db clean`).
 */
export const notifyReadingsChanged = async (q: Sql, customerIds?: readonly string[]): Promise<void> => {
  const payload = customerIds ? [...new Set(customerIds)].join(',') : '*';
  if (payload === '') return;
  await q.query('SELECT pg_notify($1, $2)', [READINGS_CHANNEL, payload.length > MAX_PAYLOAD ? '*' : payload]);
};

/** What changed: these customers' readings, or (`'all'`) anything, after a lost connection. */
export type ReadingChange = readonly string[] | 'all';

/** A subscription to `READINGS_CHANNEL`. */
export interface ReadingChanges {
  /**
   * True while notifications arrive. While false (connection lost, reconnecting) nothing that
   * depends on them may be cached: a change in between would go unnoticed.
   */
  readonly live: boolean;
  /** Called for every notification, and with `'all'` whenever the connection is lost or regained. */
  onChange(fn: (change: ReadingChange) => void): void;
  close(): Promise<void>;
}

/** Parses a notification's payload. */
export const parseReadingChange = (payload: string | undefined): ReadingChange =>
  !payload || payload === '*' ? 'all' : payload.split(',').filter((s) => s.length > 0);

export interface ListenOptions {
  db: Db;
  /** The primary's URL (PostgreSQL): the listener holds a connection of its own. */
  url?: string;
  log: Logger;
  /** How often the PostgreSQL listener proves its connection alive (default 15 s). */
  pingMs?: number;
  /** First reconnect delay, doubled up to 30 s (default 500 ms). */
  retryMs?: number;
}

/**
 * Listens to `READINGS_CHANNEL`: on PostgreSQL on a dedicated connection (reconnecting with backoff;
 * `'all'` on every loss and every reconnect, since notifications in between are lost), on PGlite
 * through its `listen` (one process, the writer's session itself). Undefined when the backend
 * cannot listen.
 */
export const listenReadingChanges = async (opts: ListenOptions): Promise<ReadingChanges | undefined> => {
  if (opts.db.backend === 'postgres') return opts.url ? listenPostgres(opts, opts.url) : undefined;
  if (!opts.db.listen) return undefined;
  const listeners: Array<(c: ReadingChange) => void> = [];
  const emit = (c: ReadingChange) => {
    for (const fn of listeners) fn(c);
  };
  const unlisten = await opts.db.listen(READINGS_CHANNEL, (payload) => emit(parseReadingChange(payload)));
  return {
    live: true,
    onChange: (fn) => void listeners.push(fn),
    close: () => unlisten(),
  };
};

const listenPostgres = async (opts: ListenOptions, url: string): Promise<ReadingChanges> => {
  const log = opts.log;
  const listeners: Array<(c: ReadingChange) => void> = [];
  const emit = (c: ReadingChange) => {
    for (const fn of listeners) fn(c);
  };
  let client: pg.Client | undefined;
  let live = false;
  let closed = false;
  let retryMs = opts.retryMs ?? 500;
  let retryTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;

  const lost = (c: pg.Client, why: string) => {
    if (client !== c) return;
    client = undefined;
    clearInterval(pingTimer);
    c.removeAllListeners('notification');
    void c.end().catch(() => undefined);
    if (live) log.warn({ why }, 'reading-change listener lost its connection; caches dropped');
    live = false;
    emit('all');
    if (!closed) {
      retryTimer = setTimeout(() => void connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, application_name: 'tms api listen', keepAlive: true });
    c.on('error', (e) => lost(c, e.message));
    c.on('end', () => lost(c, 'connection ended'));
    c.on('notification', (n) => {
      if (n.channel === READINGS_CHANNEL) emit(parseReadingChange(n.payload));
    });
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${READINGS_CHANNEL}`);
    } catch (e) {
      lost(c, (e as Error).message);
      return;
    }
    if (closed || client !== c) return;
    // Anything written while no one listened is unknown: whatever was kept from before goes.
    emit('all');
    live = true;
    retryMs = opts.retryMs ?? 500;
    // A connection that died without a reset (a dropped route) is only noticed when used.
    pingTimer = setInterval(() => {
      c.query('SELECT 1').catch((e: Error) => lost(c, e.message));
    }, opts.pingMs ?? 15_000);
    pingTimer.unref();
  };

  await connect();
  return {
    get live() {
      return live;
    },
    onChange: (fn) => void listeners.push(fn),
    close: async () => {
      closed = true;
      live = false;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
};
