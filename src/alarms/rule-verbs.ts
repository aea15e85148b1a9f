import { recordAudit, requireReason } from '../audit/record.ts';
import {
  deleteEquipmentTypeRules,
  deleteUnitRules,
  findEquipmentTypeRules,
  saveEquipmentTypeRules,
  saveUnitRules,
} from '../db/alarm-rules-repo.ts';
import type { TemperatureUnit } from '../domain/units.ts';
import { unitPeriodSeconds } from '../fleet/feed.ts';
import { assertUnit } from '../fleet/fleet.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FeatureContext } from '../readings/context.ts';
import { ruleView, rulesFromInput, type RuleInput } from './alarm-dto.ts';
import { parseStoredRules, rulesForUnit } from './unit-rules.ts';

// A unit's alarm rules and a customer's defaults per equipment type, as the API and the CLI see them:
// temperatures in the unit's own °C/°F (the equipment-type defaults in the unit the caller names),
// stored in °C. Writing checks every rule with the engine's own check (422 with its messages).
// Every change is audited (entity alarm_rules / alarm_rule_defaults) with the rules before and after
// in °C, in the transaction that makes it, and needs a reason (limits: 21 CFR 11).

/** The caller's customer and unit restriction (no customer: every unit, as the CLI). */
export interface RuleScope {
  customerId?: string;
  unitIds?: readonly string[];
}

/** Equipment-type defaults belong to a customer. */
const customerOf = (s: RuleScope): string => {
  if (!s.customerId) throw new AppError('VALIDATION', 'Equipment-type defaults need a customer');
  return s.customerId;
};

/** The rules in force for a unit, with where they come from. */
export const getUnitRules = async (ctx: FeatureContext, unitId: string, s: RuleScope) => {
  await assertUnit(ctx, unitId, s);
  const r = await rulesForUnit(ctx.db, unitId);
  if (!r) throw notFound('Storage unit');
  return {
    storage_unit_id: unitId,
    temperature_unit: r.temperatureUnit,
    source: r.source,
    rules: r.rules.map((rule) => ruleView(rule, r.temperatureUnit)),
  };
};

/** The rules in force for a unit before and after a change, as the trail stores them (°C). */
const unitRulesRecord = (r: { source: string; rules: unknown[] }) => ({ source: r.source, rules: r.rules });

/** Replaces a unit's own rules (given in its own unit); a token limited to units may touch only those. */
export const putUnitRules = async (
  ctx: FeatureContext,
  unitId: string,
  s: RuleScope,
  inputs: readonly RuleInput[],
) => {
  // Another customer's unit is a 404 before anything else, a missing reason a 422 before any work.
  await assertUnit(ctx, unitId, s);
  requireReason('changing alarm rules');
  await ctx.db.transaction(async (tx) => {
    const r = await rulesForUnit(tx, unitId);
    if (!r) throw notFound('Storage unit');
    const rules = rulesFromInput(inputs, r.temperatureUnit, r.reportingPeriodSeconds);
    await saveUnitRules(tx, unitId, rules);
    await recordAudit(tx, {
      entityType: 'alarm_rules',
      entityId: unitId,
      customerId: r.customerId,
      action: 'update',
      before: unitRulesRecord(r),
      after: unitRulesRecord({ source: 'unit', rules }),
      reasonRequired: true,
    });
  });
  return getUnitRules(ctx, unitId, s);
};

