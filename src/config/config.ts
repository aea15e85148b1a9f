import { existsSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../lib/errors.ts';

export type Role = 'simulator' | 'ingest' | 'api';
export const ALL_ROLES: readonly Role[] = ['simulator', 'ingest', 'api'];
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** Absent: embedded PGlite in dataDir. */
  readonly databaseUrl: string | undefined;
  /**
   * A streaming replica of DATABASE_URL the api role serves lag-tolerant reads from (PostgreSQL
   * only; absent: every read goes to DATABASE_URL). See docs/operations.md, "Read replicas".
   */
  readonly databaseReadUrl: string | undefined;
  readonly dataDir: string;
  /** Absent: in-process queue. */
  readonly rabbitmqUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly simHost: string;
  readonly simPortStart: number;
  readonly simSeed: string;
  readonly logLevel: LogLevel;
  readonly roles: readonly Role[];
  /** API processes sharing PORT (PostgreSQL and the api role only; 1 = this process serves it). */
  readonly apiWorkers: number;
  /** Seconds a reading may lie in the future before it is rejected (clock skew tolerance). */
  readonly futureToleranceSeconds: number;
  /** Fleet file for the simulator and `tms db seed`; undefined = the built-in 10-customer fleet. */
  readonly fleetFile: string | undefined;
  readonly ingest: IngestConfig;
  readonly api: ApiLimitsConfig;
  readonly notify: NotifyConfig;
}

/** Where alarm notifications go out from (src/alarms/notifier.ts). */
export interface NotifyConfig {
  /** SMTP server for e-mail channels (`smtp://user:pass@host:587`, `smtps://…`); absent: e-mail sends fail saying so. */
  readonly smtpUrl: string | undefined;
  /** The From of notification mail. */
  readonly mailFrom: string;
  /** Base URL of the dashboard in links to an alarm's page, without a trailing slash. */
  readonly publicUrl: string;
}

/** Budgets of the api role: no single client may stall the others or hold sockets forever. */
export interface ApiLimitsConfig {
  /** PostgreSQL cancels an API statement running longer (503 to the client); 0 = no limit. Not enforceable on PGlite. */
  readonly statementTimeoutMs: number;
  /** Export and long-analytics requests one token may have in flight (429 beyond). */
  readonly heavyConcurrencyPerToken: number;
  /** Requests per minute and client address without a valid token (public pages, failed logins). */
  readonly anonymousPerMinute: number;
  /** Time to receive a whole request (headers and body) from the client. */
  readonly requestTimeoutMs: number;
  /** Time to receive the request headers. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /**
   * How long the API keeps serialized answers of its read routes in memory (latest, reading pages,
   * units, stats, trends); 0 = never. New readings drop a customer's kept answers when the writers
   * announce them (docs/architecture.md, "Read-path caching").
   */
  readonly responseCacheTtlMs: number;
}

/** Settings of the ingest role (collection, queue, writer). */
export interface IngestConfig {
  /** Window asked for on a customer's first collection (no high-water mark yet). */
  readonly initialBackfillHours: number;
  /** Longest window asked for after an outage; older gaps are not backfilled automatically. */
  readonly maxBackfillHours: number;
  /** Re-fetch this much before the high-water mark (source clock skew, late rows). */
  readonly overlapSeconds: number;
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxResponseBytes: number;
  /** Hard ceiling on the rows one collection run reads, whatever the customer's expected rate. */
  readonly maxRowsPerRun: number;
  /** Prefix for RabbitMQ exchange and queue names. */
  readonly queuePrefix: string;
  readonly queuePrefetch: number;
  /** Customers collected at the same time by one process. */
  readonly concurrency: number;
  /** How often the scheduler looks for due customers. */
  readonly tickMs: number;
  /** Lease on a customer while it is collected (renewed while the run lasts). */
  readonly leaseSeconds: number;
  /** Backoff after a failed collection: base·2^(n-1), capped. */
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
}

type Env = Record<string, string | undefined>;

