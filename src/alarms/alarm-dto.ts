import type { AlarmEventRow, AlarmRow } from '../db/alarms-query-repo.ts';
import {
  CRITICAL_DELAY_SECONDS,
  DEFAULT_CLEAR_DELAY_SECONDS,
  DEFAULT_DEADBAND_C,
  DEFAULT_FAILURES_IN_ROW,
  PREDICTION_DELAY_SECONDS,
  WARNING_DELAY_SECONDS,
  defaultLookbackSeconds,
  defaultNoDataSeconds,
} from '../domain/alarms/default-rules.ts';
import { alarmRuleProblems } from '../domain/alarms/rules.ts';
import type { AlarmRule } from '../domain/alarms/types.ts';
import {
  celsiusDeltaTo,
  celsiusTo,
  convertTemperatureDelta,
  degreesPerCelsius,
  round4,
  toCelsius,
  type TemperatureUnit,
} from '../domain/units.ts';
import { AppError } from '../lib/errors.ts';

// The API's view of alarms and rules: stored °C → the unit's own °C/°F (or the unit asked for), and
// rules as a client writes them → °C AlarmRules the engine accepts.

/** A rule as the API shows it: temperatures in `unit`, every field present (null when unused). */
export interface RuleView {
  id: string;
  kind: AlarmRule['kind'];
  severity: AlarmRule['severity'];
  threshold: number | null;
  delay_seconds: number;
  deadband: number;
  clear_delay_seconds: number;
  cumulative_seconds: number | null;
  window_seconds: number | null;
  max_gap_seconds: number | null;
  failures_in_row: number | null;
  no_data_seconds: number | null;
  enabled: boolean;
  [extra: string]: unknown;
}

/** What a client sends for one rule (API field names, temperatures in its unit). */
export interface RuleInput {
  id?: string;
  kind: string;
  severity: string;
  threshold?: number | null;
  delay_seconds?: number | null;
  deadband?: number | null;
  clear_delay_seconds?: number | null;
  cumulative_seconds?: number | null;
  window_seconds?: number | null;
  max_gap_seconds?: number | null;
  failures_in_row?: number | null;
  no_data_seconds?: number | null;
  enabled?: boolean;
  [extra: string]: unknown;
}

/**
 * predicted_breach's own fields: no temperature in them, so they travel unchanged. Anything else a
 * client sends is dropped rather than stored beside the rule.
 */
const PASSED_THROUGH = ['direction', 'horizon_seconds', 'lookback_seconds'] as const;

const extras = (r: object): Record<string, unknown> =>
  Object.fromEntries(
    PASSED_THROUGH.map((k) => [k, (r as Record<string, unknown>)[k]]).filter(
      ([, v]) => v !== undefined && v !== null,
    ),
  );

/**
 * A °C rule as the API shows it in `unit`. Tolerant of partial snapshots (a customer-wide
 * source_down alarm's rule is not a unit rule): missing numbers read as 0.
 */
export const ruleView = (r: AlarmRule, unit: TemperatureUnit): RuleView => ({
  id: r.id,
  kind: r.kind,
  severity: r.severity,
  threshold: celsiusTo(r.threshold_c, unit),
  delay_seconds: r.delay_seconds ?? 0,
  deadband: celsiusDeltaTo(r.deadband_c, unit) ?? 0,
  clear_delay_seconds: r.clear_delay_seconds ?? 0,
  cumulative_seconds: r.cumulative_seconds ?? null,
  window_seconds: r.window_seconds ?? null,
  max_gap_seconds: r.max_gap_seconds ?? null,
  failures_in_row: r.failures_in_row ?? null,
  no_data_seconds: r.no_data_seconds ?? null,
  enabled: r.enabled ?? true,
  ...extras(r),
});

const isThresholdKind = (kind: string): boolean => kind === 'high' || kind === 'low';

/** predicted_breach looks this far ahead unless told (as the default rules do). */
const DEFAULT_HORIZON_SECONDS = 3600;

/** The engine's messages name its °C fields; the client wrote the API's. */
const inApiTerms = (problem: string): string =>
  problem.replace(/threshold_c/g, 'threshold').replace(/deadband_c/g, 'deadband');

