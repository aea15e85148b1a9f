import { describe, expect, it } from 'vitest';
import { toCelsius } from '../units.ts';
import { evaluate, initialAlarmState, openAlarm } from './evaluate.ts';
import { at, every, run, series, thresholdRule, timeline } from './test-helpers.ts';
import type { AlarmClearedEvent } from './types.ts';

describe('high/low alarms: thresholds and delays', () => {
  it('counts a value equal to the threshold as beyond it, for high and low rules', () => {
    expect(timeline(run(thresholdRule(), series([[0, 7.99]])))).toEqual([]);
    expect(timeline(run(thresholdRule(), series([[0, 8]])))).toEqual([['started', 0]]);
    const low = thresholdRule({ kind: 'low', threshold_c: 2 });
    expect(timeline(run(low, series([[0, 2.01]])))).toEqual([]);
    expect(timeline(run(low, series([[0, 2]])))).toEqual([['started', 0]]);
  });

  it('keeps °F thresholds exact when the caller converts them like the readings (46.4 °F = 8 °C)', () => {
    const rule = thresholdRule({ threshold_c: toCelsius(46.4, 'F') });
    expect(timeline(run(rule, series([[0, toCelsius(46.4, 'F')]])))).toEqual([['started', 0]]);
    expect(timeline(run(rule, series([[0, toCelsius(46.3, 'F')]])))).toEqual([]);
  });

  it('does not start on a short door opening shorter than the delay', () => {
    const rule = thresholdRule({ delay_seconds: 900 });
    // Beyond from minute 5 to the normal reading at 15: held 10 min < 15 min.
    expect(timeline(run(rule, every(0, 5, [5, 9, 9.5, 6, 5])))).toEqual([]);
  });

  it('starts a held excursion at its true start, confirmed when the delay elapsed', () => {
    const rule = thresholdRule({ delay_seconds: 900 });
    const result = run(rule, every(0, 5, [5, 9, 9, 9, 9, 9]));
    expect(result.events).toEqual([
      expect.objectContaining({ type: 'started', startedAtMs: at(5), confirmedAtMs: at(20) }),
    ]);
  });

  it('needs the delay without interruption: one normal reading restarts the timer', () => {
    const rule = thresholdRule({ delay_seconds: 900 });
    const readings = every(0, 5, [5, 9, 9, 7, 9, 9, 9]);
    expect(timeline(run(rule, readings))).toEqual([]);
    expect(timeline(run(rule, [...readings, ...series([[35, 9]])]))).toEqual([['started', 20]]);
  });

  it('counts a reading as holding until the next one: an excursion lasting exactly the delay starts and clears', () => {
    const rule = thresholdRule({ delay_seconds: 900 });
    expect(timeline(run(rule, every(5, 5, [9, 9, 9, 6])))).toEqual([
      ['started', 5],
      ['cleared', 20],
    ]);
  });

  it('lets a gap longer than max_gap_seconds break a pending run', () => {
    const rule = thresholdRule({ delay_seconds: 3600, max_gap_seconds: 1800 });
    // The lone reading at 0 vouches for 30 min only; the run that counts starts at 120.
    const readings = [...series([[0, 9]]), ...every(120, 5, Array<number>(13).fill(9))];
    expect(run(rule, readings).events).toEqual([
      expect.objectContaining({ type: 'started', startedAtMs: at(120), confirmedAtMs: at(180) }),
    ]);
  });

  it('ignores failed reads: they neither interrupt a pending run nor clear an alarm', () => {
    const rule = thresholdRule({ delay_seconds: 900 });
    const readings = series([
      [0, 9],
      [5, null],
      [10, null],
      [15, 9],
      [20, null],
      [25, null],
      [30, 7],
    ]);
    expect(run(rule, readings).events).toEqual([
      expect.objectContaining({ type: 'started', startedAtMs: at(0), confirmedAtMs: at(15) }),
      expect.objectContaining({ type: 'cleared', clearedAtMs: at(30) }),
    ]);
  });
});

