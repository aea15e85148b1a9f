import { describe, expect, it } from 'vitest';
import { defaultLookbackSeconds, defaultNoDataSeconds, defaultRules } from './default-rules.ts';
import { alarmRuleProblems } from './rules.ts';
import { every, run, timeline } from './test-helpers.ts';

const fridge = {
  setPointC: 5,
  alarmLowLimitC: 2,
  alarmHighLimitC: 8,
  warningDeviationC: 2,
  reportingPeriodSeconds: 300,
};

describe('default alarm rules', () => {
  it('gives a unit high/low at both severities, predicted breaches, no_data and sensor_failure, all valid', () => {
    const rules = defaultRules(fridge);
    expect(rules.map((r) => [r.kind, r.severity, r.threshold_c])).toEqual([
      ['high', 'critical', 8],
      ['low', 'critical', 2],
      ['high', 'warning', 7],
      ['low', 'warning', 3],
      ['predicted_breach', 'warning', 8],
      ['predicted_breach', 'warning', 2],
      ['no_data', 'warning', undefined],
      ['sensor_failure', 'critical', undefined],
    ]);
    for (const r of rules) expect(alarmRuleProblems(r), r.id).toEqual([]);
  });

  it('keeps warning thresholds inside the critical band and falls back to set point ± 5 °C', () => {
    const narrow = defaultRules({ ...fridge, warningDeviationC: 4 });
    expect(narrow.map((r) => r.threshold_c).slice(0, 4)).toEqual([8, 2, 8, 2]);
    const noLimits = defaultRules({ ...fridge, setPointC: -20, alarmLowLimitC: null, alarmHighLimitC: null });
    expect(noLimits.map((r) => r.threshold_c).slice(0, 2)).toEqual([-15, -25]);
  });

  it('forecasts towards the critical limits over 30 min, or 5 reporting periods when they are longer', () => {
    const predicted = defaultRules(fridge).filter((r) => r.kind === 'predicted_breach');
    expect(predicted.map((r) => [r.id, r.direction, r.lookback_seconds, r.horizon_seconds])).toEqual([
      ['predicted-high', 'high', 1800, 3600],
      ['predicted-low', 'low', 1800, 3600],
    ]);
    expect(defaultLookbackSeconds(855)).toBe(4275);
  });

  it('waits 3 reporting periods, at least 15 min, before no_data', () => {
    expect(defaultNoDataSeconds(60)).toBe(900);
    expect(defaultNoDataSeconds(600)).toBe(1800);
    expect(defaultRules(fridge).find((r) => r.kind === 'no_data')?.no_data_seconds).toBe(900);
  });

  it('does not raise a critical alarm for a 30 min defrost-like excursion, but does for a 2 h fault', () => {
    const highCritical = defaultRules(fridge)[0]!;
    const defrost = every(0, 5, [5, 9, 10, 10.5, 10, 9, 8.5, 6, 5, 5]);
    expect(run(highCritical, defrost).events).toEqual([]);
    const fault = every(0, 5, [5, ...Array<number>(24).fill(12), 5, 5, 5, 5]);
    expect(timeline(run(highCritical, fault))).toEqual([
      ['started', 5],
      ['cleared', 125],
    ]);
  });
});
