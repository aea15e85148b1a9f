import { createHash } from 'node:crypto';

/**
 * A weak validator of a serialized body: the same JSON gives the same tag on every API process, and
 * the gzip and brotli forms of one body share it (weak: equal content, not equal bytes).
 */
export const weakEtagOf = (body: string): string =>
  `W/"${createHash('sha1').update(body).digest('base64url').slice(0, 27)}"`;

/** True when `If-None-Match` names this tag (weak comparison, RFC 9110 §13.1.2) or is `*`. */
export const etagMatches = (ifNoneMatch: string | undefined, etag: string): boolean => {
  if (!ifNoneMatch) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const mine = opaque(etag);
  for (const t of ifNoneMatch.split(',')) {
    const o = opaque(t);
    if (o === '*' || o === mine) return true;
  }
  return false;
};

export type ContentCoding = 'br' | 'gzip';

/**
 * The coding to send from an `Accept-Encoding` header: brotli when accepted, else gzip, else none
 * (identity). A coding with q=0 is refused; `*` accepts both.
 */
export const pickEncoding = (acceptEncoding: string | undefined): ContentCoding | undefined => {
  if (!acceptEncoding) return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const v = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(v) ? v : 0);
  }
  const accepted = (c: ContentCoding) => (q.get(c) ?? q.get('*') ?? 0) > 0;
  if (accepted('br')) return 'br';
  if (accepted('gzip')) return 'gzip';
  return undefined;
};

/**
 * The query string of a URL in a canonical order, so `?a=1&b=2` and `?b=2&a=1` share a cache entry.
 * Values keep their order within one name (repeated names are arrays).
 */
export const normalizedUrl = (url: string): string => {
  const i = url.indexOf('?');
  if (i < 0) return url;
  const params = [...new URLSearchParams(url.slice(i + 1))];
  if (params.length === 0) return url.slice(0, i);
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `${url.slice(0, i)}?${new URLSearchParams(params).toString()}`;
};
