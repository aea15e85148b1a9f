import { stepNoData, stepSensorFailure } from './data-loss.ts';
import { stepPredicted } from './predicted.ts';
import { assertValidAlarmRule } from './rules.ts';
import { summarizeStats } from './stats.ts';
import { stepThreshold } from './threshold.ts';
import type {
  AlarmEvent,
  AlarmReading,
  AlarmRule,
  AlarmState,
  AlarmStats,
  EvaluationResult,
} from './types.ts';

// The incremental entry point: one unit, one rule, one batch of readings after the writer committed
// them. The caller stores the returned state (JSON) and passes it with the next batch.
//
// Order and redelivery. A batch is sorted by recorded_at; of two readings of the same instant a real
// value wins over a failed read (the processor's rule), and readings at or before the state's watermark
// are skipped. A redelivered or re-chunked batch is therefore a no-op, and chunking never changes the
// result (property-tested against evaluateSeries). What the engine cannot tell is a redelivery from a
// genuinely late reading (older than the watermark, first stored now): it keeps no history, so it skips
// both and reports them (`skipped`, `oldestSkippedMs`). The caller knows which rows its insert actually
// added; when a skipped one is new, it replays: evaluate from a stored checkpoint state older than that
// reading (or from initialAlarmState()) over the stored readings since, and reconciles alarms by
// (ruleId, startedAtMs), which a replay reproduces exactly.

/** The state of a rule that has seen nothing. */
export const initialAlarmState = (): AlarmState => ({
  version: 1,
  watermarkMs: null,
  last: null,
  run: null,
  clearRun: null,
  segments: [],
  lastClearedMs: null,
  open: null,
});

/**
 * Sorted by time, one reading per instant (a real value wins over a failed read, else the first); a
 * reading without a finite time is dropped, a non-finite temperature is a failed read.
 */
export const normalizeReadings = (readings: readonly AlarmReading[]): AlarmReading[] => {
  const sorted = readings
    .filter((r) => Number.isFinite(r.recordedAtMs))
    .map((r) =>
      r.temperatureC === null || Number.isFinite(r.temperatureC) ? r : { ...r, temperatureC: null },
    )
    .sort((a, b) => a.recordedAtMs - b.recordedAtMs);
  const out: AlarmReading[] = [];
  for (const r of sorted) {
    const prev = out.at(-1);
    if (prev && prev.recordedAtMs === r.recordedAtMs) {
      if (prev.temperatureC === null && r.temperatureC !== null) out[out.length - 1] = r;
    } else {
      out.push(r);
    }
  }
  return out;
};

/**
 * Evaluates one rule over a batch of one unit's readings, from `state` (not modified).
 * @throws AppError VALIDATION when the rule cannot be evaluated (alarmRuleProblems).
 */
export const evaluate = (
  rule: AlarmRule,
  state: AlarmState,
  readings: readonly AlarmReading[],
): EvaluationResult => {
  assertValidAlarmRule(rule);
  const s = structuredClone(state);
  const events: AlarmEvent[] = [];
  let skipped = 0;
  let oldestSkippedMs: number | null = null;
  for (const r of normalizeReadings(readings)) {
    if (s.watermarkMs !== null && r.recordedAtMs <= s.watermarkMs) {
      skipped += 1;
      oldestSkippedMs = Math.min(oldestSkippedMs ?? r.recordedAtMs, r.recordedAtMs);
      continue;
    }
    s.watermarkMs = r.recordedAtMs;
    if (!rule.enabled) {
      // Nothing pending survives a disabled period; an open alarm is the caller's to close.
      Object.assign(s, { last: null, run: null, clearRun: null, segments: [] });
      if (s.recent) s.recent = [];
      continue;
    }
    if (rule.kind === 'high' || rule.kind === 'low') {
      if (r.temperatureC !== null) stepThreshold(rule, s, r.recordedAtMs, r.temperatureC, events);
    } else if (rule.kind === 'predicted_breach') {
      if (r.temperatureC !== null) stepPredicted(rule, s, r.recordedAtMs, r.temperatureC, events);
    } else if (rule.kind === 'sensor_failure') {
      stepSensorFailure(rule, s, r.recordedAtMs, r.temperatureC, events);
    } else {
      stepNoData(rule, s, r.recordedAtMs, r.temperatureC, events);
    }
  }
  return { state: s, events, skipped, oldestSkippedMs };
};

/** An open alarm as its record shows it while it lasts (running figures), or null. */
export interface OpenAlarmView {
  startedAtMs: number;
  confirmedAtMs: number;
  stats: AlarmStats;
}

/**
 * The rule's open alarm with its running figures. They cover the readings since it started, except a
 * run of readings back past the deadband that may yet clear it (they join if the run is interrupted),
 * and not the newest reading's interval, which the next reading closes.
 */
export const openAlarm = (rule: AlarmRule, state: AlarmState): OpenAlarmView | null =>
  state.open
    ? {
        startedAtMs: state.open.startedAtMs,
        confirmedAtMs: state.open.confirmedAtMs,
        stats: summarizeStats(rule.kind, state.open.stats, rule.direction),
      }
    : null;
