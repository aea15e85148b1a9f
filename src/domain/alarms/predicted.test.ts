import { describe, expect, it } from 'vitest';
import { evaluate, initialAlarmState, openAlarm } from './evaluate.ts';
import { projectsBreach } from './predicted.ts';
import { alarmRuleProblems } from './rules.ts';
import { at, every, run, thresholdRule, timeline } from './test-helpers.ts';
import type { AlarmClearedEvent, AlarmRule } from './types.ts';

// predicted_breach: the least-squares trend over the lookback forecasts the limit within the horizon.

const predicted = (over: Partial<AlarmRule> = {}): AlarmRule =>
  thresholdRule({
    kind: 'predicted_breach',
    severity: 'warning',
    threshold_c: 8,
    direction: 'high',
    horizon_seconds: 3600,
    lookback_seconds: 1800,
    ...over,
  });

/** Values every 5 min from minute 0. */
const fiveMinutely = (values: (number | null)[]) => every(0, 5, values);

describe('predicted_breach: forecasting the limit from the trend', () => {
  it('starts at the first reading whose 30 min trend reaches the limit within the hour', () => {
    // +0.5 °C every 5 min (6 °C/h) from 2 °C: at minute 20 the five readings span 20 min ≥ 15, the
    // line stands at 4 °C and reaches 10 °C in an hour.
    const rising = fiveMinutely([2, 2.5, 3, 3.5, 4, 4.5]);
    expect(timeline(run(predicted(), rising))).toEqual([['started', 20]]);
    // The same rise with a 15 min horizon reaches only 5.5 °C: no forecast.
    expect(run(predicted({ horizon_seconds: 900 }), rising).events).toEqual([]);
  });

  it('needs five good readings spanning half the lookback: failed reads and sparse data make no trend', () => {
    expect(run(predicted(), fiveMinutely([2, 2.5, 3, 3.5])).events).toEqual([]);
    expect(run(predicted(), fiveMinutely([2, null, 3, 3.5, 4])).events).toEqual([]);
    // Readings every 10 min: never more than four inside a 30 min lookback.
    expect(run(predicted(), every(0, 10, [2, 3, 4, 5, 6, 7])).events).toEqual([]);
    // Five readings a minute apart span 4 min < 15 min.
    expect(run(predicted(), every(0, 1, [2, 3, 4, 5, 6])).events).toEqual([]);
  });

  it('ignores a flat or falling series, and a rise that stays far from the limit', () => {
    expect(run(predicted(), fiveMinutely([5, 5.1, 4.9, 5, 5.1, 4.9, 5, 5])).events).toEqual([]);
    expect(run(predicted(), fiveMinutely([7, 6.5, 6, 5.5, 5, 4.5])).events).toEqual([]);
    // 0.6 °C/h from 2 °C reaches 3 °C in an hour.
    expect(run(predicted(), fiveMinutely([2, 2.05, 2.1, 2.15, 2.2, 2.25])).events).toEqual([]);
  });

  it('is no forecast once the value is beyond the limit: a jump past it is the high rule’s', () => {
    expect(run(predicted(), fiveMinutely([5, 5, 5, 5, 9, 9.5, 10])).events).toEqual([]);
  });

  it('waits delay_seconds of uninterrupted forecast, started at the first forecasting reading', () => {
    const rising = fiveMinutely([2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5]);
    expect(run(predicted({ delay_seconds: 600 }), rising).events).toEqual([
      expect.objectContaining({ type: 'started', startedAtMs: at(20), confirmedAtMs: at(30) }),
    ]);
    // A rise that turns back before the delay (a defrost-like ramp) never starts it.
    const ramp = fiveMinutely([2, 2.5, 3, 3.5, 4, 4.5, 3, 2, 2, 2, 2]);
    expect(run(predicted({ delay_seconds: 900 }), ramp).events).toEqual([]);
  });

  it('still warns when the forecast comes true during the delay: beyond readings extend the run', () => {
    // Forecast from minute 20 (4 °C); crosses 8 °C at 40; 30 min of delay met at 50.
    const rising = fiveMinutely([2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9, 10, 10.5]);
    expect(run(predicted({ delay_seconds: 1800 }), rising).events).toEqual([
      expect.objectContaining({ type: 'started', startedAtMs: at(20), confirmedAtMs: at(50) }),
    ]);
  });

  it('holds while the value is beyond the limit, clears once the trend no longer reaches it', () => {
    const rule = predicted({ clear_delay_seconds: 600 });
    // Rises through 8 °C to 9, then back to a flat 4 °C.
    const readings = fiveMinutely([2, 3, 4, 5, 6, 7, 8, 9, 9, 6, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    const result = run(rule, readings);
    expect(timeline(result)).toEqual([
      ['started', 20],
      ['cleared', 50],
    ]);
    // At minute 45 (6 °C, back inside) the 30 min line still climbs; at 50 it falls: the clear run
    // starts there and holds 10 min. Figures over [20, 50): 6, 7, 8, 9, 9, 6; peak is the highest.
    const cleared = result.events[1] as AlarmClearedEvent;
    expect(cleared.stats).toMatchObject({ readings: 6, peakC: 9, maxC: 9, minC: 6, timeBeyondSeconds: 0 });
    // Without the fall back, the alarm stays open while the value is beyond the limit.
    expect(timeline(run(rule, readings.slice(0, 9)))).toEqual([['started', 20]]);
  });

  it('forecasts a fall for direction low, with the lowest value as peak', () => {
    const rule = predicted({ direction: 'low', threshold_c: 2 });
    const falling = fiveMinutely([8, 7.5, 7, 6.5, 6, 5.5]);
    const result = run(rule, falling);
    expect(timeline(result)).toEqual([['started', 20]]);
    expect(openAlarm(rule, result.state)?.stats.peakC).toBe(5.5);
    expect(run(predicted(), falling).events).toEqual([]);
  });

  it('keeps only the readings inside the lookback in its JSON state, and gives the same answer per reading', () => {
    const readings = fiveMinutely(Array.from({ length: 200 }, (_, i) => 5 + 3 * Math.sin(i / 6)));
    const whole = run(predicted(), readings);
    let state = initialAlarmState();
    const events = [];
    for (const r of readings) {
      const step = evaluate(predicted(), state, [r]);
      events.push(...step.events);
      state = JSON.parse(JSON.stringify(step.state)) as typeof state;
      expect(state.recent?.length).toBeLessThanOrEqual(7);
    }
    expect(events).toEqual(whole.events);
    expect(whole.events.length).toBeGreaterThan(0);
  });

  it('rejects a rule without a direction or with a non-positive horizon', () => {
    expect(alarmRuleProblems(predicted({ direction: undefined }))).toEqual([
      "direction must be 'high' or 'low'",
    ]);
    expect(alarmRuleProblems(predicted({ horizon_seconds: 0, threshold_c: undefined }))).toEqual([
      'threshold_c is required',
      'horizon_seconds must be > 0',
    ]);
  });

  it('fits the line through the window: one door-opening spike forecasts briefly, the delay absorbs it', () => {
    const rule = predicted();
    // A 3 °C spike as the newest of seven flat readings tilts the line by ~3.9 °C/h: a forecast.
    const spike: [number, number][] = [0, 5, 10, 15, 20, 25, 30].map((m) => [at(m), m === 30 ? 7 : 4]);
    expect(projectsBreach(rule, spike)).toBe(true);
    // The spike decays (τ ~ 5 min), the line stops reaching 8 °C two readings later: without a delay
    // that is a 10 min warning; 10 min of delay ignores it.
    const door = fiveMinutely([4, 4, 4, 4, 4, 4, 7, 5, 4.3, 4, 4, 4]);
    expect(timeline(run(rule, door))).toEqual([
      ['started', 30],
      ['cleared', 40],
    ]);
    expect(run(predicted({ delay_seconds: 600 }), door).events).toEqual([]);
  });
});
