import { addBeyondInterval, addReading, emptyStats, mergeStats } from './stats.ts';
import { closeAlarm, openAlarm } from './transitions.ts';
import {
  DEFAULT_MAX_GAP_SECONDS,
  type AlarmEvent,
  type AlarmRule,
  type AlarmState,
  type PendingRun,
} from './types.ts';

// high/low rules, one good reading at a time (failed reads never get here: they neither advance nor
// interrupt a temperature condition, they are the sensor_failure rule's business).
//
// Time convention ("hold"): a reading's value holds from its recorded_at until the next good reading,
// but for at most max_gap_seconds. So a beyond reading at 10:00 followed by one at 10:05 puts 5 min
// beyond the threshold; the newest reading holds for nothing yet (its interval is unknown until the
// next one arrives). Timers are therefore checked when a reading arrives, over the intervals it closes:
// - single-event: the alarm starts once an uninterrupted run of beyond readings has held for
//   delay_seconds (confirmed at run start + delay); a gap longer than max_gap_seconds or a reading not
//   beyond ends the run, so a short door opening never adds up;
// - cumulative: the alarm starts once the beyond time inside (now − window_seconds, now], counted only
//   after the previous alarm of this rule cleared, reaches cumulative_seconds (confirmed at the end of
//   the interval that completed it); it starts at the beginning of the current run of beyond readings;
// - clearing: a reading back past threshold ∓ deadband_c starts a clear run; it clears the alarm once it
//   has held clear_delay_seconds, with the clear time = the run's first reading. Readings between the
//   threshold and the deadband (or a gap) interrupt the clear run, whose readings then join the alarm.
// An alarm's figures cover the readings in [started, cleared): beyond intervals, min/max/mean.

/** True when `v` is beyond the rule's threshold; equal to the threshold counts (WHO: 30.0 °C triggers). */
export const isBeyond = (rule: AlarmRule, v: number): boolean =>
  rule.kind === 'high' ? v >= (rule.threshold_c as number) : v <= (rule.threshold_c as number);

/** True when `v` is back past the deadband: high clears below threshold − deadband, low above + deadband. */
export const isClearing = (rule: AlarmRule, v: number): boolean =>
  rule.kind === 'high'
    ? v < (rule.threshold_c as number) - rule.deadband_c
    : v > (rule.threshold_c as number) + rule.deadband_c;

/** Degrees beyond the threshold (0 at the threshold itself). */
export const excessC = (rule: AlarmRule, v: number): number =>
  rule.kind === 'high' ? v - (rule.threshold_c as number) : (rule.threshold_c as number) - v;

export const maxGapMs = (rule: AlarmRule): number => (rule.max_gap_seconds ?? DEFAULT_MAX_GAP_SECONDS) * 1000;

export const isCumulative = (rule: AlarmRule): boolean => rule.cumulative_seconds !== undefined;

/** Appends [startMs, endMs) to the merged intervals and drops those wholly before `dropBeforeMs`. */
const addSegment = (
  segments: [number, number][],
  startMs: number,
  endMs: number,
  dropBeforeMs: number,
): void => {
  const lastSeg = segments.at(-1);
  if (lastSeg && lastSeg[1] === startMs) lastSeg[1] = endMs;
  else segments.push([startMs, endMs]);
  while (segments.length > 0 && (segments[0] as [number, number])[1] <= dropBeforeMs) segments.shift();
};

/** Beyond time (ms) inside [fromMs, toMs) of the merged intervals. */
const beyondWithin = (segments: [number, number][], fromMs: number, toMs: number): number => {
  let total = 0;
  for (const [s, e] of segments) total += Math.max(0, Math.min(e, toMs) - Math.max(s, fromMs));
  return total;
};

/** The pending run of beyond readings becomes the alarm, started at its first reading. */
const startAlarm = (rule: AlarmRule, s: AlarmState, confirmedAtMs: number, events: AlarmEvent[]): void =>
  openAlarm(rule, s, (s.run as PendingRun).startMs, confirmedAtMs, events);

/** The clear run has held long enough: the alarm ends at its first reading. */
const clearAlarm = (rule: AlarmRule, s: AlarmState, events: AlarmEvent[]): void =>
  closeAlarm(rule, s, (s.clearRun as PendingRun).startMs, events);

/** An interrupted clear run: its readings were part of the alarm after all. */
const breakClearRun = (s: AlarmState): void => {
  if (s.open && s.clearRun) mergeStats(s.open.stats, s.clearRun.stats);
  s.clearRun = null;
};

/** Closes the previous reading's held interval and applies the timers it satisfied. */
const closePreviousInterval = (rule: AlarmRule, s: AlarmState, nowMs: number, events: AlarmEvent[]): void => {
  const prev = s.last;
  if (!prev || prev.temperatureC === null) return;
  const gapMs = nowMs - prev.recordedAtMs;
  const heldMs = Math.min(gapMs, maxGapMs(rule));
  const heldUntilMs = prev.recordedAtMs + heldMs;
  if (isBeyond(rule, prev.temperatureC)) {
    const target = s.open ? s.open.stats : s.run?.stats;
    if (target) addBeyondInterval(target, heldMs, excessC(rule, prev.temperatureC));
    if (isCumulative(rule)) {
      addSegment(
        s.segments,
        prev.recordedAtMs,
        heldUntilMs,
        heldUntilMs - (rule.window_seconds as number) * 1000,
      );
    }
  }
  if (!s.open && s.run) {
    if (isCumulative(rule)) {
      const fromMs = Math.max(
        heldUntilMs - (rule.window_seconds as number) * 1000,
        s.lastClearedMs ?? -Infinity,
      );
      if (beyondWithin(s.segments, fromMs, heldUntilMs) >= (rule.cumulative_seconds as number) * 1000) {
        startAlarm(rule, s, heldUntilMs, events);
      }
    } else if (heldUntilMs - s.run.startMs >= rule.delay_seconds * 1000) {
      startAlarm(rule, s, s.run.startMs + rule.delay_seconds * 1000, events);
    }
  } else if (s.open && s.clearRun && heldUntilMs - s.clearRun.startMs >= rule.clear_delay_seconds * 1000) {
    clearAlarm(rule, s, events);
  }
  if (gapMs > maxGapMs(rule)) {
    s.run = null;
    breakClearRun(s);
  }
};

/** Applies one good reading (newer than every reading before it) to a high/low rule's state, in place. */
export const stepThreshold = (
  rule: AlarmRule,
  s: AlarmState,
  recordedAtMs: number,
  temperatureC: number,
  events: AlarmEvent[],
): void => {
  closePreviousInterval(rule, s, recordedAtMs, events);
  if (!s.open) {
    if (isBeyond(rule, temperatureC)) {
      s.run ??= { startMs: recordedAtMs, stats: emptyStats() };
      addReading(s.run.stats, temperatureC);
      if (!isCumulative(rule) && recordedAtMs - s.run.startMs >= rule.delay_seconds * 1000) {
        startAlarm(rule, s, s.run.startMs + rule.delay_seconds * 1000, events);
      }
    } else {
      s.run = null;
    }
  } else if (isClearing(rule, temperatureC)) {
    s.clearRun ??= { startMs: recordedAtMs, stats: emptyStats() };
    addReading(s.clearRun.stats, temperatureC);
    if (recordedAtMs - s.clearRun.startMs >= rule.clear_delay_seconds * 1000) clearAlarm(rule, s, events);
  } else {
    breakClearRun(s);
    addReading(s.open.stats, temperatureC);
  }
  s.last = { recordedAtMs, temperatureC };
};