/** Drops a unit's own rules: back to its equipment type's default, else the computed ones. */
export const resetUnitRules = async (ctx: FeatureContext, unitId: string, s: RuleScope) => {
  // Another customer's unit is a 404 before anything else, a missing reason a 422 before any work.
  await assertUnit(ctx, unitId, s);
  requireReason('removing alarm rules');
  await ctx.db.transaction(async (tx) => {
    const before = await rulesForUnit(tx, unitId);
    if (!before) throw notFound('Storage unit');
    // Nothing of the unit's own to drop: no change, no entry.
    if (!(await deleteUnitRules(tx, unitId))) return;
    const after = await rulesForUnit(tx, unitId);
    await recordAudit(tx, {
      entityType: 'alarm_rules',
      entityId: unitId,
      customerId: before.customerId,
      action: 'delete',
      before: unitRulesRecord(before),
      // What the unit falls back to, so the entry shows the limits in force afterwards.
      after: after ? unitRulesRecord(after) : null,
      reasonRequired: true,
    });
  });
  return getUnitRules(ctx, unitId, s);
};

const customerWide = (s: RuleScope): void => {
  if (s.unitIds && s.unitIds.length > 0)
    throw new AppError(
      'FORBIDDEN',
      'This token is limited to some storage units and cannot change customer-wide alarm defaults',
    );
};

/** A customer's default rules for an equipment type, in `unit` (°C unless asked). */
export const getEquipmentTypeRules = async (
  ctx: FeatureContext,
  s: RuleScope,
  equipmentType: string,
  unit: TemperatureUnit = 'C',
) => {
  const row = await findEquipmentTypeRules(ctx.db, customerOf(s), equipmentType);
  if (!row) throw notFound('Customer');
  // Stored rules that no longer pass the engine's check are shown as none rather than failing.
  const rules = parseStoredRules(row.rules);
  return {
    equipment_type: equipmentType,
    temperature_unit: unit,
    stored: rules !== null,
    rules: (rules ?? []).map((r) => ruleView(r, unit)),
  };
};

/** The trail's id of a customer's default for an equipment type. */
const typeDefaultId = (customerId: string, equipmentType: string) => `${customerId}:${equipmentType}`;

/** Replaces a customer's default rules for an equipment type (given in `unit`). */
export const putEquipmentTypeRules = async (
  ctx: FeatureContext,
  s: RuleScope,
  equipmentType: string,
  inputs: readonly RuleInput[],
  unit: TemperatureUnit = 'C',
) => {
  customerWide(s);
  const customerId = customerOf(s);
  requireReason('changing alarm rules');
  await ctx.db.transaction(async (tx) => {
    const row = await findEquipmentTypeRules(tx, customerId, equipmentType);
    if (!row) throw notFound('Customer');
    const rules = rulesFromInput(inputs, unit, unitPeriodSeconds(row.customer_frequency_seconds, null));
    await saveEquipmentTypeRules(tx, customerId, equipmentType, rules);
    await recordAudit(tx, {
      entityType: 'alarm_rule_defaults',
      entityId: typeDefaultId(customerId, equipmentType),
      customerId,
      action: row.rules ? 'update' : 'create',
      before: row.rules ? { equipment_type: equipmentType, rules: row.rules } : undefined,
      after: { equipment_type: equipmentType, rules },
      reasonRequired: true,
    });
  });
  return getEquipmentTypeRules(ctx, s, equipmentType, unit);
};

/** Drops a customer's default for an equipment type. */
export const resetEquipmentTypeRules = async (
  ctx: FeatureContext,
  s: RuleScope,
  equipmentType: string,
  unit: TemperatureUnit = 'C',
) => {
  customerWide(s);
  const customerId = customerOf(s);
  requireReason('removing alarm rules');
  await ctx.db.transaction(async (tx) => {
    const row = await findEquipmentTypeRules(tx, customerId, equipmentType);
    // An unknown customer is a 404 from the read below; no stored default: no change, no entry.
    if (!row?.rules || !(await deleteEquipmentTypeRules(tx, customerId, equipmentType))) return;
    await recordAudit(tx, {
      entityType: 'alarm_rule_defaults',
      entityId: typeDefaultId(customerId, equipmentType),
      customerId,
      action: 'delete',
      before: { equipment_type: equipmentType, rules: row.rules },
      reasonRequired: true,
    });
  });
  return getEquipmentTypeRules(ctx, s, equipmentType, unit);
};
