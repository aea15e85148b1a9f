import type { ReadingScope } from './readings-query-repo.ts';

// Readings are keyed by their unit's compact key, storage_units.reading_key (migration 019); the view
// temperature_readings shows each reading's unit, facility and customer uuids through a join. A
// condition on those uuids cannot use the natural key's index (the planner sorts every reading of the
// unit instead of reading the newest few), so queries of readings state their scope as unit keys.

const addParam = (params: unknown[], v: unknown): string => {
  params.push(v);
  return `$${params.length}`;
};

/** SQL: the compact key of the unit whose id is the SQL expression `unitId`. */
export const unitKeySql = (unitId: string): string =>
  `(SELECT reading_key FROM storage_units WHERE id = ${unitId})`;

/** SQL: the compact keys (an array) of the units matching an SQL condition on storage_units. */
export const unitKeysSql = (condition: string): string =>
  `ARRAY(SELECT reading_key FROM storage_units WHERE ${condition})`;

/**
 * Conditions restricting readings (alias `a`, e.g. `r.`) to a scope, as unit keys: index probes of
 * (unit_key, recorded_at) for one unit or each unit of a facility or customer.
 */
export const readingScopeConditions = (s: ReadingScope, params: unknown[], a = ''): string[] => {
  const c: string[] = [];
  if (s.unitId) c.push(`${a}unit_key = ${unitKeySql(`${addParam(params, s.unitId)}::uuid`)}`);
  if (s.unitIds && s.unitIds.length > 0)
    c.push(`${a}unit_key = ANY (${unitKeysSql(`id = ANY (${addParam(params, s.unitIds)}::uuid[])`)})`);
  if (s.facilityId)
    c.push(`${a}unit_key = ANY (${unitKeysSql(`facility_id = ${addParam(params, s.facilityId)}::uuid`)})`);
  if (s.customerId)
    c.push(`${a}unit_key = ANY (${unitKeysSql(`customer_id = ${addParam(params, s.customerId)}::uuid`)})`);
  return c;
};

/**
 * SQL: the newest recorded_at among the readings of the units matching `unitCondition` (on
 * storage_units `u2`), one backward index probe per unit (a max() over several keys would read them all).
 */
export const newestOfUnitsSql = (unitCondition: string): string =>
  `(SELECT max(x.t) FROM storage_units u2 CROSS JOIN LATERAL (
      SELECT rk.recorded_at AS t FROM readings rk WHERE rk.unit_key = u2.reading_key
      ORDER BY rk.recorded_at DESC LIMIT 1) x
    WHERE ${unitCondition})`;

/** SQL: the equipment_status name of a `readings.status` code (the view shows the same). */
export const statusNameSql = (col: string): string =>
  `(CASE ${col} WHEN 'n' THEN 'normal' WHEN 'w' THEN 'warning' WHEN 'e' THEN 'error' WHEN 'f' THEN 'failure'
     ELSE 'maintenance' END)`;
