import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.ts';
import { evaluate, initialAlarmState } from './evaluate.ts';
import { evaluateSeries } from './reference.ts';
import { alarmRuleProblems } from './rules.ts';
import { at, every, run, series, thresholdRule, timeline } from './test-helpers.ts';

describe('alarm evaluation: batches, redelivery and late readings', () => {
  const rule = thresholdRule({ delay_seconds: 600 });

  it('sorts a batch and keeps one reading per instant, a real value over a failed read', () => {
    const readings = series([
      [10, 9],
      [0, 9],
      [5, null],
      [5, 9],
    ]);
    expect(timeline(run(rule, readings))).toEqual([['started', 0]]);
  });

  it('treats a non-finite temperature as a failed read and drops a reading without a time', () => {
    const failures = thresholdRule({ kind: 'sensor_failure', failures_in_row: 2 });
    const readings = [
      { recordedAtMs: at(0), temperatureC: Number.NaN },
      { recordedAtMs: Number.NaN, temperatureC: 5 },
      { recordedAtMs: at(5), temperatureC: Number.POSITIVE_INFINITY },
    ];
    expect(timeline(run(failures, readings))).toEqual([['started', 0]]);
    expect(run(rule, readings).state.watermarkMs).toBe(at(5));
  });

  it('skips a redelivered batch: no duplicate alarm, and says how many it skipped', () => {
    const batch = every(0, 5, [9, 9, 9]);
    const first = run(rule, batch);
    expect(timeline(first)).toEqual([['started', 0]]);
    const again = evaluate(rule, first.state, batch);
    expect(again.events).toEqual([]);
    expect(again.skipped).toBe(3);
    expect(again.oldestSkippedMs).toBe(at(0));
    expect(again.state).toEqual(first.state);
  });

  it('reports a late reading and lets the caller replay from a checkpoint to the same answer as the whole series', () => {
    // 5 and 10 arrive only after 15: the incremental path skips them and says so.
    const checkpoint = initialAlarmState();
    const early = evaluate(rule, checkpoint, series([[0, 9]]));
    const jumped = evaluate(rule, early.state, series([[15, 9]]));
    const late = evaluate(
      rule,
      jumped.state,
      series([
        [5, 7],
        [10, 7],
      ]),
    );
    expect(late.skipped).toBe(2);
    expect(late.oldestSkippedMs).toBe(at(5));
    // Without the late readings the excursion looks held from 0 to 15.
    expect(timeline(jumped)).toEqual([['started', 0]]);
    // The replay over the stored readings since the checkpoint finds that it was not.
    const stored = series([
      [0, 9],
      [5, 7],
      [10, 7],
      [15, 9],
    ]);
    const replayed = evaluate(rule, checkpoint, stored);
    expect(replayed.events).toEqual([]);
    expect(replayed.events).toEqual(evaluateSeries(rule, stored).events);
  });

  it('advances a disabled rule without raising anything, and forgets what was pending', () => {
    const pending = run(rule, every(0, 5, [9]));
    const disabled = evaluate({ ...rule, enabled: false }, pending.state, every(5, 5, [9, 9, 9]));
    expect(disabled.events).toEqual([]);
    expect(disabled.state.run).toBeNull();
    expect(disabled.state.watermarkMs).toBe(at(15));
  });
});

describe('alarm rules: validation', () => {
  it('names what is wrong with a rule', () => {
    expect(alarmRuleProblems(thresholdRule())).toEqual([]);
    expect(alarmRuleProblems(thresholdRule({ threshold_c: undefined }))).toEqual(['threshold_c is required']);
    expect(alarmRuleProblems(thresholdRule({ cumulative_seconds: 3600 }))).toEqual([
      'cumulative_seconds and window_seconds go together',
    ]);
    expect(alarmRuleProblems(thresholdRule({ cumulative_seconds: 3600, window_seconds: 60 }))).toEqual([
      'window_seconds must be ≥ cumulative_seconds',
    ]);
    expect(alarmRuleProblems(thresholdRule({ delay_seconds: -1, deadband_c: Number.NaN }))).toEqual([
      'delay_seconds must be ≥ 0',
      'deadband_c must be ≥ 0',
    ]);
    expect(alarmRuleProblems(thresholdRule({ kind: 'sensor_failure', failures_in_row: 0 }))).toEqual([
      'failures_in_row must be an integer ≥ 1',
    ]);
    expect(alarmRuleProblems(thresholdRule({ kind: 'no_data' }))).toEqual(['no_data_seconds must be > 0']);
  });

  it('refuses to evaluate an invalid rule with a VALIDATION error', () => {
    const bad = thresholdRule({ threshold_c: Number.POSITIVE_INFINITY });
    expect(() => run(bad, [])).toThrow(AppError);
    expect(() => evaluateSeries(bad, [])).toThrow(/threshold_c is required/);
  });
});
