import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { AppError } from '../lib/errors.ts';

export interface FetchLimits {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxBytes: number;
}

// Cloud metadata endpoints and link-local ranges: a source URL pointing there is an SSRF attempt.
// Loopback and private ranges stay allowed: the simulator and on-premise gateways live there, and
// only admins can set source URLs.
const BLOCKED_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);
const BLOCKED_IPS = new Set(['100.100.100.200', 'fd00:ec2::254', '168.63.129.16']);

/** True for an address our collectors must never connect to (link-local, cloud metadata). */
export const isForbiddenAddress = (ip: string): boolean => {
  let a = ip.toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1]!;
  if (BLOCKED_IPS.has(a)) return true;
  if (net.isIPv4(a)) return a.startsWith('169.254.') || a === '0.0.0.0';
  if (net.isIPv6(a)) return /^fe[89ab]/.test(a) || a === '::';
  return false;
};

/**
 * Checks a source URL before any connection: http(s) only, no credentials in it, not a metadata host
 * or a link-local / metadata IP literal. (Names are checked again after DNS resolution.)
 * @throws AppError VALIDATION naming the problem.
 */
export const assertFetchableUrl = (raw: string): URL => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('VALIDATION', `source URL '${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AppError(
      'VALIDATION',
      `source URL protocol ${url.protocol} is not allowed (http or https only)`,
    );
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (BLOCKED_HOSTS.has(host) || isForbiddenAddress(host))
    throw new AppError('VALIDATION', `source URL host ${url.hostname} is a link-local or metadata address`);
  return url;
};

const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isForbiddenAddress(a.address));
    if (bad) {
      const e = Object.assign(new Error(`${hostname} resolves to forbidden address ${bad.address}`), {
        code: 'EFORBIDDEN',
      });
      return callback(e, '', 0);
    }
    if ((options as { all?: boolean }).all)
      return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};

export interface SourceResponse {
  status: number;
  contentType: string;
  /** The body, cut off with an error when it exceeds maxBytes or the total timeout passes. */
  body: Readable;
}

/**
 * GETs a customer source with a connect timeout, a total timeout (covering the whole body) and a
 * maximum body size, refusing link-local and metadata addresses also after DNS resolution.
 * Non-2xx answers become errors with the status and the start of the body.
 * @throws AppError VALIDATION (forbidden URL) or UPSTREAM_UNAVAILABLE (network, timeout, status).
 */
export const fetchSource = async (rawUrl: string, limits: FetchLimits): Promise<SourceResponse> => {
  const url = assertFetchableUrl(rawUrl);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    };
    const req = lib.get(url, { lookup: guardedLookup, agent: false, headers: { accept: '*/*' } });
    const connectTimer = setTimeout(
      () =>
        req.destroy(
          new AppError(
            'UPSTREAM_UNAVAILABLE',
            `connect timeout after ${limits.connectTimeoutMs} ms: ${url.host}`,
          ),
        ),
      limits.connectTimeoutMs,
    );
    const totalTimer = setTimeout(
      () =>
        req.destroy(
          new AppError(
            'UPSTREAM_UNAVAILABLE',
            `request timed out after ${limits.totalTimeoutMs} ms: ${url.origin}${url.pathname}`,
          ),
        ),
      limits.totalTimeoutMs,
    );
    req.on('socket', (s) => {
      s.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      if (e instanceof AppError) return fail(e);
      if (e.code === 'EFORBIDDEN') return fail(new AppError('VALIDATION', e.message));
      fail(new AppError('UPSTREAM_UNAVAILABLE', `cannot reach ${url.host}: ${e.code ?? e.message}`));
    });
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        req.destroy();
        clearTimeout(totalTimer);
        return fail(
          new AppError(
            'UPSTREAM_UNAVAILABLE',
            `response of ${declared} bytes exceeds the limit of ${limits.maxBytes}`,
          ),
        );
      }
      let seen = 0;
      const capped = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          seen += chunk.length;
          if (seen > limits.maxBytes)
            cb(
              new AppError('UPSTREAM_UNAVAILABLE', `response exceeds the limit of ${limits.maxBytes} bytes`),
            );
          else cb(null, chunk);
        },
      });
      res.on('error', (e) => capped.destroy(e));
      req.on('error', (e) => capped.destroy(e));
      // Readers see errors through their iterator; this listener keeps a late one from crashing us.
      capped.on('error', () => req.destroy());
      res.pipe(capped);
      capped.on('close', () => clearTimeout(totalTimer));
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        readAll(capped, 4096)
          .catch(() => Buffer.alloc(0))
          .then((b) =>
            fail(
              new AppError(
                'UPSTREAM_UNAVAILABLE',
                `source answered HTTP ${status}: ${b.toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim()}`,
              ),
            ),
          );
        return;
      }
      settled = true;
      resolve({ status, contentType: String(res.headers['content-type'] ?? ''), body: capped });
    });
  });
};

/** Reads a stream to the end (at most `limit` bytes kept). */
export const readAll = async (body: Readable, limit = Infinity): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(c);
    size += c.length;
  }
  return Buffer.concat(chunks);
};
