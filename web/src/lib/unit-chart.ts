import { api } from './api.ts';
import type { ChartBand, ChartSeries } from '../components/TimeChart.tsx';
import { COLORS, loadTrend, type Interval } from './data.ts';
import { deltaToUnit, toUnit } from './format.ts';
import type { Page, Reading, StorageUnit, TempUnit } from './types.ts';

/** What the unit page draws for a window: every reading, or server-side buckets with the allowed band. */
const H = 3600_000;
export const RANGES = [
  { key: '1h', label: '1 h', ms: H },
  { key: '24h', label: '24 h', ms: 24 * H },
  { key: '7d', label: '7 d', ms: 7 * 24 * H },
  { key: '30d', label: '30 d', ms: 30 * 24 * H },
  { key: '1y', label: '1 y', ms: 365 * 24 * H },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];

/**
 * Raw readings up to 36 h (≤ 2,160 rows of minute data); beyond that the server's hourly or daily
 * buckets (min/avg/max per bucket), so a year is 365 points, never 525,600.
 */
export const resolutionFor = (spanMs: number): 'raw' | Interval =>
  spanMs <= 36 * H ? 'raw' : spanMs <= 62 * 24 * H ? 'hour' : 'day';

/** Warning deviation from the set point when the unit has no alarm limits (system_config default, °C). */
export const DEFAULT_BAND_C = 2;

export interface ChartData {
  resolution: 'raw' | Interval;
  x: number[];
  series: ChartSeries[];
  bands: ChartBand[];
}

const loadRaw = async (unitId: string, start: Date, end: Date, unit: TempUnit, signal: AbortSignal) => {
  const rows: Reading[] = [];
  for (let offset = 0; offset < 10_000;) {
    const page = await api<Page<Reading>>(`/temperature/unit/${unitId}`, {
      query: { start_date: start.toISOString(), end_date: end.toISOString(), limit: 1000, offset, unit },
      signal,
    });
    rows.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) break;
  }
  rows.sort((a, b) => Date.parse(a.recorded_at) - Date.parse(b.recorded_at));
  return {
    x: rows.map((r) => Date.parse(r.recorded_at) / 1000),
    y: rows.map((r) => (r.temperature === null ? null : toUnit(r.temperature, r.temperature_unit, unit))),
  };
};

export const loadChart = async (
  u: StorageUnit,
  start: Date,
  end: Date,
  unit: TempUnit,
  signal: AbortSignal,
): Promise<ChartData> => {
  const resolution = resolutionFor(end.getTime() - start.getTime());
  let x: number[];
  let series: ChartSeries[];
  const bands: ChartBand[] = [];
  if (resolution === 'raw') {
    const raw = await loadRaw(u.id, start, end, unit, signal);
    x = raw.x;
    series = [{ label: 'Temperature', color: COLORS.raw, values: raw.y, width: 1.5 }];
  } else {
    const t = await loadTrend({ interval: resolution, start, end, unitId: u.id, unit }, signal);
    x = t.x;
    series = [
      { label: 'Max', color: COLORS.max, values: t.max, width: 1 },
      { label: 'Average', color: COLORS.avg, values: t.avg, width: 2 },
      { label: 'Min', color: COLORS.min, values: t.min, width: 1 },
    ];
    bands.push({ upper: 'Max', lower: 'Min', fill: COLORS.band });
  }
  const set = toUnit(u.set_temperature, u.temperature_unit, unit);
  const lowLimit = u.alarm_low_limit ?? null;
  const highLimit = u.alarm_high_limit ?? null;
  const band = deltaToUnit(DEFAULT_BAND_C, 'C', unit);
  const lo = lowLimit !== null ? toUnit(lowLimit, u.temperature_unit, unit) : set - band;
  const hi = highLimit !== null ? toUnit(highLimit, u.temperature_unit, unit) : set + band;
  if (x.length > 0) {
    series.push(
      {
        label: 'Allowed high',
        color: 'rgba(22,163,74,0.5)',
        values: x.map(() => hi),
        width: 1,
        dash: [4, 4],
        points: false,
      },
      {
        label: 'Set point',
        color: COLORS.set,
        values: x.map(() => set),
        width: 1.5,
        dash: [8, 4],
        points: false,
      },
      {
        label: 'Allowed low',
        color: 'rgba(22,163,74,0.5)',
        values: x.map(() => lo),
        width: 1,
        dash: [4, 4],
        points: false,
      },
    );
    bands.push({ upper: 'Allowed high', lower: 'Allowed low', fill: COLORS.allowed });
  }
  return { resolution, x, series, bands };
};
