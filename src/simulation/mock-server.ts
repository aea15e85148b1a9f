import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { mixBadRows } from './bad-data.ts';
import { sourcePath, type Fleet, type FleetCustomer } from '../domain/fleet.ts';
import { csvDownloadFileName, faultToJson, jsonEnvelope, readingsToCsv } from './formats.ts';
import { customerReadings, type InjectedFault } from './reading-generator.ts';

// One mock customer = one small node:http server (no framework: 200 of them share one process).
// Request handling is a function of (customer state, request, now) so it is tested without sockets.

/** Backfill is bounded: a window longer than this is refused. */
export const MAX_WINDOW_HOURS = 168;
const MAX_FAULT_MINUTES = 7 * 24 * 60;

/** What fault injection changed on one mock customer; kept in memory, listed by GET /simulate/faults. */
export interface MockCustomerState {
  faults: InjectedFault[];
  outageUntilMs: number;
  badDataRate: number;
}

export interface MockCustomer {
  customer: FleetCustomer;
  seed: string;
  state: MockCustomerState;
}

export interface MockResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): MockResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});
const detail = (status: number, message: string): MockResponse => json(status, { detail: message });

export const createMockCustomer = (customer: FleetCustomer, seed: string): MockCustomer => ({
  customer,
  seed,
  state: { faults: [], outageUntilMs: 0, badDataRate: 0 },
});

const unitCodes = (c: FleetCustomer): Set<string> =>
  new Set(c.facilities.flatMap((f) => f.units.map((u) => u.code)));

/** A query or JSON-body parameter as a finite number, or the default; a malformed value is a 422. */
const numberParam = (
  params: URLSearchParams,
  body: Record<string, unknown>,
  name: string,
  fallback: number,
): number => {
  const raw = params.get(name) ?? body[name];
  if (raw === null || raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(n)) throw new AppError('VALIDATION', `${name} must be a number, got '${String(raw)}'`);
  return n;
};

/** ISO 8601; a timestamp without offset is read as UTC, so the result never depends on the server's zone. */
const instantParam = (params: URLSearchParams, name: string): number | undefined => {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const withZone = /T.*(Z|[+-]\d\d:?\d\d)$/i.test(raw) || !raw.includes('T') ? raw : `${raw}Z`;
  const ms = /^\d{4}-\d\d-\d\d/.test(raw) ? Date.parse(withZone) : NaN;
  if (!Number.isFinite(ms))
    throw new AppError('VALIDATION', `${name} must be an ISO 8601 timestamp, got '${raw}'`);
  return ms;
};

/**
 * The served window, half-open [fromMs, toMs): `hours` ending now, or `since` (plus `hours` or `until`).
 * `until` is capped at now: the simulator never serves the future.
 * @throws AppError VALIDATION for unparseable values, an empty or reversed window, or one over 7 days.
 */
const parseWindow = (
  params: URLSearchParams,
  nowMs: number,
  defaultHours: number,
): { fromMs: number; toMs: number } => {
  const since = instantParam(params, 'since');
  const until = instantParam(params, 'until');
  const hoursGiven = params.get('hours') !== null && params.get('hours') !== '';
  const hours = numberParam(params, {}, 'hours', defaultHours);
  if (hours <= 0) throw new AppError('VALIDATION', `hours must be positive, got ${hours}`);
  let fromMs: number;
  let toMs: number;
  if (since === undefined) {
    if (until !== undefined) throw new AppError('VALIDATION', 'until needs since');
    toMs = nowMs;
    fromMs = nowMs - hours * 3_600_000;
  } else {
    fromMs = since;
    toMs = until ?? (hoursGiven ? since + hours * 3_600_000 : nowMs);
  }
  if (toMs - fromMs > MAX_WINDOW_HOURS * 3_600_000) {
    throw new AppError(
      'VALIDATION',
      `window too long: at most ${MAX_WINDOW_HOURS} hours (7 days) per request`,
    );
  }
  toMs = Math.min(toMs, nowMs);
  if (toMs <= fromMs)
    throw new AppError('VALIDATION', 'empty window: until must be after since, and since before now');
  return { fromMs, toMs };
};

const info = (m: MockCustomer): Record<string, unknown> => ({
  customer_id: m.customer.code,
  customer_name: m.customer.name,
  data_sharing_method: m.customer.method,
  total_facilities: m.customer.facilities.length,
  total_units: m.customer.facilities.reduce((s, f) => s + f.units.length, 0),
  data_endpoint: sourcePath(m.customer.method),
});

