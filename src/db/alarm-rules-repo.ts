import type { Sql } from './types.ts';

/** What the default rules of a unit are computed from, with any rules its customer stored. */
export interface UnitRuleSourceRow {
  storage_unit_id: string;
  customer_id: string;
  facility_id: string;
  equipment_type: string;
  temperature_unit: 'C' | 'F';
  /** In the unit's own temperature_unit, as the fleet stores them. */
  set_temperature: number;
  alarm_low_limit: number | null;
  alarm_high_limit: number | null;
  unit_frequency_seconds: number | null;
  customer_frequency_seconds: number;
  /** unit_alarm_rules.rules: the unit's own rules, or null. */
  unit_rules: unknown[] | null;
  /** alarm_rule_defaults.rules for the customer and the unit's equipment type, or null. */
  type_rules: unknown[] | null;
}

/** The rule sources of the given units (unknown ids are left out). */
export const findUnitRuleSources = (q: Sql, unitIds: readonly string[]): Promise<UnitRuleSourceRow[]> =>
  q.query<UnitRuleSourceRow>(
    `SELECT u.id AS storage_unit_id, u.customer_id, u.facility_id, u.equipment_type, u.temperature_unit,
            u.set_temperature, u.alarm_low_limit, u.alarm_high_limit,
            u.data_frequency_seconds AS unit_frequency_seconds,
            c.data_frequency_seconds AS customer_frequency_seconds,
            ur.rules AS unit_rules, d.rules AS type_rules
     FROM storage_units u JOIN customers c ON c.id = u.customer_id
     LEFT JOIN unit_alarm_rules ur ON ur.storage_unit_id = u.id
     LEFT JOIN alarm_rule_defaults d ON d.customer_id = u.customer_id AND d.equipment_type = u.equipment_type
     WHERE u.id = ANY($1::uuid[])`,
    [unitIds],
  );

/** Replaces a unit's own rules (°C AlarmRule JSON). */
export const saveUnitRules = async (q: Sql, unitId: string, rules: readonly unknown[]): Promise<void> => {
  await q.query(
    `INSERT INTO unit_alarm_rules (storage_unit_id, rules) VALUES ($1, $2::jsonb)
     ON CONFLICT (storage_unit_id) DO UPDATE SET rules = excluded.rules, updated_at = now()`,
    [unitId, JSON.stringify(rules)],
  );
};

/** Drops a unit's own rules: it falls back to its equipment type's default, else the computed ones. */
export const deleteUnitRules = async (q: Sql, unitId: string): Promise<boolean> =>
  (await q.query('DELETE FROM unit_alarm_rules WHERE storage_unit_id = $1 RETURNING 1', [unitId])).length > 0;

/** Replaces a customer's default rules for one equipment type (°C AlarmRule JSON). */
export const saveEquipmentTypeRules = async (
  q: Sql,
  customerId: string,
  equipmentType: string,
  rules: readonly unknown[],
): Promise<void> => {
  await q.query(
    `INSERT INTO alarm_rule_defaults (customer_id, equipment_type, rules) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (customer_id, equipment_type) DO UPDATE SET rules = excluded.rules, updated_at = now()`,
    [customerId, equipmentType, JSON.stringify(rules)],
  );
};

/** A customer's stored default rules for one equipment type (null when none) and its collection period. */
export const findEquipmentTypeRules = async (
  q: Sql,
  customerId: string,
  equipmentType: string,
): Promise<{ rules: unknown[] | null; customer_frequency_seconds: number } | undefined> =>
  (
    await q.query<{ rules: unknown[] | null; customer_frequency_seconds: number }>(
      `SELECT d.rules, c.data_frequency_seconds AS customer_frequency_seconds FROM customers c
       LEFT JOIN alarm_rule_defaults d ON d.customer_id = c.id AND d.equipment_type = $2
       WHERE c.id = $1::uuid`,
      [customerId, equipmentType],
    )
  )[0];

/** Drops a customer's default for an equipment type: its units fall back to the computed rules. */
export const deleteEquipmentTypeRules = async (
  q: Sql,
  customerId: string,
  equipmentType: string,
): Promise<boolean> =>
  (
    await q.query(
      'DELETE FROM alarm_rule_defaults WHERE customer_id = $1 AND equipment_type = $2 RETURNING 1',
      [customerId, equipmentType],
    )
  ).length > 0;