/**
 * A fresh id for a rule sent without one, named as the defaults are (high-critical, no-data, …) so
 * that re-sending the default rules keeps their alarms and evaluation state; numbered when taken.
 */
const newId = (r: RuleInput, taken: Set<string>): string => {
  const base =
    r.kind === 'predicted_breach' && typeof r.direction === 'string'
      ? `predicted-${r.direction}`
      : (isThresholdKind(r.kind) ? `${r.kind}-${r.severity}` : r.kind).replace(/_/g, '-');
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
};

/** What a rule of this kind and severity gets for the fields a client left out (as defaultRules does). */
const kindDefaults = (
  r: RuleInput,
  reportingPeriodSeconds: number,
): Partial<AlarmRule> & {
  delay_seconds: number;
  deadband_c: number;
  clear_delay_seconds: number;
} => {
  const noData = defaultNoDataSeconds(reportingPeriodSeconds);
  if (isThresholdKind(r.kind))
    return {
      delay_seconds: r.severity === 'critical' ? CRITICAL_DELAY_SECONDS : WARNING_DELAY_SECONDS,
      deadband_c: DEFAULT_DEADBAND_C,
      clear_delay_seconds: DEFAULT_CLEAR_DELAY_SECONDS,
      max_gap_seconds: noData,
    };
  if (r.kind === 'predicted_breach')
    return {
      delay_seconds: PREDICTION_DELAY_SECONDS,
      deadband_c: 0,
      clear_delay_seconds: DEFAULT_CLEAR_DELAY_SECONDS,
      max_gap_seconds: noData,
      horizon_seconds: DEFAULT_HORIZON_SECONDS,
      lookback_seconds: defaultLookbackSeconds(reportingPeriodSeconds),
    };
  const none = { delay_seconds: 0, deadband_c: 0, clear_delay_seconds: 0 };
  if (r.kind === 'sensor_failure') return { ...none, failures_in_row: DEFAULT_FAILURES_IN_ROW };
  if (r.kind === 'no_data') return { ...none, no_data_seconds: noData };
  return none;
};

/**
 * For the fields where 0 is no valid value (timers, counts, limits), 0 means "not set": the JSON body
 * parser coerces a null a client sends back from GET to 0 (Fastify's coerceTypes), so both read alike.
 */
const unset = (v: number | null | undefined): number | undefined => (v ? v : undefined);

/**
 * Client rules → °C AlarmRules, with the defaults of each kind and severity for omitted fields
 * (the delays and deadband of domain/alarms/default-rules.ts; the no-data limit from the unit's
 * reporting period).
 * @throws AppError VALIDATION listing every problem (duplicate ids, the engine's rule checks).
 */
export const rulesFromInput = (
  inputs: readonly RuleInput[],
  unit: TemperatureUnit,
  reportingPeriodSeconds: number,
): AlarmRule[] => {
  const problems: string[] = [];
  const taken = new Set(inputs.map((r) => r.id).filter((id): id is string => typeof id === 'string'));
  const seen = new Set<string>();
  const rules = inputs.map((r, i) => {
    const id = r.id ?? newId(r, taken);
    taken.add(id);
    if (seen.has(id)) problems.push(`rules[${i}]: id '${id}' is used twice`);
    seen.add(id);
    const d = kindDefaults(r, reportingPeriodSeconds);
    const rule: AlarmRule = {
      ...(extras(r) as object),
      id,
      kind: r.kind as AlarmRule['kind'],
      severity: r.severity as AlarmRule['severity'],
      delay_seconds: r.delay_seconds ?? d.delay_seconds,
      deadband_c:
        r.deadband === null || r.deadband === undefined
          ? d.deadband_c
          : convertTemperatureDelta(r.deadband, unit, 'C'),
      clear_delay_seconds: r.clear_delay_seconds ?? d.clear_delay_seconds,
      enabled: r.enabled ?? true,
    };
    const set = <K extends keyof AlarmRule>(k: K, v: AlarmRule[K] | null | undefined) => {
      if (v !== null && v !== undefined) rule[k] = v;
    };
    const limited = isThresholdKind(r.kind) || r.kind === 'predicted_breach';
    if (limited && r.threshold !== null && r.threshold !== undefined)
      rule.threshold_c = toCelsius(r.threshold, unit);
    set('cumulative_seconds', unset(r.cumulative_seconds));
    set('window_seconds', unset(r.window_seconds));
    set('max_gap_seconds', unset(r.max_gap_seconds) ?? d.max_gap_seconds);
    set('failures_in_row', unset(r.failures_in_row) ?? d.failures_in_row);
    set('no_data_seconds', unset(r.no_data_seconds) ?? d.no_data_seconds);
    set('horizon_seconds', unset(r.horizon_seconds as number | null | undefined) ?? d.horizon_seconds);
    set('lookback_seconds', unset(r.lookback_seconds as number | null | undefined) ?? d.lookback_seconds);
    for (const p of alarmRuleProblems(rule)) problems.push(`rules[${i}] (${id}): ${inApiTerms(p)}`);
    return rule;
  });
  if (problems.length > 0)
    throw new AppError('VALIDATION', `Invalid alarm rules: ${problems.join('; ')}`, { problems });
  return rules;
};

