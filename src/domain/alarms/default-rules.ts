import type { AlarmRule } from './types.ts';

// The rules every unit starts with (issue 11): high and low at two severities, no_data and
// sensor_failure. Customers may change them; these are the values that keep a simulated fleet quiet
// in normal operation and loud on equipment faults (test/integration/alarm-default-rules.test.ts).
//
// Why these delays. In the simulator (src/simulation/unit-model.ts) a door opening adds a spike of
// 0.6–3 °C (up to ~5 °C in a small unit) that decays with τ = 2–8 min; a freezer's defrost ramps its
// heaters up by 2.5–5.5 °C over 20–40 min, then the compressor pulls it back with τ = 10 min. Evaluated
// with no delay over 8 weeks of the 96-unit default fleet (two seeds), normal operation left the
// critical band (set point ± 5 °C, or the unit's own limits) for at most 30 min at a time, and the ±2 °C
// warning band for at most 70 min (defrost). Hence critical waits 45 min and warning 90 min of
// uninterrupted excursion; a real fault (a failed compressor: several degrees for hours) still raises a
// critical alarm within the hour, with its true start time. A 0.5 °C deadband and a 10 min clear delay
// keep compressor cycling and sensor noise (±0.1 °C) from clearing and re-opening an alarm.
//
// predicted_breach (warning, one for each critical limit): the 30 min trend (or 5 reporting periods,
// whichever is longer) projects the critical limit within the hour. A defrost ramp (up to 16 °C/h for
// 20–40 min) and a door spike project a breach too, so the forecast must hold 40 min without
// interruption: over a week of the default fleet (three seeds) 20 min of delay gave ~3 false warnings
// per unit-week, 30 min 0–0.2, 40 min none; a slow 2 °C/h drift is still forecast in ~9 units of 10, a
// median ~50 min before the critical alarm is confirmed (alarm-default-rules.test.ts reports both).

export interface UnitAlarmProfile {
  /** The unit's set point, °C. */
  setPointC: number;
  /** The unit's alarm band, °C; null falls back to set point ∓ criticalDeviationC. */
  alarmLowLimitC: number | null;
  alarmHighLimitC: number | null;
  /** system_config max_temperature_deviation.warning, °C (default 2). */
  warningDeviationC: number;
  /** system_config max_temperature_deviation.critical, °C (default 5); used only without limits. */
  criticalDeviationC?: number;
  /**
   * How often new readings are expected, seconds: the longer of the unit's reading period and the
   * customer's collection period (readings of a customer collected every 30 min arrive 30 min apart).
   */
  reportingPeriodSeconds: number;
}

export const CRITICAL_DELAY_SECONDS = 45 * 60;
export const WARNING_DELAY_SECONDS = 90 * 60;
export const DEFAULT_DEADBAND_C = 0.5;
export const DEFAULT_CLEAR_DELAY_SECONDS = 10 * 60;
export const PREDICTION_DELAY_SECONDS = 40 * 60;
const PREDICTION_LOOKBACK_SECONDS = 30 * 60;
/** Enough readings for a trend (predicted.ts wants 5 spanning half the lookback) at any period. */
export const defaultLookbackSeconds = (reportingPeriodSeconds: number): number =>
  Math.max(PREDICTION_LOOKBACK_SECONDS, Math.ceil(5 * reportingPeriodSeconds));
/** A dead probe returns nothing three times in a row; one failed read in 1,000 is normal. */
export const DEFAULT_FAILURES_IN_ROW = 3;
const MIN_NO_DATA_SECONDS = 15 * 60;

/** No reading for 3 reporting periods, and never less than 15 min. */
export const defaultNoDataSeconds = (reportingPeriodSeconds: number): number =>
  Math.max(MIN_NO_DATA_SECONDS, Math.ceil(3 * reportingPeriodSeconds));

/**
 * The default rules of a unit: critical high/low at its alarm limits, warning high/low at set point ±
 * warningDeviationC (never outside the critical limits), a warning predicted_breach towards each
 * critical limit, no_data (warning: usually the network or the
 * source, not the unit) and sensor_failure (critical: the unit is unmonitored). All in °C; a reading
 * vouches for its value for as long as the no-data limit (max_gap_seconds).
 */
export const defaultRules = (unit: UnitAlarmProfile): AlarmRule[] => {
  const critical = unit.criticalDeviationC ?? 5;
  const highC = unit.alarmHighLimitC ?? unit.setPointC + critical;
  const lowC = unit.alarmLowLimitC ?? unit.setPointC - critical;
  const noDataSeconds = defaultNoDataSeconds(unit.reportingPeriodSeconds);
  const threshold = {
    deadband_c: DEFAULT_DEADBAND_C,
    clear_delay_seconds: DEFAULT_CLEAR_DELAY_SECONDS,
    max_gap_seconds: noDataSeconds,
    enabled: true,
  };
  const none = { delay_seconds: 0, deadband_c: 0, clear_delay_seconds: 0, enabled: true };
  return [
    {
      id: 'high-critical',
      kind: 'high',
      severity: 'critical',
      threshold_c: highC,
      delay_seconds: CRITICAL_DELAY_SECONDS,
      ...threshold,
    },
    {
      id: 'low-critical',
      kind: 'low',
      severity: 'critical',
      threshold_c: lowC,
      delay_seconds: CRITICAL_DELAY_SECONDS,
      ...threshold,
    },
    {
      id: 'high-warning',
      kind: 'high',
      severity: 'warning',
      threshold_c: Math.min(highC, unit.setPointC + unit.warningDeviationC),
      delay_seconds: WARNING_DELAY_SECONDS,
      ...threshold,
    },
    {
      id: 'low-warning',
      kind: 'low',
      severity: 'warning',
      threshold_c: Math.max(lowC, unit.setPointC - unit.warningDeviationC),
      delay_seconds: WARNING_DELAY_SECONDS,
      ...threshold,
    },
    ...(['high', 'low'] as const).map((direction): AlarmRule => ({
      id: `predicted-${direction}`,
      kind: 'predicted_breach',
      severity: 'warning',
      threshold_c: direction === 'high' ? highC : lowC,
      direction,
      horizon_seconds: 3600,
      lookback_seconds: defaultLookbackSeconds(unit.reportingPeriodSeconds),
      delay_seconds: PREDICTION_DELAY_SECONDS,
      ...threshold,
      deadband_c: 0,
    })),
    { id: 'no-data', kind: 'no_data', severity: 'warning', no_data_seconds: noDataSeconds, ...none },
    {
      id: 'sensor-failure',
      kind: 'sensor_failure',
      severity: 'critical',
      failures_in_row: DEFAULT_FAILURES_IN_ROW,
      ...none,
    },
  ];
};