const fail = (name: string, problem: string): never => {
  throw new AppError('CONFIG', `Invalid ${name}: ${problem}`);
};

const readPort = (env: Env, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(name, `'${raw}' is not a port number (1-65535)`);
  return n;
};

const readInt = (env: Env, name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(name, `'${raw}' is not an integer in ${min}..${max}`);
  return n;
};

const readUrl = (env: Env, name: string, protocols: readonly string[]): string | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(name, `not a URL (expected ${protocols.map((p) => `${p}//…`).join(' or ')})`);
  }
  if (!protocols.includes(url.protocol)) {
    fail(name, `protocol '${url.protocol}' is not one of ${protocols.join(', ')}`);
  }
  if (!url.hostname && !url.searchParams.get('host')) fail(name, 'no host given');
  return raw;
};

const readRoles = (env: Env): readonly Role[] => {
  const raw = env.TMS_ROLES;
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'all') return ALL_ROLES;
  return parseRoles(raw, 'TMS_ROLES');
};

/** Parses a comma-separated role list; `name` is what the error message blames. */
export const parseRoles = (raw: string, name: string): readonly Role[] => {
  const roles = raw
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (roles.length === 1 && roles[0] === 'all') return ALL_ROLES;
  for (const r of roles) {
    if (!ALL_ROLES.includes(r as Role)) fail(name, `unknown role '${r}' (roles: ${ALL_ROLES.join(', ')})`);
  }
  if (roles.length === 0) fail(name, 'no role given');
  return [...new Set(roles)] as Role[];
};