/** The alarm's temperatures are shown in the unit asked for, else the unit's own, else °C. */
export const displayUnit = (row: AlarmRow, asked?: TemperatureUnit): TemperatureUnit =>
  asked ?? row.unit_temperature_unit ?? 'C';

const seconds = (from: Date, to: Date): number =>
  Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

/** One alarm in a list. */
export const alarmItem = (row: AlarmRow, now: Date, asked?: TemperatureUnit) => {
  const unit = displayUnit(row, asked);
  return {
    id: row.id,
    customer_id: row.customer_id,
    storage_unit_id: row.storage_unit_id,
    facility_id: row.facility_id,
    kind: row.kind,
    severity: row.severity,
    state: row.state,
    rule_id: row.rule_id,
    started_at: row.started_at,
    confirmed_at: row.confirmed_at,
    detected_at: row.detected_at,
    cleared_at: row.cleared_at,
    acknowledged_at: row.acknowledged_at,
    acknowledged_by: row.acknowledged_by,
    comment: row.comment,
    shelved_until: row.shelved_until,
    shelved_reason: row.shelved_reason,
    peak_temperature: celsiusTo(row.peak_c, unit),
    threshold: celsiusTo(row.threshold_c, unit),
    temperature_unit: unit,
    late: row.late,
    duration_seconds: seconds(row.started_at, row.cleared_at ?? now),
    unit_code: row.unit_code,
    unit_name: row.unit_name,
    facility_code: row.facility_code,
    facility_name: row.facility_name,
  };
};

export const adminAlarmItem = (row: AlarmRow, now: Date, asked?: TemperatureUnit) => ({
  ...alarmItem(row, now, asked),
  customer_code: row.customer_code,
  customer_name: row.customer_name,
});

/** An event as the API shows it: its details first, so `type` and `at` always win. */
const eventView = (e: AlarmEventRow) => ({ ...e.details, type: e.type, at: e.at });

/** One alarm with its record: figures, the rule it was raised under, its events in order. */
export const alarmDetail = (row: AlarmRow, events: AlarmEventRow[], now: Date, asked?: TemperatureUnit) => {
  const unit = displayUnit(row, asked);
  return {
    ...alarmItem(row, now, asked),
    acknowledged_by_token_id: row.acknowledged_by_token_id,
    shelved_by: row.shelved_by,
    rule: ruleView(row.rule_snapshot as unknown as AlarmRule, unit),
    min_temperature: celsiusTo(row.min_c, unit),
    max_temperature: celsiusTo(row.max_c, unit),
    mean_temperature: celsiusTo(row.mean_c, unit),
    time_beyond_seconds: row.time_beyond_seconds,
    degree_minutes: round4(row.degree_minutes * degreesPerCelsius(unit)),
    reading_count: row.reading_count,
    failed_reads: row.failed_reads,
    events: events.map(eventView),
  };
};

/** The prototype's history row: our alarm plus the names its dashboard expected. */
export const historyItem = (row: AlarmRow, now: Date, asked?: TemperatureUnit) => {
  const item = alarmItem(row, now, asked);
  return {
    ...item,
    alarm_type: row.kind,
    is_active: row.cleared_at === null,
    temperature: item.peak_temperature,
    recorded_at: row.started_at,
  };
};
