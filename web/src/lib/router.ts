import { useEffect, useState } from 'preact/hooks';

/** Hash routes: `#/units/<id>?range=24h`. Only page names, ids and filters go in the URL, never a token. */
export interface Route {
  path: string;
  parts: string[];
  query: URLSearchParams;
}

const parseHash = (hash: string): Route => {
  const raw = hash.replace(/^#/, '') || '/';
  const [p = '/', q = ''] = raw.split('?');
  const path = p.startsWith('/') ? p : `/${p}`;
  return {
    path,
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(q),
  };
};

export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
};

export const href = (path: string, query?: Record<string, string | undefined>): string => {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) qs.set(k, v);
  const q = qs.toString();
  return `#${path}${q ? `?${q}` : ''}`;
};

export const navigate = (path: string, query?: Record<string, string | undefined>): void => {
  location.hash = href(path, query);
};

/** Replaces the query part of the current route without adding a history entry. */
export const replaceQuery = (route: Route, query: Record<string, string | undefined>): void => {
  history.replaceState(null, '', href(route.path, query));
  dispatchEvent(new HashChangeEvent('hashchange'));
};
