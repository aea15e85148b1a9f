import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { getSession, getUnit } from './session.ts';
import type { Reading } from './types.ts';

/**
 * Live current temperatures: one poll of `/temperature/latest` every 15 s for the whole app,
 * paused while the tab is hidden (and resumed at once when it shows again). Pages read the newest
 * reading per unit from here, so current values change without a reload.
 */
export const LIVE_INTERVAL_MS = 15_000;

export interface LiveState {
  byUnit: Map<string, Reading>;
  updatedAt: number | null;
  error: string | null;
}

let state: LiveState = { byUnit: new Map(), updatedAt: null, error: null };
const listeners = new Set<(s: LiveState) => void>();
let timer: ReturnType<typeof setTimeout> | null = null;
let running = false;

const publish = (next: LiveState) => {
  state = next;
  listeners.forEach((fn) => fn(state));
};

const poll = async (): Promise<void> => {
  timer = null;
  const s = getSession();
  if (!running || !s || s.role !== 'customer') return;
  if (document.hidden) return; // resumed by visibilitychange
  try {
    const rows = await api<Reading[]>('/temperature/latest', { query: { limit: 100, unit: getUnit() } });
    publish({ byUnit: new Map(rows.map((r) => [r.storage_unit_id, r])), updatedAt: Date.now(), error: null });
  } catch (e) {
    publish({ ...state, error: (e as Error).message });
  }
  if (running && !document.hidden && timer === null) timer = setTimeout(() => void poll(), LIVE_INTERVAL_MS);
};

const onVisibility = () => {
  if (!running) return;
  if (document.hidden) {
    if (timer) clearTimeout(timer);
    timer = null;
  } else if (timer === null) {
    void poll();
  }
};

export const startLive = (): void => {
  if (running) return;
  running = true;
  document.addEventListener('visibilitychange', onVisibility);
  void poll();
};

export const stopLive = (): void => {
  running = false;
  if (timer) clearTimeout(timer);
  timer = null;
  document.removeEventListener('visibilitychange', onVisibility);
  publish({ byUnit: new Map(), updatedAt: null, error: null });
};

/** Polls again now (after a °C/°F switch). */
export const refreshLive = (): void => {
  if (!running) return;
  if (timer) clearTimeout(timer);
  timer = null;
  void poll();
};

export const useLive = (): LiveState => {
  const [s, set] = useState(state);
  useEffect(() => {
    listeners.add(set);
    set(state);
    return () => void listeners.delete(set);
  }, []);
  return s;
};