const served = (m: MockCustomer, params: URLSearchParams, now: Date, defaultHours: number) => {
  const { fromMs, toMs } = parseWindow(params, now.getTime(), defaultHours);
  const good = customerReadings({ seed: m.seed, customer: m.customer, fromMs, toMs, faults: m.state.faults });
  return mixBadRows(good, {
    seed: m.seed,
    customerCode: m.customer.code,
    windowFromMs: fromMs,
    rate: m.state.badDataRate,
    nowMs: now.getTime(),
  });
};

const simulate = (
  m: MockCustomer,
  verb: string,
  rest: string,
  params: URLSearchParams,
  body: Record<string, unknown>,
  nowMs: number,
): MockResponse => {
  const s = m.state;
  if (verb === 'fault' && rest) {
    let unitCode: string;
    try {
      unitCode = decodeURIComponent(rest);
    } catch {
      return detail(404, 'Not Found');
    }
    if (!unitCodes(m.customer).has(unitCode))
      return detail(404, `Unit ${unitCode} not found for customer ${m.customer.code}`);
    const minutes = numberParam(params, body, 'duration_minutes', 30);
    const delta = numberParam(params, body, 'delta', 8);
    if (minutes <= 0 || minutes > MAX_FAULT_MINUTES)
      throw new AppError('VALIDATION', `duration_minutes must be in (0, ${MAX_FAULT_MINUTES}]`);
    if (Math.abs(delta) > 60) throw new AppError('VALIDATION', 'delta must be within ±60 degrees');
    // Whole seconds, so the fault's JSON listing reproduces it exactly in another process.
    const fault: InjectedFault = {
      unitCode,
      startMs: Math.floor(nowMs / 1000) * 1000,
      durationMs: Math.round(minutes * 60_000),
      delta,
    };
    s.faults.push(fault);
    return json(201, faultToJson(fault));
  }
  if (verb === 'outage' && !rest) {
    const seconds = numberParam(params, body, 'seconds', 60);
    if (seconds < 0 || seconds > 86_400) throw new AppError('VALIDATION', 'seconds must be in [0, 86400]');
    s.outageUntilMs = nowMs + seconds * 1000;
    return json(200, { outage_until: new Date(s.outageUntilMs).toISOString() });
  }
  if (verb === 'bad-data' && !rest) {
    const rate = numberParam(params, body, 'rate', 0.05);
    if (rate < 0 || rate > 1) throw new AppError('VALIDATION', 'rate must be in [0, 1]');
    s.badDataRate = rate;
    return json(200, { rate });
  }
  if (verb === 'reset' && !rest) {
    m.state = { faults: [], outageUntilMs: 0, badDataRate: 0 };
    return json(200, { reset: true });
  }
  return detail(404, 'Not Found');
};

