import { AppError } from '../../lib/errors.ts';
import { assertValidAlarmRule } from './rules.ts';
import { addReading, emptyStats } from './stats.ts';
import { closeAlarm, openAlarm } from './transitions.ts';
import type { AlarmEvent, AlarmRule, AlarmState, EvaluationResult } from './types.ts';

// The two rules about missing values rather than bad ones.
// - sensor_failure: failures_in_row failed reads in a row (nulls, whatever the time between them)
//   start it at the first of them; the next good read clears it at that read's time.
// - no_data: no reading of any kind (a failed read still proves the unit reports) for no_data_seconds.
//   Two paths give the same alarm: the clock-driven sweep (checkNoData) while the gap is still open,
//   and evaluate() when a reading arrives after a gap (backfill after an outage). Either way it starts
//   at last reading + limit and the next reading clears it. A delivery delay — the sweep fired, then
//   the readings of the gap arrive — clears it at its start: a zero-length record of late delivery.

/** Applies one reading (newer than every reading before it) to a sensor_failure rule's state, in place. */
export const stepSensorFailure = (
  rule: AlarmRule,
  s: AlarmState,
  recordedAtMs: number,
  temperatureC: number | null,
  events: AlarmEvent[],
): void => {
  if (temperatureC !== null) {
    s.run = null;
    if (s.open) closeAlarm(rule, s, recordedAtMs, events);
  } else if (s.open) {
    addReading(s.open.stats, null);
  } else {
    s.run ??= { startMs: recordedAtMs, stats: emptyStats() };
    addReading(s.run.stats, null);
    if (s.run.stats.failedReads >= (rule.failures_in_row as number)) {
      openAlarm(rule, s, s.run.startMs, recordedAtMs, events);
    }
  }
  s.last = { recordedAtMs, temperatureC };
};

/** Opens the no_data alarm when `atMs` ≥ last reading + limit; it starts at last reading + limit. */
const openIfSilent = (rule: AlarmRule, s: AlarmState, atMs: number, events: AlarmEvent[]): void => {
  const limitMs = (rule.no_data_seconds as number) * 1000;
  if (s.last && !s.open && atMs - s.last.recordedAtMs >= limitMs) {
    const dueMs = s.last.recordedAtMs + limitMs;
    openAlarm(rule, s, dueMs, dueMs, events);
  }
};

/** Applies one reading (newer than every reading before it) to a no_data rule's state, in place. */
export const stepNoData = (
  rule: AlarmRule,
  s: AlarmState,
  recordedAtMs: number,
  temperatureC: number | null,
  events: AlarmEvent[],
): void => {
  openIfSilent(rule, s, recordedAtMs, events);
  if (s.open) closeAlarm(rule, s, Math.max(recordedAtMs, s.open.startedAtMs), events);
  s.last = { recordedAtMs, temperatureC };
};

/**
 * The clock-driven sweep for one unit's no_data rule: opens the alarm when nowMs − last reading ≥
 * no_data_seconds, started at last reading + limit. A unit that never reported has nothing to measure
 * from and gets no alarm here. The input state is not modified.
 * @throws AppError VALIDATION when the rule is not a valid no_data rule.
 */
export const checkNoData = (rule: AlarmRule, state: AlarmState, nowMs: number): EvaluationResult => {
  assertValidAlarmRule(rule);
  if (rule.kind !== 'no_data')
    throw new AppError('VALIDATION', `alarm rule ${rule.id}: checkNoData needs a no_data rule`);
  const s = structuredClone(state);
  const events: AlarmEvent[] = [];
  if (rule.enabled) openIfSilent(rule, s, nowMs, events);
  return { state: s, events, skipped: 0, oldestSkippedMs: null };
};
