import { addReading, emptyStats, mergeStats } from './stats.ts';
import { closeAlarm, openAlarm } from './transitions.ts';
import { DEFAULT_MAX_GAP_SECONDS, type AlarmEvent, type AlarmRule, type AlarmState } from './types.ts';

// predicted_breach rules: an early warning that the trend will carry the value to a (critical) limit.
// One good reading at a time; failed reads neither count nor interrupt, as for high/low.
//
// The projection at a reading: a least-squares line through the good readings of the last
// lookback_seconds (the reading itself included) — at least PREDICTION_MIN_READINGS of them, spanning
// at least half the lookback, so two noisy points never make a trend — that runs towards the limit and
// reaches it by reading time + horizon_seconds ("projects a breach"). A projection is a statement about
// one reading, not an interval, so timers are met at readings (unlike high/low's held intervals):
// - start: a reading still inside the limit whose projection breaches begins a run (a reading already
//   beyond it begins none: that is no forecast, the high/low rules speak for it); every further reading
//   that projects a breach or is beyond the limit extends it; the alarm starts once a reading of the run
//   is delay_seconds after its first, started at the first (event time) and confirmed at that reading.
//   A reading inside the limit that projects no breach, or a gap longer than max_gap_seconds, ends it.
//   So a forecast that came true during the delay still warns — typically well before the critical
//   alarm, whose own delay (45 min by default) runs from the crossing.
// - while open: the alarm holds while the value is beyond the limit or the projection still breaches.
//   We do not clear it when the value crosses: a "cleared" message while the unit gets worse would
//   mislead, and one warning then covers the whole episode next to the real high/low alarm.
// - clearing: a reading inside the limit whose projection no longer breaches starts a clear run; it
//   clears the alarm once a reading of the run is clear_delay_seconds after its first, cleared at the
//   first. A holding reading or a gap longer than max_gap_seconds breaks it (its readings join the
//   alarm). deadband_c is not used: the projection, not the value, is what clears.
// The figures are the readings' min/max/mean over [started, cleared), peak by direction; time and
// degree-minutes beyond stay 0 (they are the high/low alarm's record).
// State: the good readings inside the lookback (AlarmState.recent), so it stays small and plain JSON.

export const DEFAULT_HORIZON_SECONDS = 3600;
export const DEFAULT_LOOKBACK_SECONDS = 1800;
/** Fewer good readings in the lookback than this make no trend. */
export const PREDICTION_MIN_READINGS = 5;

export const lookbackMs = (rule: AlarmRule): number =>
  (rule.lookback_seconds ?? DEFAULT_LOOKBACK_SECONDS) * 1000;

const horizonMs = (rule: AlarmRule): number => (rule.horizon_seconds ?? DEFAULT_HORIZON_SECONDS) * 1000;

const maxGapMs = (rule: AlarmRule): number => (rule.max_gap_seconds ?? DEFAULT_MAX_GAP_SECONDS) * 1000;

/** True when `v` is at or beyond the rule's limit on its direction's side. */
export const isPastLimit = (rule: AlarmRule, v: number): boolean =>
  rule.direction === 'low' ? v <= (rule.threshold_c as number) : v >= (rule.threshold_c as number);

/**
 * True when the least-squares line through `points` ([ms, °C], oldest first, the newest being "now")
 * heads towards the limit and reaches it by now + horizon. False with too few points or too short a
 * span. Times are taken relative to now, in seconds, so the sums stay well conditioned.
 */
export const projectsBreach = (rule: AlarmRule, points: readonly [number, number][]): boolean => {
  const n = points.length;
  if (n < PREDICTION_MIN_READINGS) return false;
  const nowMs = (points[n - 1] as [number, number])[0];
  if (nowMs - (points[0] as [number, number])[0] < lookbackMs(rule) / 2) return false;
  let sumX = 0;
  let sumY = 0;
  for (const [t, v] of points) {
    sumX += (t - nowMs) / 1000;
    sumY += v;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let sxx = 0;
  let sxy = 0;
  for (const [t, v] of points) {
    const dx = (t - nowMs) / 1000 - meanX;
    sxx += dx * dx;
    sxy += dx * (v - meanY);
  }
  const slope = sxy / sxx;
  const projected = meanY + slope * (horizonMs(rule) / 1000 - meanX);
  return rule.direction === 'low'
    ? slope < 0 && isPastLimit(rule, projected)
    : slope > 0 && isPastLimit(rule, projected);
};

/** Appends a reading to the lookback window and drops the readings older than it, in place. */
const slideWindow = (rule: AlarmRule, s: AlarmState, recordedAtMs: number, temperatureC: number): void => {
  const recent = (s.recent ??= []);
  recent.push([recordedAtMs, temperatureC]);
  const fromMs = recordedAtMs - lookbackMs(rule);
  let drop = 0;
  while (drop < recent.length && (recent[drop] as [number, number])[0] < fromMs) drop++;
  if (drop > 0) recent.splice(0, drop);
};

/** An interrupted clear run: its readings were part of the alarm after all. */
const breakClearRun = (s: AlarmState): void => {
  if (s.open && s.clearRun) mergeStats(s.open.stats, s.clearRun.stats);
  s.clearRun = null;
};

/** Applies one good reading (newer than every reading before it) to a predicted_breach rule's state, in place. */
export const stepPredicted = (
  rule: AlarmRule,
  s: AlarmState,
  recordedAtMs: number,
  temperatureC: number,
  events: AlarmEvent[],
): void => {
  if (s.last && s.last.temperatureC !== null && recordedAtMs - s.last.recordedAtMs > maxGapMs(rule)) {
    s.run = null;
    breakClearRun(s);
  }
  slideWindow(rule, s, recordedAtMs, temperatureC);
  const past = isPastLimit(rule, temperatureC);
  const breach = projectsBreach(rule, s.recent as [number, number][]);
  if (!s.open) {
    if (s.run ? breach || past : breach && !past) {
      s.run ??= { startMs: recordedAtMs, stats: emptyStats() };
      addReading(s.run.stats, temperatureC);
      if (recordedAtMs - s.run.startMs >= rule.delay_seconds * 1000)
        openAlarm(rule, s, s.run.startMs, recordedAtMs, events);
    } else {
      s.run = null;
    }
  } else if (!breach && !past) {
    s.clearRun ??= { startMs: recordedAtMs, stats: emptyStats() };
    addReading(s.clearRun.stats, temperatureC);
    if (recordedAtMs - s.clearRun.startMs >= rule.clear_delay_seconds * 1000)
      closeAlarm(rule, s, s.clearRun.startMs, events);
  } else {
    breakClearRun(s);
    addReading(s.open.stats, temperatureC);
  }
  s.last = { recordedAtMs, temperatureC };
};
