import { getConfigValue } from '../db/config-repo.ts';
import { findUnitRuleSources, type UnitRuleSourceRow } from '../db/alarm-rules-repo.ts';
import type { Sql } from '../db/types.ts';
import { defaultRules } from '../domain/alarms/default-rules.ts';
import { assertValidAlarmRule } from '../domain/alarms/rules.ts';
import type { AlarmRule } from '../domain/alarms/types.ts';
import { toCelsius } from '../domain/units.ts';
import { unitPeriodSeconds } from '../fleet/feed.ts';

// Which rules apply to a unit: its own (unit_alarm_rules), else its customer's default for its
// equipment type (alarm_rule_defaults), else the defaults computed from the fleet
// (domain/alarms/default-rules.ts). All in °C; the API converts to the unit's own °C/°F.

export type RuleSource = 'unit' | 'equipment_type' | 'default';

export interface UnitRules {
  unitId: string;
  customerId: string;
  facilityId: string;
  temperatureUnit: 'C' | 'F';
  /** How often new readings are expected (fleet/feed.ts unitPeriodSeconds). */
  reportingPeriodSeconds: number;
  source: RuleSource;
  rules: AlarmRule[];
}

interface Deviation {
  warning: number;
  critical: number;
}

const deviationOf = (v: unknown): Deviation => {
  const d = (v ?? {}) as Partial<Deviation>;
  return {
    warning: typeof d.warning === 'number' ? d.warning : 2,
    critical: typeof d.critical === 'number' ? d.critical : 5,
  };
};

/** Stored rules are checked when written; a row that no longer parses falls back rather than stalling evaluation. */
export const parseStoredRules = (raw: unknown[] | null): AlarmRule[] | null => {
  if (!raw) return null;
  try {
    const rules = raw as AlarmRule[];
    for (const r of rules) assertValidAlarmRule(r);
    return rules;
  } catch {
    return null;
  }
};

const resolve = (row: UnitRuleSourceRow, deviation: Deviation): UnitRules => {
  const period = unitPeriodSeconds(row.customer_frequency_seconds, row.unit_frequency_seconds);
  const base = {
    unitId: row.storage_unit_id,
    customerId: row.customer_id,
    facilityId: row.facility_id,
    temperatureUnit: row.temperature_unit,
    reportingPeriodSeconds: period,
  };
  const own = parseStoredRules(row.unit_rules);
  if (own) return { ...base, source: 'unit', rules: own };
  const byType = parseStoredRules(row.type_rules);
  if (byType) return { ...base, source: 'equipment_type', rules: byType };
  const c = (v: number | null) => (v === null ? null : toCelsius(v, row.temperature_unit));
  const rules = defaultRules({
    setPointC: toCelsius(row.set_temperature, row.temperature_unit),
    alarmLowLimitC: c(row.alarm_low_limit),
    alarmHighLimitC: c(row.alarm_high_limit),
    warningDeviationC: deviation.warning,
    criticalDeviationC: deviation.critical,
    reportingPeriodSeconds: period,
  });
  return { ...base, source: 'default', rules };
};

/** The rules in force for each given unit, by unit id (unknown ids are absent). */
export const rulesForUnits = async (q: Sql, unitIds: readonly string[]): Promise<Map<string, UnitRules>> => {
  const out = new Map<string, UnitRules>();
  if (unitIds.length === 0) return out;
  // One after the other: `q` may be a transaction's single connection.
  const rows = await findUnitRuleSources(q, unitIds);
  const deviation = deviationOf(await getConfigValue(q, 'max_temperature_deviation'));
  for (const row of rows) out.set(row.storage_unit_id, resolve(row, deviation));
  return out;
};

/** The rules in force for one unit, or undefined when it does not exist. */
export const rulesForUnit = async (q: Sql, unitId: string): Promise<UnitRules | undefined> =>
  (await rulesForUnits(q, [unitId])).get(unitId);
