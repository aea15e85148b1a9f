import { normalizeReadings, type OpenAlarmView } from './evaluate.ts';
import { isPastLimit, lookbackMs, projectsBreach } from './predicted.ts';
import { assertValidAlarmRule } from './rules.ts';
import { emptyStats, summarizeStats } from './stats.ts';
import { excessC, isBeyond, isClearing, isCumulative, maxGapMs } from './threshold.ts';
import {
  DEFAULT_MAX_GAP_SECONDS,
  type AlarmEvent,
  type AlarmReading,
  type AlarmRule,
  type AlarmStats,
} from './types.ts';

// The reference evaluator: the same semantics as evaluate(), written over the whole sorted series at
// once, by indices and from scratch (runs found by scanning, cumulative totals and figures recomputed
// for every check), with no state to carry. It is slow on purpose and exists to be obviously right:
// the property test checks that any chunking of the incremental path gives exactly its answer. It
// shares only the one-value predicates (isBeyond, isClearing, excessC; for predicted_breach isPastLimit
// and projectsBreach, the fit over one window, which it selects from the whole series by itself) with
// the incremental path.

export interface SeriesResult {
  events: AlarmEvent[];
  open: OpenAlarmView | null;
}

type Good = { t: number; v: number };

/** Figures of the good readings in [fromMs, toMs); `hold(i)` is reading i's held interval (ms). */
const figuresBetween = (
  rule: AlarmRule,
  rs: Good[],
  hold: (i: number) => number,
  fromMs: number,
  toMs: number,
): AlarmStats => {
  const acc = emptyStats();
  rs.forEach((r, i) => {
    if (r.t < fromMs || r.t >= toMs) return;
    acc.readings += 1;
    acc.sumC += r.v;
    acc.minC = acc.minC === null ? r.v : Math.min(acc.minC, r.v);
    acc.maxC = acc.maxC === null ? r.v : Math.max(acc.maxC, r.v);
    if (isBeyond(rule, r.v)) {
      acc.beyondMs += hold(i);
      acc.degreeMinutes += (excessC(rule, r.v) * hold(i)) / 60_000;
    }
  });
  return summarizeStats(rule.kind, acc);
};

const thresholdSeries = (rule: AlarmRule, all: AlarmReading[]): SeriesResult => {
  const rs: Good[] = all.flatMap((r) =>
    r.temperatureC === null ? [] : [{ t: r.recordedAtMs, v: r.temperatureC }],
  );
  const n = rs.length;
  const gapMs = maxGapMs(rule);
  const t = (i: number): number => (rs[i] as Good).t;
  const beyond = (i: number): boolean => isBeyond(rule, (rs[i] as Good).v);
  const clearing = (i: number): boolean => isClearing(rule, (rs[i] as Good).v);
  const hold = (i: number): number => (i + 1 < n ? Math.min(t(i + 1) - t(i), gapMs) : 0);
  const linked = (i: number): boolean => t(i + 1) - t(i) <= gapMs;
  /** Last index of the run starting at i whose readings all satisfy `p`, with no gap between them. */
  const runEnd = (i: number, p: (k: number) => boolean): number => {
    let j = i;
    while (j + 1 < n && p(j + 1) && linked(j)) j++;
    return j;
  };
  const events: AlarmEvent[] = [];
  const base = { ruleId: rule.id, kind: rule.kind, severity: rule.severity };
  let alarm: { startedAtMs: number; confirmedAtMs: number } | null = null;
  let lastClearedMs = -Infinity;
  let pendingClearFromMs = Infinity;

  /** Where the single-event or cumulative timer is met in the beyond run i..j: confirmation and next index. */
  const confirmIn = (i: number, j: number): { confirmedAtMs: number; next: number } | null => {
    if (!isCumulative(rule)) {
      const dueMs = t(i) + rule.delay_seconds * 1000;
      for (let k = i; k <= j; k++) if (t(k) >= dueMs) return { confirmedAtMs: dueMs, next: k + 1 };
      return t(j) + hold(j) >= dueMs ? { confirmedAtMs: dueMs, next: j + 1 } : null;
    }
    // Checked when each reading m arrives and closes reading m − 1's interval.
    for (let m = i + 1; m <= Math.min(j + 1, n - 1); m++) {
      const untilMs = t(m - 1) + hold(m - 1);
      const fromMs = Math.max(untilMs - (rule.window_seconds as number) * 1000, lastClearedMs);
      let totalMs = 0;
      for (let k = 0; k < m; k++) {
        if (!beyond(k)) continue;
        totalMs += Math.max(0, Math.min(t(k) + hold(k), untilMs) - Math.max(t(k), fromMs));
      }
      if (totalMs >= (rule.cumulative_seconds as number) * 1000) return { confirmedAtMs: untilMs, next: m };
    }
    return null;
  };

  /** Where the clear timer is met in the clearing run i..j: the next index, or null. */
  const clearIn = (i: number, j: number): number | null => {
    const dueMs = t(i) + rule.clear_delay_seconds * 1000;
    for (let k = i; k <= j; k++) if (t(k) >= dueMs) return k + 1;
    return t(j) + hold(j) >= dueMs ? j + 1 : null;
  };

  let i = 0;
  while (i < n) {
    if (!alarm) {
      if (!beyond(i)) {
        i++;
        continue;
      }
      const j = runEnd(i, beyond);
      const hit = confirmIn(i, j);
      if (!hit) {
        i = j + 1;
        continue;
      }
      alarm = { startedAtMs: t(i), confirmedAtMs: hit.confirmedAtMs };
      events.push({ type: 'started', ...base, ...alarm });
      i = hit.next;
    } else {
      if (!clearing(i)) {
        i++;
        continue;
      }
      const j = runEnd(i, clearing);
      const next = clearIn(i, j);
      if (next === null) {
        if (j === n - 1) pendingClearFromMs = t(i);
        i = j + 1;
        continue;
      }
      events.push({
        type: 'cleared',
        ...base,
        startedAtMs: alarm.startedAtMs,
        clearedAtMs: t(i),
        stats: figuresBetween(rule, rs, hold, alarm.startedAtMs, t(i)),
      });
      lastClearedMs = t(i);
      alarm = null;
      i = next;
    }
  }
  const open = alarm
    ? { ...alarm, stats: figuresBetween(rule, rs, hold, alarm.startedAtMs, pendingClearFromMs) }
    : null;
  return { events, open };
};

