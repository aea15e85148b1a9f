import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { useLive } from './live.ts';
import { getSession } from './session.ts';
import type { AlarmItem as Alarm, AlarmSeverity } from './types.ts';

/** Alarms as the dashboard lists them: open ones first, critical before warning, longest open first. */

const SEVERITY_RANK: Record<string, number> = { critical: 2, warning: 1 };

export const isOpen = (a: Pick<Alarm, 'state'>): boolean => a.state !== 'closed';
/** Every excursion must be reviewed: an alarm that cleared by itself still waits for an acknowledgement. */
export const needsAck = (a: Pick<Alarm, 'acknowledged_at'>): boolean => !a.acknowledged_at;
export const isShelved = (a: Pick<Alarm, 'shelved_until'>, now = Date.now()): boolean =>
  !!a.shelved_until && Date.parse(a.shelved_until) > now;

/** Open before closed, then critical before warning, then the oldest start first (waiting longest). */
export const compareAlarms = (a: Alarm, b: Alarm): number =>
  Number(isOpen(b)) - Number(isOpen(a)) ||
  (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) ||
  Date.parse(a.started_at) - Date.parse(b.started_at);

export const KIND_LABEL: Record<string, string> = {
  high: 'High temperature',
  low: 'Low temperature',
  no_data: 'No data',
  sensor_failure: 'Sensor failure',
  predicted_breach: 'Predicted breach',
  source_down: 'Source down',
};
export const kindLabel = (kind: string): string => KIND_LABEL[kind] ?? kind;

export const STATE_LABEL: Record<string, string> = {
  active: 'Active',
  acknowledged: 'Acknowledged',
  cleared: 'Cleared, not acknowledged',
  closed: 'Closed',
};

/** "2 h 05 min", "45 s": a duration for people. */
export const fmtDuration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
};

/** From the start to the clear, or to now while the condition lasts. */
export const alarmDurationMs = (a: Pick<Alarm, 'started_at' | 'cleared_at'>, now = Date.now()): number =>
  (a.cleared_at ? Date.parse(a.cleared_at) : now) - Date.parse(a.started_at);

// ---------- the open-alarm count in the header ----------

export interface OpenCount {
  total: number;
  critical: number;
}

/** Admins see every customer's alarms; customers their own. */
export const alarmsPath = (): string => (getSession()?.role === 'admin' ? '/admin/alarms' : '/alarms');

let version = 0;
const listeners = new Set<(v: number) => void>();
/** Counts again now (after an acknowledgement or a shelve), instead of at the next poll. */
export const refreshAlarmCounts = (): void => {
  version += 1;
  listeners.forEach((fn) => fn(version));
};
/** Changes after each refreshAlarmCounts(): a dependency that reloads open-alarm figures. */
const useAlarmChanges = (): number => {
  const [v, set] = useState(version);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return v;
};

const COUNT_INTERVAL_MS = 30_000;

/**
 * Open alarms, in total and critical: two one-row pages whose `total` is the count. Customers count
 * again with each live poll (every 15 s while the tab is visible); admins, who have no live poll, every 30 s.
 */
export const useOpenAlarmCount = (): OpenCount | null => {
  const live = useLive();
  const changed = useAlarmChanges();
  const [count, setCount] = useState<OpenCount | null>(null);
  const [tick, setTick] = useState(0);
  const admin = getSession()?.role === 'admin';
  useEffect(() => {
    if (!admin) return;
    const timer = setInterval(() => !document.hidden && setTick((t) => t + 1), COUNT_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [admin]);
  useEffect(() => {
    const ctl = new AbortController();
    const path = alarmsPath();
    const page = (severity?: AlarmSeverity) =>
      api<{ total: number }>(path, { query: { state: 'open', severity, limit: 1 }, signal: ctl.signal });
    Promise.all([page(), page('critical')]).then(
      ([all, crit]) => setCount({ total: all.total, critical: crit.total }),
      () => undefined, // the header keeps its last count; the alarms page shows the error
    );
    return () => ctl.abort();
  }, [live.updatedAt, tick, changed]);
  return count;
};
