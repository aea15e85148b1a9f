import { api, apiAll } from './api.ts';
import { TIME_ZONE, toUnit } from './format.ts';
import type { LiveState } from './live.ts';
import type { AggregationResult, Facility, StorageUnit, TempUnit, UnitStatus } from './types.ts';

export interface UnitRow extends StorageUnit {
  facility: Facility;
}

/** Every unit of the caller with its facility (one request per facility; fleets are small). */
export const loadUnits = async (
  unit: TempUnit,
  signal?: AbortSignal,
): Promise<{ facilities: Facility[]; units: UnitRow[] }> => {
  const facilities = await apiAll<Facility>('/facilities');
  const perFacility = await Promise.all(
    facilities.map(async (f) => {
      const units = await apiAll<StorageUnit>(`/facilities/${f.id}/units`, { unit });
      return units.map((u) => ({ ...u, facility: f }));
    }),
  );
  signal?.throwIfAborted();
  return { facilities, units: perFacility.flat() };
};

export const unitLabel = (u: Pick<StorageUnit, 'name' | 'unit_code'>): string => u.name || u.unit_code;
export const facilityLabel = (f: Pick<Facility, 'name' | 'facility_code'>): string =>
  f.name || f.facility_code;

const STATUS_RANK: Record<UnitStatus, number> = {
  critical: 4,
  warning: 3,
  offline: 2,
  unknown: 1,
  normal: 0,
};

/** The worst status among units (a facility's status). */
export const worstStatus = (statuses: (UnitStatus | null)[]): UnitStatus => {
  let worst: UnitStatus = statuses.length ? 'normal' : 'unknown';
  for (const s of statuses) {
    const v = s ?? 'unknown';
    if (STATUS_RANK[v] > STATUS_RANK[worst]) worst = v;
  }
  return worst;
};

export const countStatuses = (statuses: (UnitStatus | null)[]): Record<UnitStatus, number> => {
  const c: Record<UnitStatus, number> = { normal: 0, warning: 0, critical: 0, offline: 0, unknown: 0 };
  for (const s of statuses) c[s ?? 'unknown'] += 1;
  return c;
};

export type Interval = 'hour' | 'day' | 'week' | 'month';

export interface Series {
  x: number[];
  avg: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  count: number[];
  unit: TempUnit;
}

/** Aggregation rows (trends API) as aligned chart arrays in the display unit. */
export const toSeries = (rows: AggregationResult[], interval: Interval, unit: TempUnit): Series => {
  const s: Series = { x: [], avg: [], min: [], max: [], count: [], unit };
  const sorted = rows
    .map((r) => {
      const key =
        r.group_key[interval] ??
        Object.values(r.group_key).find((v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)));
      return { t: key ? Date.parse(key) / 1000 : NaN, r };
    })
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  const conv = (v: number | null, from: TempUnit | undefined) => (v === null ? null : toUnit(v, from, unit));
  for (const { t, r } of sorted) {
    s.x.push(t);
    s.avg.push(conv(r.metrics.avg_temperature, r.temperature_unit));
    s.min.push(conv(r.metrics.min_temperature, r.temperature_unit));
    s.max.push(conv(r.metrics.max_temperature, r.temperature_unit));
    s.count.push(r.metrics.reading_count);
  }
  return s;
};

export interface TrendQuery {
  interval: Interval;
  start: Date;
  end: Date;
  facilityId?: string;
  unitId?: string;
  unit: TempUnit;
}

export const loadTrend = async (q: TrendQuery, signal?: AbortSignal): Promise<Series> => {
  const rows = await api<AggregationResult[]>('/analytics/temperature/trends', {
    query: {
      interval: q.interval,
      start_date: q.start.toISOString(),
      end_date: q.end.toISOString(),
      facility_id: q.facilityId,
      unit_id: q.unitId,
      unit: q.unit,
      tz: TIME_ZONE,
    },
    signal,
  });
  return toSeries(rows, q.interval, q.unit);
};

export const COLORS = {
  avg: '#1d4ed8',
  min: '#0891b2',
  max: '#dc2626',
  band: 'rgba(29, 78, 216, 0.14)',
  set: '#15803d',
  allowed: 'rgba(22, 163, 74, 0.10)',
  raw: '#1d4ed8',
};

export interface Current {
  temperature: number | null;
  unit: TempUnit | null;
  at: string | null;
  live: boolean;
}

/** A unit's current temperature: the live poll's reading when it is newer than the page's data. */
export const currentOf = (
  u: StorageUnit,
  byUnit: Map<string, { temperature: number | null; temperature_unit: TempUnit; recorded_at: string }>,
): Current => {
  const l = byUnit.get(u.id);
  if (l && (!u.last_reading_time || Date.parse(l.recorded_at) > Date.parse(u.last_reading_time)))
    return { temperature: l.temperature, unit: l.temperature_unit, at: l.recorded_at, live: true };
  return {
    temperature: u.current_temperature,
    unit: u.current_temperature_unit ?? u.temperature_unit,
    at: u.last_reading_time,
    live: false,
  };
};

/**
 * A unit's status as shown: offline once its newest reading is overdue (the live poll says so, or
 * it is older than the feed's overdue limit), even when the page loaded the unit while it was
 * fresh; otherwise the API's status.
 */
export const shownStatus = (
  u: Pick<StorageUnit, 'id' | 'temperature_status' | 'last_reading_time'>,
  live: Pick<LiveState, 'byUnit' | 'feed'>,
  now = Date.now(),
): UnitStatus => {
  const l = live.byUnit.get(u.id);
  if (l?.overdue) return 'offline';
  const last = [l?.recorded_at, u.last_reading_time].reduce<number>(
    (m, t) => (t ? Math.max(m, Date.parse(t)) : m),
    -Infinity,
  );
  const limit = live.feed ? live.feed.overdue_after_minutes * 60_000 : null;
  if (limit !== null && Number.isFinite(last) && now - last > limit) return 'offline';
  return u.temperature_status ?? 'unknown';
};
