import { createHash } from 'node:crypto';
import { readingPoints } from '../db/compliance-repo.ts';
import {
  alarmsInWindow,
  hourlyEnvelope,
  readingGaps,
  unitDataHash,
  type GapRow,
  type ReportAlarmRow,
  type ReportUnitRow,
} from '../db/reports-repo.ts';
import type { ComplianceFigures } from '../domain/compliance.ts';
import { HOUR_MS } from '../domain/compliance-rollups.ts';
import type { TemperatureUnit } from '../domain/units.ts';
import type { UnitCompliance } from '../readings/compliance.ts';
import type { FeatureContext } from '../readings/context.ts';

// What a report shows, gathered once and drawn by the PDF or written by the CSV renderer: the compliance
// figures (readings/compliance.ts, the same as GET /analytics/compliance), the chart's series, the gaps,
// the alarms with their acknowledgements, and the hash of the data.

/** Up to this span the chart draws every reading; beyond, a min/max envelope from the hourly rollups. */
export const RAW_CHART_MAX_MS = 48 * HOUR_MS;
/** At most this many envelope buckets per chart (hours are merged beyond): a year draws as fast as a day. */
const MAX_BUCKETS = 600;
/** A gap is a stretch without a reading longer than this many expected intervals. */
export const GAP_INTERVALS = 3;
/** Gaps listed per unit; more are counted. */
const MAX_GAPS_LISTED = 200;

export interface ChartPoint {
  t: number;
  c: number;
}

export interface ChartBucket {
  t0: number;
  t1: number;
  min: number;
  max: number;
  mean: number;
}

export type ChartSeries =
  { kind: 'points'; points: ChartPoint[] } | { kind: 'envelope'; buckets: ChartBucket[] };

export interface UnitSection {
  unit: ReportUnitRow;
  figures: UnitCompliance;
  chart: ChartSeries;
  /** Set point in °C. */
  setC: number;
  gaps: { items: GapRow[]; total: number; overMinutes: number };
  alarms: ReportAlarmRow[];
  /** SHA-256 of this unit's canonical lines, and how many readings they are. */
  dataSha256: string;
  readings: number;
}

export interface ReportModel {
  reportId: string;
  kind: 'unit' | 'facility';
  entityId: string;
  customer: { id: string; code: string; name: string };
  facility: { id: string; code: string; name: string | null };
  start: Date;
  end: Date;
  tz: string;
  temperatureUnit: TemperatureUnit;
  generatedAt: Date;
  generatedBy: string;
  /** All units together (a unit report: that unit's). */
  summary: ComplianceFigures;
  basisNote: string;
  approximate: boolean;
  sections: UnitSection[];
  dataSha256: string;
}

/**
 * The report's data hash from its units' hashes: SHA-256 over `<unit id>,<unit data sha256>\n` per unit,
 * by unit id. A unit's hash is over its canonical reading lines (db/reports-repo.ts), so neither needs
 * a year of a facility's readings in one string.
 */
export const combineDataHashes = (units: ReadonlyArray<{ unitId: string; sha256: string }>): string => {
  const lines = [...units]
    .sort((a, b) => (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0))
    .map((u) => `${u.unitId},${u.sha256}\n`)
    .join('');
  return createHash('sha256').update(lines, 'utf8').digest('hex');
};

/** Hourly envelope rows merged into buckets of whole hours, at most MAX_BUCKETS of them. */
const envelopeBuckets = async (
  ctx: FeatureContext,
  unitId: string,
  start: Date,
  end: Date,
): Promise<ChartBucket[]> => {
  const from = Math.ceil(start.getTime() / HOUR_MS) * HOUR_MS;
  const hours = await hourlyEnvelope(ctx.db, unitId, new Date(from), end);
  const per = Math.max(1, Math.ceil((end.getTime() - from) / HOUR_MS / MAX_BUCKETS)) * HOUR_MS;
  const out: ChartBucket[] = [];
  let cur: (ChartBucket & { sum: number; n: number }) | undefined;
  for (const h of hours) {
    if (h.n === 0 || h.min === null || h.max === null || h.mean === null) continue;
    const t0 = from + Math.floor((h.t - from) / per) * per;
    if (!cur || cur.t0 !== t0) {
      if (cur) out.push({ t0: cur.t0, t1: cur.t1, min: cur.min, max: cur.max, mean: cur.sum / cur.n });
      cur = { t0, t1: Math.min(t0 + per, end.getTime()), min: h.min, max: h.max, mean: 0, sum: 0, n: 0 };
    }
    cur.min = Math.min(cur.min, h.min);
    cur.max = Math.max(cur.max, h.max);
    cur.sum += h.mean * h.n;
    cur.n += h.n;
  }
  if (cur) out.push({ t0: cur.t0, t1: cur.t1, min: cur.min, max: cur.max, mean: cur.sum / cur.n });
  return out;
};