describe('high/low alarms: clearing, hysteresis and re-triggering', () => {
  const flapping = every(0, 5, [7.9, 8.1, 7.9, 8.2, 7.8, 8.0, 7.6, 8.1, 7.4, 7.0]);

  it('flaps without a deadband (one alarm per crossing)', () => {
    expect(timeline(run(thresholdRule(), flapping)).filter(([type]) => type === 'started')).toHaveLength(4);
  });

  it('raises one alarm with a deadband, cleared only below threshold − deadband', () => {
    expect(timeline(run(thresholdRule({ deadband_c: 0.5 }), flapping))).toEqual([
      ['started', 5],
      ['cleared', 40],
    ]);
  });

  it('clears a low alarm only above threshold + deadband', () => {
    const rule = thresholdRule({ kind: 'low', threshold_c: 2, deadband_c: 0.5 });
    expect(timeline(run(rule, every(0, 5, [1.5, 2.3, 2.5, 2.6])))).toEqual([
      ['started', 0],
      ['cleared', 15],
    ]);
  });

  it('clears only after clear_delay_seconds back in range, dated at the first reading of that stretch', () => {
    const rule = thresholdRule({ clear_delay_seconds: 900 });
    const readings = every(0, 5, [9, 7, 9, 7, 7, 7]);
    expect(timeline(run(rule, readings))).toEqual([['started', 0]]);
    expect(timeline(run(rule, [...readings, ...series([[30, 7]])]))).toEqual([
      ['started', 0],
      ['cleared', 15],
    ]);
  });

  it('opens a new alarm when the condition returns after a clear', () => {
    expect(timeline(run(thresholdRule(), every(0, 5, [9, 7, 9, 9])))).toEqual([
      ['started', 0],
      ['cleared', 5],
      ['started', 10],
    ]);
  });

  it('records peak, min, max, mean, time and degree-minutes beyond over [start, clear)', () => {
    const result = run(thresholdRule(), every(0, 5, [7, 9, 10, 8, 7]));
    const cleared = result.events[1] as AlarmClearedEvent;
    expect(cleared.startedAtMs).toBe(at(5));
    expect(cleared.clearedAtMs).toBe(at(20));
    expect(cleared.stats).toEqual({
      peakC: 10,
      minC: 8,
      maxC: 10,
      meanC: 9,
      readings: 3,
      failedReads: 0,
      timeBeyondSeconds: 900,
      degreeMinutes: 15,
    });
    const lowCleared = run(thresholdRule({ kind: 'low', threshold_c: 2 }), every(0, 10, [1, 0, 3]))
      .events[1] as AlarmClearedEvent;
    expect(lowCleared.stats).toMatchObject({ peakC: 0, timeBeyondSeconds: 1200, degreeMinutes: 30 });
  });

  it('shows running figures for an open alarm, up to the newest closed interval', () => {
    const { state } = run(thresholdRule(), every(0, 5, [9, 11, 10]));
    expect(openAlarm(thresholdRule(), state)).toEqual({
      startedAtMs: at(0),
      confirmedAtMs: at(0),
      stats: expect.objectContaining({ peakC: 11, meanC: 10, timeBeyondSeconds: 600, degreeMinutes: 20 }),
    });
  });
});

describe('high/low alarms: cumulative timer (WHO ≥ 30 °C for 10 h cumulative in 24 h)', () => {
  const who = thresholdRule({
    threshold_c: 30,
    cumulative_seconds: 10 * 3600,
    window_seconds: 24 * 3600,
  });
  /** Readings every 10 min; each cycle has 50 min at 31 °C then normal at 25 °C. */
  const cycles = (count: number, cycleMin: number): ReturnType<typeof every> =>
    Array.from({ length: count }, (_, k) =>
      every(
        k * cycleMin,
        10,
        Array.from({ length: cycleMin / 10 }, (_, i) => (i < 5 ? 31 : 25)),
      ),
    ).flat();

  it('starts once interrupted excursions add up to 10 h, though none lasted 1 h', () => {
    const result = run(who, cycles(12, 120));
    expect(result.events).toEqual([
      expect.objectContaining({ type: 'started', startedAtMs: at(1320), confirmedAtMs: at(1370) }),
      expect.objectContaining({ type: 'cleared', clearedAtMs: at(1370) }),
    ]);
    expect((result.events[1] as AlarmClearedEvent).stats.timeBeyondSeconds).toBe(50 * 60);
    const singleEvent = thresholdRule({ threshold_c: 30, delay_seconds: 3600 });
    expect(run(singleEvent, cycles(12, 120)).events).toEqual([]);
  });

  it('forgets beyond time older than the window', () => {
    // One excursion every 3 h: at most 8–9 × 50 min inside any 24 h, never 10 h.
    expect(run(who, cycles(30, 180)).events).toEqual([]);
  });

  it('counts afresh after a clear instead of re-opening on every later excursion', () => {
    const started = run(who, cycles(24, 120)).events.filter((e) => e.type === 'started');
    expect(started.map((e) => (e.startedAtMs - at(0)) / 60_000)).toEqual([1320, 2760]);
  });
});

describe('high/low alarms: state', () => {
  it('does not modify the state passed in, and the state survives JSON', () => {
    const rule = thresholdRule({ delay_seconds: 600, cumulative_seconds: 600, window_seconds: 3600 });
    const first = evaluate(rule, initialAlarmState(), every(0, 5, [9, 9]));
    const snapshot = JSON.stringify(first.state);
    const second = evaluate(rule, JSON.parse(snapshot), every(10, 5, [9, 7]));
    expect(JSON.stringify(first.state)).toBe(snapshot);
    expect(timeline(second)).toEqual([
      ['started', 0],
      ['cleared', 15],
    ]);
  });
});
