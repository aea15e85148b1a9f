import { evaluate, initialAlarmState } from './evaluate.ts';
import type { AlarmReading, AlarmRule, EvaluationResult } from './types.ts';

// Shared by the alarm tests: rules with defaults, and series written in minutes.

export const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
export const MIN = 60_000;

/** Epoch ms of minute `m` after T0. */
export const at = (m: number): number => T0 + m * MIN;

/** A high/low rule with no timers unless overridden. */
export const thresholdRule = (over: Partial<AlarmRule> = {}): AlarmRule => ({
  id: 'rule-1',
  kind: 'high',
  severity: 'critical',
  threshold_c: 8,
  delay_seconds: 0,
  deadband_c: 0,
  clear_delay_seconds: 0,
  enabled: true,
  ...over,
});

/** Readings from [minute, °C | null] pairs. */
export const series = (pairs: [number, number | null][]): AlarmReading[] =>
  pairs.map(([m, v]) => ({ recordedAtMs: at(m), temperatureC: v }));

/** Readings every `stepMin` minutes from `fromMin`, one per value. */
export const every = (fromMin: number, stepMin: number, values: (number | null)[]): AlarmReading[] =>
  values.map((v, i) => ({ recordedAtMs: at(fromMin + i * stepMin), temperatureC: v }));

/** Evaluates a whole series in one batch from a fresh state. */
export const run = (rule: AlarmRule, readings: AlarmReading[]): EvaluationResult =>
  evaluate(rule, initialAlarmState(), readings);

/** The events as [type, minute] pairs relative to T0, for compact assertions. */
export const timeline = (result: EvaluationResult): [string, number][] =>
  result.events.map((e) => [e.type, ((e.type === 'started' ? e.startedAtMs : e.clearedAtMs) - T0) / MIN]);
