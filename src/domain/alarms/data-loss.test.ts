import { describe, expect, it } from 'vitest';
import { checkNoData } from './data-loss.ts';
import { evaluate, initialAlarmState, openAlarm } from './evaluate.ts';
import { at, every, run, series, thresholdRule, timeline } from './test-helpers.ts';
import type { AlarmClearedEvent, AlarmRule } from './types.ts';

const failureRule = (over: Partial<AlarmRule> = {}): AlarmRule =>
  thresholdRule({ kind: 'sensor_failure', threshold_c: undefined, failures_in_row: 3, ...over });
const noDataRule = (over: Partial<AlarmRule> = {}): AlarmRule =>
  thresholdRule({ kind: 'no_data', threshold_c: undefined, no_data_seconds: 900, ...over });

describe('sensor_failure alarms', () => {
  it('needs N failed reads in a row: a good read in between resets the count', () => {
    expect(run(failureRule(), every(0, 5, [null, null, 5, null, null, 5])).events).toEqual([]);
  });

  it('starts at the first of N failed reads in a row and clears at the next good read', () => {
    const result = run(failureRule(), every(0, 5, [5, null, null, null, null, 5]));
    expect(result.events).toEqual([
      expect.objectContaining({ type: 'started', startedAtMs: at(5), confirmedAtMs: at(15) }),
      expect.objectContaining({ type: 'cleared', startedAtMs: at(5), clearedAtMs: at(25) }),
    ]);
    expect((result.events[1] as AlarmClearedEvent).stats).toMatchObject({ failedReads: 4, peakC: null });
  });

  it('keeps counting failed reads while open', () => {
    const { state } = run(failureRule({ failures_in_row: 1 }), every(0, 5, [null, null]));
    expect(openAlarm(failureRule(), state)?.stats.failedReads).toBe(2);
  });
});

describe('no_data alarms', () => {
  const twoReadings = series([
    [0, 5],
    [5, 5],
  ]);

  it('is not raised by the sweep before the limit, and starts at last reading + limit after it', () => {
    const rule = noDataRule();
    const { state } = run(rule, twoReadings);
    expect(checkNoData(rule, state, at(19.99)).events).toEqual([]);
    const swept = checkNoData(rule, state, at(47));
    expect(swept.events).toEqual([
      expect.objectContaining({
        type: 'started',
        kind: 'no_data',
        startedAtMs: at(20),
        confirmedAtMs: at(20),
      }),
    ]);
    // A second sweep does not raise it again; the next reading clears it at its own time.
    expect(checkNoData(rule, swept.state, at(60)).events).toEqual([]);
    expect(timeline(evaluate(rule, swept.state, series([[61, null]])))).toEqual([['cleared', 61]]);
  });

  it('gives a backfill that closes the gap the same alarm the sweep would have raised', () => {
    const rule = noDataRule();
    const backfilled = run(rule, [...twoReadings, ...series([[61, 5]])]);
    expect(backfilled.events).toEqual([
      expect.objectContaining({ type: 'started', startedAtMs: at(20), confirmedAtMs: at(20) }),
      expect.objectContaining({ type: 'cleared', startedAtMs: at(20), clearedAtMs: at(61) }),
    ]);
  });

  it('raises nothing for a unit that never reported, or a disabled rule', () => {
    expect(checkNoData(noDataRule(), initialAlarmState(), at(1000)).events).toEqual([]);
    const { state } = run(noDataRule(), twoReadings);
    expect(checkNoData(noDataRule({ enabled: false }), state, at(1000)).events).toEqual([]);
  });

  it('refuses a rule of another kind', () => {
    expect(() => checkNoData(thresholdRule(), initialAlarmState(), at(0))).toThrow(/no_data rule/);
  });
});
