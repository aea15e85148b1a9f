import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { etagMatches, normalizedUrl, pickEncoding, weakEtagOf, type ContentCoding } from './conditional.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * How this GET's answers are kept (plugins/response-cache.ts): `rollup`, figures from the
     * rollups, kept for the TTL and marked `max-age` for the client; `live`, answers that move with
     * every new reading (latest, reading pages, units), kept only while reading changes are heard.
     */
    cache?: 'rollup' | 'live';
  }
}

/** What changed in the readings: these customers', or everyone's (db/reading-changes.ts). */
export interface ChangeFeed {
  readonly live: boolean;
  onChange(fn: (change: readonly string[] | 'all') => void): void;
}

export interface ResponseCacheOptions {
  /** How long an answer is served from memory; 0: never (ETag and compression still apply). */
  ttlMs: number;
  /** Memory bound of the kept answers (serialized bodies, ~2 bytes per character). Default 64 MiB. */
  maxBytes?: number;
  /** Reading changes: a customer's kept answers are dropped when its readings change. */
  changes?: ChangeFeed;
  /** Smaller bodies are sent uncompressed. Default 1,024 characters. */
  minCompressBytes?: number;
}

interface Entry {
  body: string;
  etag: string;
  customerId: string;
  /** The generations it was computed under: a change of either makes it stale. */
  epoch: number;
  generation: number;
  storedAt: number;
  encoded: Partial<Record<ContentCoding, Buffer>>;
}

interface RequestState {
  hit?: Entry;
  key?: string;
  /** Set on the request computing `key` while others wait for it: settles with what it kept. */
  settle?: (e: Entry | undefined) => void;
  customerId?: string;
  epoch?: number;
  generation?: number;
}

/** Synchronous below this: a 60 kB body takes ~0.2 ms, less than a hop to the thread pool. */
const SYNC_COMPRESS_LIMIT = 256 * 1024;
const gzipAsync = promisify(zlib.gzip);
const brotliAsync = promisify(zlib.brotliCompress);
// Quality 4 compresses JSON about as fast as gzip's default level, and ~25 % smaller.
const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } };

const encode = async (coding: ContentCoding, body: string): Promise<Buffer> => {
  if (body.length <= SYNC_COMPRESS_LIMIT)
    return coding === 'br' ? zlib.brotliCompressSync(body, BROTLI) : zlib.gzipSync(body);
  return coding === 'br' ? brotliAsync(body, BROTLI) : gzipAsync(body);
};

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The read path's HTTP caching, for GET answers in JSON:
 * - every authenticated 200 carries a weak ETag of its body, `Vary: Authorization, Accept-Encoding`
 *   and `Cache-Control: private, no-cache` (`private, max-age=<rest of the TTL>` for `rollup`
 *   routes); a matching `If-None-Match` gets 304 without a body;
 * - bodies of 1 kB and more are sent brotli- or gzip-compressed when the client accepts it;
 * - routes marked `config.cache` keep their serialized (and compressed) answers in memory for the
 *   TTL, keyed by the token's effective scope (customer + accessible units) and the normalized URL,
 *   so a repeated dashboard poll costs no query and no serialization; one request computes a
 *   missing answer for all, and an expired one is refreshed by one while the others get it. A customer's kept answers are
 *   dropped when its readings change (the change feed, any process) or when it writes through this
 *   process; `live` answers are kept only while the change feed is connected.
 * Registered after authentication, before the heavy-request limit (a kept answer takes no slot).
 */