const predictedSeries = (rule: AlarmRule, all: AlarmReading[]): SeriesResult => {
  const rs: Good[] = all.flatMap((r) =>
    r.temperatureC === null ? [] : [{ t: r.recordedAtMs, v: r.temperatureC }],
  );
  const n = rs.length;
  const t = (i: number): number => (rs[i] as Good).t;
  const past = (i: number): boolean => isPastLimit(rule, (rs[i] as Good).v);
  /** The fit at reading i over every good reading in [t(i) − lookback, t(i)]. */
  const breach = (i: number): boolean => {
    const window: [number, number][] = [];
    for (let k = 0; k <= i; k++) if (t(k) >= t(i) - lookbackMs(rule)) window.push([t(k), (rs[k] as Good).v]);
    return projectsBreach(rule, window);
  };
  const gapBefore = (i: number): boolean =>
    i > 0 && t(i) - t(i - 1) > (rule.max_gap_seconds ?? DEFAULT_MAX_GAP_SECONDS) * 1000;
  const starts = (i: number): boolean => breach(i) && !past(i);
  const holds = (i: number): boolean => breach(i) || past(i);
  const clears = (i: number): boolean => !holds(i);
  /** Figures of the readings in [fromMs, toMs): min/max/mean only. */
  const figures = (fromMs: number, toMs: number): AlarmStats => {
    const acc = emptyStats();
    for (const r of rs) {
      if (r.t < fromMs || r.t >= toMs) continue;
      acc.readings += 1;
      acc.sumC += r.v;
      acc.minC = acc.minC === null ? r.v : Math.min(acc.minC, r.v);
      acc.maxC = acc.maxC === null ? r.v : Math.max(acc.maxC, r.v);
    }
    return summarizeStats(rule.kind, acc, rule.direction);
  };
  /** First index ≥ i ending a timer: the run of `p` from i (no gap inside) reaching `delayS`, or null. */
  const timerIn = (i: number, p: (k: number) => boolean, delayS: number): number | null => {
    for (let k = i; k < n && p(k) && (k === i || !gapBefore(k)); k++)
      if (t(k) - t(i) >= delayS * 1000) return k;
    return null;
  };
  const events: AlarmEvent[] = [];
  const base = { ruleId: rule.id, kind: rule.kind, severity: rule.severity };
  let alarm: { startedAtMs: number; confirmedAtMs: number } | null = null;
  let pendingClearFromMs = Infinity;
  let i = 0;
  while (i < n) {
    if (!alarm) {
      const k = starts(i) ? timerIn(i, holds, rule.delay_seconds) : null;
      if (k === null) {
        i++;
        continue;
      }
      alarm = { startedAtMs: t(i), confirmedAtMs: t(k) };
      events.push({ type: 'started', ...base, ...alarm });
      i = k + 1;
    } else {
      if (!clears(i)) {
        i++;
        continue;
      }
      const k = timerIn(i, clears, rule.clear_delay_seconds);
      if (k === null) {
        // The run is too short to clear, and so is every later part of it. Still pending at the
        // end of the series, its readings are not the alarm's (yet).
        let j = i;
        while (j + 1 < n && clears(j + 1) && !gapBefore(j + 1)) j++;
        if (j === n - 1) pendingClearFromMs = t(i);
        i = j + 1;
        continue;
      }
      events.push({
        type: 'cleared',
        ...base,
        startedAtMs: alarm.startedAtMs,
        clearedAtMs: t(i),
        stats: figures(alarm.startedAtMs, t(i)),
      });
      alarm = null;
      i = k + 1;
    }
  }
  const open = alarm ? { ...alarm, stats: figures(alarm.startedAtMs, pendingClearFromMs) } : null;
  return { events, open };
};

