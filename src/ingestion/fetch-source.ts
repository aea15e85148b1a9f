import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { AppError } from '../lib/errors.ts';
import { assertFetchableUrl, isForbiddenAddress } from './address-guard.ts';

export { assertFetchableUrl };

export interface FetchLimits {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxBytes: number;
}

type Resolve = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * A socket lookup that resolves every address of a name and refuses the connection (code EFORBIDDEN)
 * when any answer is forbidden, whatever its notation: a name pointing at metadata is as bad as the
 * literal. `resolve` is dns.lookup; tests pass their own answers.
 */
export const guardLookup =
  (resolve: Resolve = dns.lookup): net.LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, list) => {
      if (err) return callback(err, '', 0);
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

const guardedLookup = guardLookup();

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
      capped.on('close', () => {
        clearTimeout(totalTimer);
        // A reader that stops early (row cap, parse error) destroys the body: drop the connection
        // too, or the source would keep it open and sending.
        if (!res.complete) req.destroy();
      });
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