/** Answers one request for one mock customer. Pure apart from fault-injection state changes. */
export const handleMockRequest = (
  m: MockCustomer,
  method: string,
  rawUrl: string,
  body: Record<string, unknown>,
  now: Date,
): MockResponse => {
  const url = new URL(rawUrl, 'http://mock.invalid');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const params = url.searchParams;
  const nowMs = now.getTime();
  try {
    if (path.startsWith('/simulate/')) {
      const [verb = '', ...restParts] = path.slice('/simulate/'.length).split('/');
      if (verb === 'faults' && restParts.length === 0) {
        if (method !== 'GET') return detail(405, 'Method Not Allowed');
        return json(200, m.state.faults.map(faultToJson));
      }
      if (method !== 'POST') return detail(405, 'Method Not Allowed');
      return simulate(m, verb, restParts.join('/'), params, body, nowMs);
    }
    const known = ['/', '/health', '/temperature/current', '/data/download.csv'];
    if (!known.includes(path)) return detail(404, 'Not Found');
    if (method !== 'GET' && method !== 'HEAD') return detail(405, 'Method Not Allowed');
    if (nowMs < m.state.outageUntilMs) {
      const retry = String(Math.ceil((m.state.outageUntilMs - nowMs) / 1000));
      return json(503, { detail: 'Service unavailable (simulated outage)' }, { 'retry-after': retry });
    }
    if (path === '/') return json(200, info(m));
    if (path === '/health') {
      return json(200, {
        status: 'healthy',
        timestamp: now.toISOString(),
        customer: m.customer.code,
        total_units: info(m).total_units,
      });
    }
    if (path === '/temperature/current' && m.customer.method === 'api') {
      return json(200, jsonEnvelope(m.customer.code, now, served(m, params, now, 0.25)));
    }
    if (path === '/data/download.csv' && m.customer.method === 'csv') {
      if (m.customer.facilities.every((f) => f.units.length === 0))
        return { status: 204, headers: {}, body: '' };
      return {
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="${csvDownloadFileName(m.customer.code, now)}"`,
        },
        body: readingsToCsv(served(m, params, now, 24)),
      };
    }
    return detail(404, 'Not Found');
  } catch (e) {
    if (e instanceof AppError && e.code === 'VALIDATION') return detail(422, e.message);
    throw e;
  }
};

const MAX_BODY_BYTES = 64 * 1024;

const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AppError('VALIDATION', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text || !(req.headers['content-type'] ?? '').includes('json')) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    throw new AppError('VALIDATION', 'request body is not valid JSON');
  }
};

export interface MockServerHandle {
  mock: MockCustomer;
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface StartMockServerInput {
  customer: FleetCustomer;
  seed: string;
  host: string;
  /** 0 = any free port. */
  port: number;
  clock: Clock;
  log: Logger;
}

const listen = (server: Server, host: string, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        e.code === 'EADDRINUSE'
          ? new AppError(
              'CONFLICT',
              `port ${port} on ${host} is already in use (set SIM_PORT_START or --port-start)`,
            )
          : e,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

/** Starts the HTTP server of one mock customer. */
const startMockServer = async (input: StartMockServerInput): Promise<MockServerHandle> => {
  const mock = createMockCustomer(input.customer, input.seed);
  const log = input.log.child({ customer: input.customer.code });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    readBody(req)
      .then((body) => handleMockRequest(mock, req.method ?? 'GET', req.url ?? '/', body, input.clock.now()))
      .catch((e: unknown): MockResponse => {
        if (e instanceof AppError && e.code === 'VALIDATION') return detail(422, e.message);
        log.error({ err: e }, 'mock customer request failed');
        return detail(500, 'Internal Server Error');
      })
      .then((r) => {
        res.writeHead(r.status, r.headers);
        res.end(req.method === 'HEAD' ? undefined : r.body);
        log.debug(
          { method: req.method, url: req.url, status: r.status, ms: Math.round(performance.now() - started) },
          'request',
        );
        if (req.method === 'POST' && r.status < 300) log.info({ url: req.url }, 'fault injection');
      });
  });
  server.keepAliveTimeout = 5000;
  await listen(server, input.host, input.port);
  const port = (server.address() as AddressInfo).port;
  return {
    mock,
    port,
    url: `http://${input.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

export interface MockFleetHandle {
  servers: MockServerHandle[];
  close(): Promise<void>;
}

export interface StartMockFleetInput {
  fleet: Fleet;
  seed: string;
  host: string;
  /** Customer i listens on portStart + i; 0 = every server on any free port (tests). */
  portStart: number;
  clock: Clock;
  log: Logger;
}

/** One server per customer, all in this process; on any failure the ones already started are closed. */
export const startMockFleet = async (input: StartMockFleetInput): Promise<MockFleetHandle> => {
  const last = input.portStart + input.fleet.customers.length - 1;
  if (input.portStart !== 0 && last > 65535) {
    throw new AppError(
      'VALIDATION',
      `${input.fleet.customers.length} customers from port ${input.portStart} go past 65535`,
    );
  }
  const servers: MockServerHandle[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.close()));
  };
  try {
    for (const [i, customer] of input.fleet.customers.entries()) {
      servers.push(
        await startMockServer({ ...input, customer, port: input.portStart === 0 ? 0 : input.portStart + i }),
      );
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { servers, close };
};

/** `http://127.0.0.1:8001-8010`: a fleet's address range for banners. */
export const describeFleetUrls = (handle: MockFleetHandle, host: string): string => {
  const ports = handle.servers.map((s) => s.port);
  if (ports.length === 0) return 'no customers';
  const first = ports[0] as number;
  const last = ports.at(-1) as number;
  const contiguous = ports.every((p, i) => p === first + i);
  return contiguous && ports.length > 1
    ? `http://${host}:${first}-${last}`
    : ports.map((p) => `http://${host}:${p}`).join(', ');
};
