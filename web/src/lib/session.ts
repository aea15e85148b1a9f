import type { TempUnit } from './types.ts';

/**
 * The API token lives in sessionStorage: it survives a reload of this tab, is not shared with
 * other tabs, and is gone when the tab closes or on logout. It is never put in a URL (the router
 * is hash-based and carries only page names and ids) and never logged. localStorage would keep it
 * on disk across browser restarts, a cookie would need a server session and CSRF protection.
 */
const TOKEN_KEY = 'tms.token';
const ROLE_KEY = 'tms.role';
const NAME_KEY = 'tms.name';
const UNIT_KEY = 'tms.unit';

export type Role = 'customer' | 'admin';

export interface Session {
  token: string;
  role: Role;
  name: string;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let flash: string | null = null;

export const onSessionChange = (fn: Listener): (() => void) => {
  listeners.add(fn);
  return () => listeners.delete(fn);
};
const notify = () => listeners.forEach((fn) => fn());

export const getSession = (): Session | null => {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const role = sessionStorage.getItem(ROLE_KEY);
  if (!token || (role !== 'customer' && role !== 'admin')) return null;
  return { token, role, name: sessionStorage.getItem(NAME_KEY) ?? '' };
};

export const saveSession = (s: Session): void => {
  sessionStorage.setItem(TOKEN_KEY, s.token);
  sessionStorage.setItem(ROLE_KEY, s.role);
  sessionStorage.setItem(NAME_KEY, s.name);
  notify();
};

export const setSessionName = (name: string): void => {
  sessionStorage.setItem(NAME_KEY, name);
  notify();
};

/** Forgets the token; `message` is shown once on the login page. */
export const endSession = (message?: string): void => {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ROLE_KEY);
  sessionStorage.removeItem(NAME_KEY);
  flash = message ?? null;
  notify();
};

export const takeFlash = (): string | null => {
  const m = flash;
  flash = null;
  return m;
};

/** The °C/°F choice is a display preference, kept across sessions. */
export const getUnit = (): TempUnit => (localStorage.getItem(UNIT_KEY) === 'F' ? 'F' : 'C');
export const setUnit = (u: TempUnit): void => {
  localStorage.setItem(UNIT_KEY, u);
  notify();
};