const parseIngestConfig = (env: Env): IngestConfig => {
  const prefix = env.TMS_QUEUE_PREFIX?.trim() ?? '';
  if (!/^[\w.-]*$/.test(prefix))
    fail('TMS_QUEUE_PREFIX', `'${prefix}' may hold only letters, digits, '_', '.', '-'`);
  const maxBackfillHours = readInt(env, 'TMS_MAX_BACKFILL_HOURS', 168, 1, 168);
  return {
    initialBackfillHours: readInt(env, 'TMS_INITIAL_BACKFILL_HOURS', 24, 0, maxBackfillHours),
    maxBackfillHours,
    overlapSeconds: readInt(env, 'TMS_FETCH_OVERLAP_SECONDS', 120, 0, 3600),
    connectTimeoutMs: readInt(env, 'TMS_FETCH_CONNECT_TIMEOUT_MS', 5_000, 100, 120_000),
    totalTimeoutMs: readInt(env, 'TMS_FETCH_TIMEOUT_MS', 60_000, 100, 600_000),
    maxResponseBytes: readInt(env, 'TMS_FETCH_MAX_BYTES', 64 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxRowsPerRun: readInt(env, 'TMS_INGEST_MAX_ROWS', 1_000_000, 100, 100_000_000),
    queuePrefix: prefix,
    queuePrefetch: readInt(env, 'TMS_QUEUE_PREFETCH', 16, 1, 1000),
    concurrency: readInt(env, 'TMS_INGEST_CONCURRENCY', 4, 1, 64),
    tickMs: readInt(env, 'TMS_SCHEDULER_TICK_MS', 1_000, 50, 60_000),
    leaseSeconds: readInt(env, 'TMS_SCHEDULER_LEASE_SECONDS', 30, 5, 3600),
    retryBaseSeconds: readInt(env, 'TMS_RETRY_BASE_SECONDS', 5, 1, 3600),
    retryMaxSeconds: readInt(env, 'TMS_RETRY_MAX_SECONDS', 600, 1, 86_400),
  };
};

const parseApiLimits = (env: Env): ApiLimitsConfig => {
  const requestTimeoutMs = readInt(env, 'TMS_HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000);
  return {
    statementTimeoutMs: readInt(env, 'TMS_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    heavyConcurrencyPerToken: readInt(env, 'TMS_HEAVY_CONCURRENCY_PER_TOKEN', 2, 1, 100),
    anonymousPerMinute: readInt(env, 'TMS_ANON_RATE_LIMIT_PER_MINUTE', 300, 1, 1_000_000),
    requestTimeoutMs,
    // Node refuses a header timeout longer than the request timeout.
    headersTimeoutMs: readInt(env, 'TMS_HTTP_HEADERS_TIMEOUT_MS', 10_000, 500, requestTimeoutMs),
    keepAliveTimeoutMs: readInt(env, 'TMS_HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1_000, 600_000),
    responseCacheTtlMs: readInt(env, 'TMS_API_CACHE_TTL_MS', 5_000, 0, 60_000),
  };
};

const parseNotifyConfig = (env: Env, host: string, port: number): NotifyConfig => {
  const mailFrom = env.TMS_MAIL_FROM?.trim() || 'tms@localhost';
  // Loose on purpose: a display name ("tms <alarms@example.com>") is fine; only an address-less value is not.
  if (!/[^\s@<>]+@[^\s@<>]+/.test(mailFrom)) fail('TMS_MAIL_FROM', `'${mailFrom}' holds no e-mail address`);
  // A wildcard bind address is no place a mail reader's browser can open.
  const browseHost = ['0.0.0.0', '::', '[::]'].includes(host) ? 'localhost' : host;
  const publicUrl = readUrl(env, 'TMS_PUBLIC_URL', ['http:', 'https:']) ?? `http://${browseHost}:${port}`;
  return {
    smtpUrl: readUrl(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom,
    publicUrl: publicUrl.replace(/\/+$/, ''),
  };
};

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Builds the validated configuration from an environment.
 * @throws AppError CONFIG naming the variable when a value is malformed.
 */
export const parseConfig = (env: Env, cwd = process.cwd()): Config => {
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel))
    fail('LOG_LEVEL', `'${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`);
  const host = env.HOST?.trim() || '127.0.0.1';
  const simSeed = env.SIM_SEED?.trim() || 'tms-default-seed';
  const port = readPort(env, 'PORT', 8000);
  const databaseUrl = readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const databaseReadUrl = readUrl(env, 'DATABASE_READ_URL', ['postgres:', 'postgresql:']);
  // The embedded store has no replicas: a read URL without DATABASE_URL is a mistake, not a no-op.
  if (databaseReadUrl && !databaseUrl)
    fail(
      'DATABASE_READ_URL',
      'needs DATABASE_URL (read replicas are for PostgreSQL, not the embedded store)',
    );
  const config: Config = {
    databaseUrl,
    databaseReadUrl,
    dataDir: path.resolve(cwd, env.TMS_DATA_DIR?.trim() || './data'),
    rabbitmqUrl: readUrl(env, 'RABBITMQ_URL', ['amqp:', 'amqps:']),
    host,
    port,
    simHost: env.SIM_HOST?.trim() || host,
    simPortStart: readPort(env, 'SIM_PORT_START', 8001),
    simSeed,
    logLevel: logLevel as LogLevel,
    roles: readRoles(env),
    apiWorkers: readInt(env, 'TMS_API_WORKERS', 1, 1, 64),
    futureToleranceSeconds: readInt(env, 'TMS_FUTURE_TOLERANCE_SECONDS', 300, 0, 86_400),
    fleetFile: env.TMS_FLEET_FILE?.trim() ? path.resolve(cwd, env.TMS_FLEET_FILE.trim()) : undefined,
    ingest: Object.freeze(parseIngestConfig(env)),
    api: Object.freeze(parseApiLimits(env)),
    notify: Object.freeze(parseNotifyConfig(env, host, port)),
  };
  return Object.freeze(config);
};

/**
 * Loads `.env` from the working directory (if present, without overriding real variables),
 * then validates the environment. The only place that reads process.env.
 */
export const loadConfig = (cwd = process.cwd()): Config => {
  const envFile = path.join(cwd, '.env');
  if (existsSync(envFile)) {
    try {
      process.loadEnvFile(envFile);
    } catch (e) {
      throw new AppError('CONFIG', `Cannot read ${envFile}: ${(e as Error).message}`);
    }
  }
  return parseConfig(process.env, cwd);
};
