import { emptyStats, summarizeStats } from './stats.ts';
import type { AlarmEvent, AlarmRule, AlarmState } from './types.ts';

// Opening and closing an alarm, the same for every kind: the state changes and the event that says so.

/** Opens the alarm with the pending run's figures (none for no_data) and emits `started`. */
export const openAlarm = (
  rule: AlarmRule,
  s: AlarmState,
  startedAtMs: number,
  confirmedAtMs: number,
  events: AlarmEvent[],
): void => {
  s.open = { startedAtMs, confirmedAtMs, stats: s.run?.stats ?? emptyStats() };
  s.run = null;
  s.clearRun = null;
  events.push({
    type: 'started',
    ruleId: rule.id,
    kind: rule.kind,
    severity: rule.severity,
    startedAtMs,
    confirmedAtMs,
  });
};

/** Closes the open alarm at `clearedAtMs` and emits `cleared` with its figures. */
export const closeAlarm = (
  rule: AlarmRule,
  s: AlarmState,
  clearedAtMs: number,
  events: AlarmEvent[],
): void => {
  const open = s.open as NonNullable<AlarmState['open']>;
  events.push({
    type: 'cleared',
    ruleId: rule.id,
    kind: rule.kind,
    severity: rule.severity,
    startedAtMs: open.startedAtMs,
    clearedAtMs,
    stats: summarizeStats(rule.kind, open.stats, rule.direction),
  });
  s.open = null;
  s.clearRun = null;
  s.lastClearedMs = clearedAtMs;
};