const sensorFailureSeries = (rule: AlarmRule, rs: AlarmReading[]): SeriesResult => {
  const events: AlarmEvent[] = [];
  const base = { ruleId: rule.id, kind: rule.kind, severity: rule.severity };
  const failures = (count: number): AlarmStats => ({
    ...summarizeStats(rule.kind, emptyStats()),
    failedReads: count,
  });
  let open: OpenAlarmView | null = null;
  for (let i = 0; i < rs.length;) {
    if ((rs[i] as AlarmReading).temperatureC !== null) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < rs.length && (rs[j + 1] as AlarmReading).temperatureC === null) j++;
    const count = j - i + 1;
    const needed = rule.failures_in_row as number;
    if (count >= needed) {
      const alarm = {
        startedAtMs: (rs[i] as AlarmReading).recordedAtMs,
        confirmedAtMs: (rs[i + needed - 1] as AlarmReading).recordedAtMs,
      };
      events.push({ type: 'started', ...base, ...alarm });
      if (j + 1 < rs.length) {
        const clearedAtMs = (rs[j + 1] as AlarmReading).recordedAtMs;
        events.push({
          type: 'cleared',
          ...base,
          startedAtMs: alarm.startedAtMs,
          clearedAtMs,
          stats: failures(count),
        });
      } else {
        open = { ...alarm, stats: failures(count) };
      }
    }
    i = j + 1;
  }
  return { events, open };
};

const noDataSeries = (rule: AlarmRule, rs: AlarmReading[]): SeriesResult => {
  const events: AlarmEvent[] = [];
  const base = { ruleId: rule.id, kind: rule.kind, severity: rule.severity };
  const limitMs = (rule.no_data_seconds as number) * 1000;
  for (let i = 0; i + 1 < rs.length; i++) {
    const fromMs = (rs[i] as AlarmReading).recordedAtMs;
    const toMs = (rs[i + 1] as AlarmReading).recordedAtMs;
    if (toMs - fromMs < limitMs) continue;
    events.push({ type: 'started', ...base, startedAtMs: fromMs + limitMs, confirmedAtMs: fromMs + limitMs });
    events.push({
      type: 'cleared',
      ...base,
      startedAtMs: fromMs + limitMs,
      clearedAtMs: toMs,
      stats: summarizeStats(rule.kind, emptyStats()),
    });
  }
  return { events, open: null };
};

/**
 * Evaluates one rule over a unit's whole series at once (any order; one reading per instant kept as
 * evaluate() does). No clock: no_data alarms come only from gaps between readings.
 * @throws AppError VALIDATION when the rule cannot be evaluated.
 */
export const evaluateSeries = (rule: AlarmRule, readings: readonly AlarmReading[]): SeriesResult => {
  assertValidAlarmRule(rule);
  if (!rule.enabled) return { events: [], open: null };
  const rs = normalizeReadings(readings);
  if (rule.kind === 'high' || rule.kind === 'low') return thresholdSeries(rule, rs);
  if (rule.kind === 'predicted_breach') return predictedSeries(rule, rs);
  if (rule.kind === 'sensor_failure') return sensorFailureSeries(rule, rs);
  return noDataSeries(rule, rs);
};
