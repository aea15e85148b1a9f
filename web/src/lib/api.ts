import { endSession, getSession } from './session.ts';

/** An API failure with the message to show: the API's `detail`, or what went wrong on the way. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Use this token instead of the session's (the login probe). */
  token?: string;
  /** Don't end the session on 401 (the login probe reports it itself). */
  noLogout?: boolean;
}

const API_BASE = '/api/v1';

const buildUrl = (path: string, query?: Query): string => {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {}))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const q = qs.toString();
  return `${path.startsWith('/api/') || path.startsWith('/health') ? path : API_BASE + path}${q ? `?${q}` : ''}`;
};

const detailOf = async (res: Response): Promise<string> => {
  try {
    const body = (await res.json()) as { detail?: unknown };
    const d = body.detail;
    if (typeof d === 'string') return d;
    if (Array.isArray(d))
      return d
        .map(
          (e: { loc?: unknown[]; msg?: string }) =>
            `${(e.loc ?? []).slice(1).join('.') || 'request'}: ${e.msg ?? 'invalid'}`,
        )
        .join('; ');
  } catch {
    // not JSON: fall through
  }
  return `${res.status} ${res.statusText || 'error'}`;
};

const send = async (path: string, opts: RequestOptions): Promise<Response> => {
  const token = opts.token ?? getSession()?.token;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
      cache: 'no-store',
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'The API is not reachable: is tms running? Check your connection and try again.');
  }
  if (res.ok) return res;
  const detail = await detailOf(res);
  if (res.status === 401 && !opts.noLogout) {
    endSession(`You were signed out: the API refused the token (${detail}).`);
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    throw new ApiError(res.status, `The API is unavailable (${res.status}): ${detail}`);
  }
  throw new ApiError(res.status, detail);
};

/** Calls the REST API with the session's bearer token and returns the parsed JSON. */
export const api = async <T>(path: string, opts: RequestOptions = {}): Promise<T> => {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
};

/** Calls the REST API and returns the body as a Blob plus the server's file name (CSV export). */
export const apiBlob = async (
  path: string,
  opts: RequestOptions = {},
): Promise<{ blob: Blob; filename: string | null }> => {
  const res = await send(path, { ...opts });
  const cd = res.headers.get('content-disposition') ?? '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return { blob: await res.blob(), filename: m?.[1] ? decodeURIComponent(m[1]) : null };
};

/** Every page of a paginated endpoint (bounded, for small lists such as facilities and units). */
export const apiAll = async <T>(path: string, query: Query = {}, maxPages = 20): Promise<T[]> => {
  const out: T[] = [];
  for (let offset = 0, i = 0; i < maxPages; i++) {
    const page = await api<{ items: T[]; total: number }>(path, { query: { ...query, limit: 1000, offset } });
    out.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) break;
  }
  return out;
};