export const registerResponseCache = (app: FastifyInstance, opts: ResponseCacheOptions): void => {
  const ttlMs = opts.ttlMs;
  const minCompress = opts.minCompressBytes ?? 1024;
  const cache =
    ttlMs > 0
      ? new LRUCache<string, Entry>({
          maxSize: opts.maxBytes ?? 64 * 1024 * 1024,
          sizeCalculation: (e) => e.body.length * 2 + 512,
          // Fresh for ttlMs; then, for as long again, served only while its refresh is computed.
          ttl: 2 * ttlMs,
        })
      : undefined;
  let epoch = 0;
  const generations = new Map<string, number>();
  const generationOf = (customerId: string) => generations.get(customerId) ?? 0;
  const changed = (customerId: string) => generations.set(customerId, generationOf(customerId) + 1);
  opts.changes?.onChange((c) => {
    if (c === 'all') {
      epoch++;
      generations.clear();
      cache?.clear();
    } else for (const id of c) changed(id);
  });
  const states = new WeakMap<FastifyRequest, RequestState>();
  const current = (e: Entry) => e.epoch === epoch && e.generation === generationOf(e.customerId);
  // One computation per key at a time: when an answer is missing (or was dropped), the requests
  // arriving while it is computed wait for it instead of each querying and serializing (a burst
  // that put the p99 at 60-110 ms at 1,000 req/s while p50 was 5 ms). An answer that merely
  // expired is refreshed by the first request after expiry while the others still get it
  // (stale-while-revalidate), so expiry costs no one else any waiting.
  const computing = new Map<string, Promise<Entry | undefined>>();

  app.addHook('onRequest', async (req, reply) => {
    const kind = req.routeOptions.config?.cache;
    if (!cache || !kind || req.method !== 'GET') return;
    if (kind === 'live' && !opts.changes?.live) return;
    const p = req.principal;
    if (p?.kind !== 'customer') return;
    const units = p.accessibleUnits.length ? [...p.accessibleUnits].sort().join(',') : '*';
    const key = `${p.customerId}|${units}\n${normalizedUrl(req.url)}`;
    let hit = cache.get(key);
    const usable = hit !== undefined && current(hit);
    if (usable && (Date.now() - hit!.storedAt < ttlMs || computing.has(key))) {
      states.set(req, { hit });
      return reply.code(200).type(JSON_TYPE).send(hit!.body);
    }
    // No await between here and registering below, unless someone is computing it already.
    const pending = usable ? undefined : computing.get(key);
    if (pending) {
      hit = await pending;
      if (hit && current(hit)) {
        states.set(req, { hit });
        return reply.code(200).type(JSON_TYPE).send(hit.body);
      }
    }
    const st: RequestState = { key, customerId: p.customerId, epoch, generation: generationOf(p.customerId) };
    if (!computing.has(key)) {
      let resolve!: (e: Entry | undefined) => void;
      computing.set(key, new Promise((r) => (resolve = r)));
      st.settle = (e) => {
        st.settle = undefined;
        computing.delete(key);
        resolve(e);
      };
      // Settled by onSend when kept; otherwise (an error, a 404, a client gone) when the response
      // ends or its socket closes, whichever comes first.
      reply.raw.once('close', () => st.settle?.(undefined));
    }
    states.set(req, st);
  });

  // Runs after the security headers' hook (registered earlier), so its Cache-Control wins.
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    if (!String(reply.getHeader('content-type') ?? '').includes('json')) return payload;
    const st = states.get(req);
    let entry = st?.hit;
    if (!entry) {
      entry = {
        body: payload,
        etag: weakEtagOf(payload),
        customerId: st?.customerId ?? '',
        epoch: st?.epoch ?? -1,
        generation: st?.generation ?? -1,
        storedAt: Date.now(),
        encoded: {},
      };
      // Not kept when the readings changed while it was computed: it may predate the change.
      if (st?.key && st.epoch === epoch && st.generation === generationOf(entry.customerId)) {
        cache?.set(st.key, entry);
        st.settle?.(entry);
      }
    }
    const scope = req.routeOptions.config?.scope;
    if (scope && scope !== 'public') {
      reply.header('etag', entry.etag);
      const kind = req.routeOptions.config?.cache;
      const maxAge = Math.floor((entry.storedAt + ttlMs - Date.now()) / 1000);
      reply.header(
        'cache-control',
        kind === 'rollup' && ttlMs > 0 ? `private, max-age=${Math.max(0, maxAge)}` : 'private, no-cache',
      );
      reply.header('vary', 'Authorization, Accept-Encoding');
      if (etagMatches(req.headers['if-none-match'], entry.etag)) {
        reply.code(304);
        reply.removeHeader('content-type');
        return '';
      }
    } else reply.header('vary', 'Accept-Encoding');
    const coding =
      entry.body.length >= minCompress ? pickEncoding(req.headers['accept-encoding']) : undefined;
    if (!coding) return entry.body;
    const encoded = (entry.encoded[coding] ??= await encode(coding, entry.body));
    reply.header('content-encoding', coding);
    return encoded;
  });

  app.addHook('onResponse', async (req) => {
    states.get(req)?.settle?.(undefined);
  });

  // A customer's own write through this process (a reading, a unit's limits) shows at once here;
  // other processes learn it from the change feed, if the writer announces it, else after the TTL.
  // Before the answer leaves: a client that reads right after its write finds the kept answers gone.
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.method === 'GET' || req.method === 'HEAD' || reply.statusCode >= 400) return payload;
    const p = req.principal;
    if (p?.kind === 'customer') changed(p.customerId);
    // An admin write may touch any customer's units or facilities: nothing kept survives it.
    else if (p?.kind === 'admin') {
      epoch++;
      cache?.clear();
    }
    return payload;
  });
};
