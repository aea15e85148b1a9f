import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { getSession, getUnit } from './session.ts';
import type { CustomerDetail, Feed, LatestReading } from './types.ts';

/**
 * Live current temperatures and feed health: one poll of `/temperature/latest` and of the
 * profile's `feed` every 15 s for the whole app, paused while the tab is hidden (and resumed at
 * once when it shows again). Pages read the newest reading per unit from here, so current values
 * change without a reload, and the header and banner say when the data itself is old.
 */
export const LIVE_INTERVAL_MS = 15_000;

export interface LiveState {
  byUnit: Map<string, LatestReading>;
  /** When the dashboard last heard from the API (not how new the data is: see `feed`). */
  updatedAt: number | null;
  error: string | null;
  feed: Feed | null;
}

const EMPTY: LiveState = { byUnit: new Map(), updatedAt: null, error: null, feed: null };
let state: LiveState = EMPTY;

/**
 * The feed as the API reports it; an API without `feed` (before issue 10) gets an estimate from
 * the newest reading and the collection period, with the API's rule (overdue after 2 periods + 5 min).
 */
export const feedOf = (p: CustomerDetail, rows: LatestReading[], now = Date.now()): Feed => {
  if (p.feed) return p.feed;
  const newest = rows.reduce<string | null>(
    (m, r) => (!m || Date.parse(r.recorded_at) > Date.parse(m) ? r.recorded_at : m),
    p.last_reading_time,
  );
  const period = p.data_frequency_seconds / 60;
  const overdue = 2 * period + 5;
  const stale = newest !== null && now - Date.parse(newest) > overdue * 60_000;
  return {
    status: newest === null ? 'unknown' : stale ? 'stale' : 'live',
    newest_reading_at: newest,
    collection_period_minutes: period,
    overdue_after_minutes: overdue,
    last_run_at: null,
    last_run_status: null,
    last_error: null,
  };
};
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
    const [rows, profile] = await Promise.all([
      api<LatestReading[]>('/temperature/latest', { query: { limit: 100, unit: getUnit() } }),
      api<CustomerDetail>('/customers/profile'),
    ]);
    publish({
      byUnit: new Map(rows.map((r) => [r.storage_unit_id, r])),
      updatedAt: Date.now(),
      error: null,
      feed: feedOf(profile, rows),
    });
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
  publish(EMPTY);
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