const chartOf = async (ctx: FeatureContext, unitId: string, start: Date, end: Date): Promise<ChartSeries> =>
  end.getTime() - start.getTime() <= RAW_CHART_MAX_MS
    ? {
        kind: 'points',
        points: (await readingPoints(ctx.db, unitId, start, end)).map((p) => ({ t: p.t, c: p.c })),
      }
    : { kind: 'envelope', buckets: await envelopeBuckets(ctx, unitId, start, end) };

/**
 * The gaps of a unit: between readings, and at the window's edges up to now (as the compliance
 * figures' longest gap counts them), longer than GAP_INTERVALS expected intervals.
 */
const gapsOf = async (
  ctx: FeatureContext,
  figures: UnitCompliance,
  start: Date,
  end: Date,
): Promise<UnitSection['gaps']> => {
  const overMs = GAP_INTERVALS * figures.expected_interval_seconds * 1000;
  const g = await readingGaps(ctx.db, figures.storage_unit_id, start, end, overMs, MAX_GAPS_LISTED);
  const until = Math.min(end.getTime(), ctx.clock.now().getTime());
  const items = [...g.gaps];
  let total = g.total;
  const s = start.getTime();
  if (g.first === null || g.last === null) {
    if (until - s > overMs) {
      items.push({ from: s, to: until });
      total += 1;
    }
  } else {
    if (g.first - s > overMs) {
      items.unshift({ from: s, to: g.first });
      total += 1;
    }
    if (until - g.last > overMs) {
      items.push({ from: g.last, to: until });
      total += 1;
    }
  }
  return { items: items.slice(0, MAX_GAPS_LISTED), total, overMinutes: overMs / 60_000 };
};

/** One unit's section but its data hash (unitDataHashes): chart, gaps and alarms, next to its figures. */
export const unitSection = async (
  ctx: FeatureContext,
  unit: ReportUnitRow,
  figures: UnitCompliance,
  setC: number,
  start: Date,
  end: Date,
): Promise<Omit<UnitSection, 'dataSha256' | 'readings'>> => {
  const [chart, gaps, alarms] = await Promise.all([
    chartOf(ctx, unit.id, start, end),
    gapsOf(ctx, figures, start, end),
    alarmsInWindow(ctx.db, [unit.id], start, end),
  ]);
  return { unit, figures, chart, setC, gaps, alarms };
};

/**
 * Every unit's data hash, one unit after the other: the longest reads of a report, started before the
 * figures so that they run beside them (two statements at a time rather than the whole pool).
 */
export const unitDataHashes = (
  ctx: FeatureContext,
  unitIds: readonly string[],
  start: Date,
  end: Date,
): Promise<Map<string, { sha256: string; readings: number }>> => {
  const hashing = (async () => {
    const out = new Map<string, { sha256: string; readings: number }>();
    for (const id of unitIds) out.set(id, await unitDataHash(ctx.db, id, start, end));
    return out;
  })();
  // Awaited later; a failure meanwhile must not count as unhandled (the await rethrows it).
  hashing.catch(() => undefined);
  return hashing;
};

/** Just the figures of a compliance report or of one unit of it (no per-unit list, notes, limits). */
export const summaryOf = (r: ComplianceFigures): ComplianceFigures => ({
  mkt_c: r.mkt_c,
  mean_c: r.mean_c,
  min_c: r.min_c,
  max_c: r.max_c,
  time_in_range_pct: r.time_in_range_pct,
  time_in_range_minutes: r.time_in_range_minutes,
  monitored_minutes: r.monitored_minutes,
  excursions: r.excursions,
  excursion_minutes: r.excursion_minutes,
  degree_minutes: r.degree_minutes,
  readings: r.readings,
  expected_readings: r.expected_readings,
  completeness_pct: r.completeness_pct,
  longest_gap_minutes: r.longest_gap_minutes,
});
