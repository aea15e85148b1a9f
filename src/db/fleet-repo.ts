import { newestOfUnitsSql } from './reading-keys.ts';
import type { CustomerRow } from './customers-repo.ts';
import { param } from './readings-query-repo.ts';
import type { Sql } from './types.ts';

/** Who may see what: a customer (optionally limited to some units), or everyone (admin: customerId undefined). */
export interface FleetScope {
  customerId?: string;
  unitIds?: readonly string[];
}

export interface FacilityRow {
  id: string;
  customer_id: string;
  facility_code: string;
  name: string | null;
  city: string | null;
  country: string | null;
  latitude: number | null;
  longitude: number | null;
  created_at: Date;
  updated_at: Date;
  unit_count: number;
  customer_code?: string;
  customer_name?: string;
}

const FACILITY_COLUMNS = `f.id, f.customer_id, f.facility_code, f.name, f.city, f.country, f.latitude, f.longitude,
  f.created_at, f.updated_at, c.customer_code, c.name AS customer_name,
  (SELECT count(*)::int FROM storage_units su WHERE su.facility_id = f.id) AS unit_count`;

const facilityConditions = (s: FleetScope, params: unknown[]): string[] => {
  const c: string[] = [];
  if (s.customerId) c.push(`f.customer_id = ${param(params, s.customerId)}::uuid`);
  if (s.unitIds && s.unitIds.length > 0)
    c.push(
      `EXISTS (SELECT 1 FROM storage_units su WHERE su.facility_id = f.id AND su.id = ANY(${param(params, s.unitIds)}::uuid[]))`,
    );
  return c;
};
const where = (c: string[]) => (c.length ? `WHERE ${c.join(' AND ')}` : '');

export const listFacilities = async (
  q: Sql,
  s: FleetScope,
  limit: number,
  offset: number,
): Promise<{ rows: FacilityRow[]; total: number }> => {
  const params: unknown[] = [];
  const w = where(facilityConditions(s, params));
  const [{ n }] = (await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM facilities f ${w}`,
    params,
  )) as [{ n: number }];
  const rows = await q.query<FacilityRow>(
    `SELECT ${FACILITY_COLUMNS} FROM facilities f JOIN customers c ON c.id = f.customer_id ${w}
     ORDER BY f.created_at DESC, f.facility_code LIMIT ${param(params, limit)} OFFSET ${param(params, offset)}`,
    params,
  );
  return { rows, total: n };
};

export const findFacility = async (q: Sql, id: string, s: FleetScope): Promise<FacilityRow | undefined> => {
  const params: unknown[] = [id];
  const c = ['f.id = $1::uuid', ...facilityConditions(s, params)];
  return (
    await q.query<FacilityRow>(
      `SELECT ${FACILITY_COLUMNS} FROM facilities f JOIN customers c ON c.id = f.customer_id ${where(c)}`,
      params,
    )
  )[0];
};

/**
 * A facility's stored row (no counts or names), in the scope, locked until the transaction ends:
 * the state an update changes from, for the audit trail. NO KEY UPDATE does not block the units'
 * foreign keys.
 */
export const lockFacilityRow = async (
  tx: Sql,
  id: string,
  s: FleetScope,
): Promise<Record<string, unknown> | undefined> => {
  const params: unknown[] = [id];
  const c = ['f.id = $1::uuid', ...facilityConditions(s, params)];
  return (await tx.query(`SELECT f.* FROM facilities f ${where(c)} FOR NO KEY UPDATE OF f`, params))[0];
};

/** A facility's stored row (no counts or names). */
export const findFacilityRow = async (q: Sql, id: string): Promise<Record<string, unknown> | undefined> =>
  (await q.query('SELECT * FROM facilities WHERE id = $1::uuid', [id]))[0];

export interface FacilityInput {
  facility_code?: string;
  name?: string | null;
  city?: string | null;
  country?: string | null;
  latitude?: number | null;
  longitude?: number | null;
}

/** Returns undefined when the (customer, facility_code) pair exists already. */
export const insertFacility = async (
  q: Sql,
  customerId: string,
  f: FacilityInput,
): Promise<string | undefined> =>
  (
    await q.query<{ id: string }>(
      `INSERT INTO facilities (customer_id, facility_code, name, city, country, latitude, longitude)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (customer_id, facility_code) DO NOTHING RETURNING id`,
      [
        customerId,
        f.facility_code,
        f.name ?? null,
        f.city ?? null,
        f.country ?? null,
        f.latitude ?? null,
        f.longitude ?? null,
      ],
    )
  )[0]?.id;

/** Sets the given non-null fields; returns false when no facility matched (id and customer). */
export const updateFacility = async (
  q: Sql,
  id: string,
  customerId: string | undefined,
  f: FacilityInput,
): Promise<boolean> => {
  const params: unknown[] = [id];
  const sets: string[] = [];
  for (const k of ['name', 'city', 'country', 'latitude', 'longitude'] as const) {
    const v = f[k];
    if (v !== undefined && v !== null) sets.push(`${k} = ${param(params, v)}`);
  }
  sets.push('updated_at = now()');
  const c = ['id = $1::uuid'];
  if (customerId) c.push(`customer_id = ${param(params, customerId)}::uuid`);
  const rows = await q.query(
    `UPDATE facilities SET ${sets.join(', ')} WHERE ${c.join(' AND ')} RETURNING id`,
    params,
  );
  return rows.length > 0;
};

export interface UnitRow {
  id: string;
  facility_id: string;
  customer_id: string;
  unit_code: string;
  name: string | null;
  size_value: number;
  size_unit: string;
  set_temperature: number;
  temperature_unit: 'C' | 'F';
  equipment_type: string;
  alarm_low_limit: number | null;
  alarm_high_limit: number | null;
  data_frequency_seconds: number | null;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
  last_temperature_c: number | null;
  last_source_value: number | null;
  last_source_unit: 'C' | 'F' | null;
  last_equipment_status: string | null;
  last_reading_time: Date | null;
  /** How often the unit's customer is collected: judges whether its newest reading is overdue. */
  customer_frequency_seconds: number;
  /** Alarms not closed yet (still active, or cleared but not acknowledged). */
  open_alarms: number;
  /** The worst alarm whose condition still holds (not cleared): 2 critical, 1 warning, null none. */
  alarm_level: number | null;
}

const UNIT_COLUMNS = `u.id, u.facility_id, u.customer_id, u.unit_code, u.name, u.size_value, u.size_unit, u.set_temperature,
  u.temperature_unit, u.equipment_type, u.alarm_low_limit, u.alarm_high_limit, u.data_frequency_seconds, u.is_active,
  (SELECT c.data_frequency_seconds FROM customers c WHERE c.id = u.customer_id) AS customer_frequency_seconds,
  u.created_at, u.updated_at, r.temperature_c AS last_temperature_c, r.source_value AS last_source_value,
  r.source_unit AS last_source_unit, r.equipment_status AS last_equipment_status, r.recorded_at AS last_reading_time,
  (SELECT count(*)::int FROM alarms a WHERE a.storage_unit_id = u.id AND a.state <> 'closed') AS open_alarms,
  (SELECT max(CASE a.severity WHEN 'critical' THEN 2 ELSE 1 END) FROM alarms a
   WHERE a.storage_unit_id = u.id AND a.state <> 'closed' AND a.cleared_at IS NULL) AS alarm_level`;

// The newest reading per unit: one probe of the (storage_unit_id, recorded_at) key per unit.
const UNIT_FROM = `storage_units u LEFT JOIN LATERAL (
    SELECT temperature_c, source_value, source_unit, equipment_status, recorded_at FROM temperature_readings x
    WHERE x.unit_key = u.reading_key ORDER BY x.recorded_at DESC LIMIT 1) r ON true`;

const unitConditions = (s: FleetScope, params: unknown[]): string[] => {
  const c: string[] = [];
  if (s.customerId) c.push(`u.customer_id = ${param(params, s.customerId)}::uuid`);
  if (s.unitIds && s.unitIds.length > 0) c.push(`u.id = ANY(${param(params, s.unitIds)}::uuid[])`);
  return c;
};

export const listUnits = async (
  q: Sql,
  facilityId: string,
  s: FleetScope,
  limit: number,
  offset: number,
): Promise<{ rows: UnitRow[]; total: number }> => {
  const params: unknown[] = [facilityId];
  const c = ['u.facility_id = $1::uuid', ...unitConditions(s, params)];
  const [{ n }] = (await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM storage_units u ${where(c)}`,
    params,
  )) as [{ n: number }];
  const rows = await q.query<UnitRow>(
    `SELECT ${UNIT_COLUMNS} FROM ${UNIT_FROM} ${where(c)}
     ORDER BY u.created_at DESC, u.unit_code LIMIT ${param(params, limit)} OFFSET ${param(params, offset)}`,
    params,
  );
  return { rows, total: n };
};

export const findUnit = async (q: Sql, id: string, s: FleetScope): Promise<UnitRow | undefined> => {
  const params: unknown[] = [id];
  const c = ['u.id = $1::uuid', ...unitConditions(s, params)];
  return (await q.query<UnitRow>(`SELECT ${UNIT_COLUMNS} FROM ${UNIT_FROM} ${where(c)}`, params))[0];
};

/** A unit's stored row (no reading or alarms), in the scope, locked until the transaction ends. */
export const lockUnitRow = async (
  tx: Sql,
  id: string,
  s: FleetScope,
): Promise<Record<string, unknown> | undefined> => {
  const params: unknown[] = [id];
  const c = ['u.id = $1::uuid', ...unitConditions(s, params)];
  return (await tx.query(`SELECT u.* FROM storage_units u ${where(c)} FOR NO KEY UPDATE OF u`, params))[0];
};

/** A unit's stored row (no reading or alarms). */
export const findUnitRow = async (q: Sql, id: string): Promise<Record<string, unknown> | undefined> =>
  (await q.query('SELECT * FROM storage_units WHERE id = $1::uuid', [id]))[0];

export interface UnitInput {
  unit_code?: string;
  name?: string | null;
  size_value?: number;
  size_unit?: string;
  set_temperature?: number;
  temperature_unit?: 'C' | 'F';
  equipment_type?: string;
  alarm_low_limit?: number | null;
  alarm_high_limit?: number | null;
  data_frequency_seconds?: number | null;
}

/** Returns undefined when the (facility, unit_code) pair exists already. */
export const insertUnit = async (
  q: Sql,
  facility: { id: string; customer_id: string },
  u: UnitInput,
): Promise<string | undefined> =>
  (
    await q.query<{ id: string }>(
      `INSERT INTO storage_units (facility_id, customer_id, unit_code, name, size_value, size_unit, set_temperature,
         temperature_unit, equipment_type, alarm_low_limit, alarm_high_limit, data_frequency_seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (facility_id, unit_code) DO NOTHING RETURNING id`,
      [
        facility.id,
        facility.customer_id,
        u.unit_code,
        u.name ?? null,
        u.size_value,
        u.size_unit,
        u.set_temperature,
        u.temperature_unit,
        u.equipment_type ?? 'freezer',
        u.alarm_low_limit ?? null,
        u.alarm_high_limit ?? null,
        u.data_frequency_seconds ?? null,
      ],
    )
  )[0]?.id;

export const updateUnit = async (q: Sql, id: string, s: FleetScope, u: UnitInput): Promise<boolean> => {
  const params: unknown[] = [id];
  const sets: string[] = [];
  for (const k of [
    'name',
    'size_value',
    'size_unit',
    'set_temperature',
    'temperature_unit',
    'equipment_type',
    'alarm_low_limit',
    'alarm_high_limit',
    'data_frequency_seconds',
  ] as const) {
    const v = u[k];
    if (v !== undefined && v !== null) sets.push(`${k} = ${param(params, v)}`);
  }
  sets.push('updated_at = now()');
  const c = ['u.id = $1::uuid', ...unitConditions(s, params)];
  const rows = await q.query(
    `UPDATE storage_units u SET ${sets.join(', ')} ${where(c)} RETURNING id`,
    params,
  );
  return rows.length > 0;
};

export interface CustomerDetailRow extends CustomerRow {
  facility_count: number;
  unit_count: number;
  active_readings_count: number;
  last_reading_time: Date | null;
}

// Counts come from the hourly rollups (exact) and the newest reading from the customer index.
const CUSTOMER_DETAIL = `SELECT c.*,
  (SELECT count(*)::int FROM facilities f WHERE f.customer_id = c.id) AS facility_count,
  (SELECT count(*)::int FROM storage_units u WHERE u.customer_id = c.id) AS unit_count,
  (SELECT coalesce(sum(reading_count), 0)::int FROM reading_rollups_hourly h WHERE h.customer_id = c.id) AS active_readings_count,
  ${newestOfUnitsSql('u2.customer_id = c.id')} AS last_reading_time
  FROM customers c`;

export const findCustomerDetail = async (q: Sql, id: string): Promise<CustomerDetailRow | undefined> =>
  (await q.query<CustomerDetailRow>(`${CUSTOMER_DETAIL} WHERE c.id = $1::uuid`, [id]))[0];

export const listCustomerDetails = async (
  q: Sql,
  limit: number,
  offset: number,
): Promise<{ rows: CustomerDetailRow[]; total: number }> => {
  const [{ n }] = (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM customers')) as [
    { n: number },
  ];
  const rows = await q.query<CustomerDetailRow>(
    `${CUSTOMER_DETAIL} ORDER BY c.created_at DESC, c.customer_code LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
  return { rows, total: n };
};

export interface CustomerInput {
  customer_code?: string;
  name?: string;
  data_sharing_method?: 'api' | 'csv';
  data_frequency_seconds?: number;
  api_url?: string | null;
  timezone?: string;
  is_active?: boolean;
  /** null clears the customer's own retention (the system's applies); undefined leaves it. */
  data_retention_days?: number | null;
}

/** Returns undefined when the customer code is taken. */
export const insertCustomer = async (q: Sql, c: CustomerInput): Promise<string | undefined> =>
  (
    await q.query<{ id: string }>(
      `INSERT INTO customers (customer_code, name, data_sharing_method, data_frequency_seconds, api_url, timezone, is_active,
         data_retention_days)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (customer_code) DO NOTHING RETURNING id`,
      [
        c.customer_code,
        c.name,
        c.data_sharing_method,
        c.data_frequency_seconds,
        c.api_url ?? null,
        c.timezone ?? 'UTC',
        c.is_active ?? true,
        c.data_retention_days ?? null,
      ],
    )
  )[0]?.id;

export const updateCustomer = async (q: Sql, id: string, c: CustomerInput): Promise<boolean> => {
  const params: unknown[] = [id];
  const sets: string[] = [];
  for (const k of [
    'name',
    'data_sharing_method',
    'data_frequency_seconds',
    'api_url',
    'timezone',
    'is_active',
  ] as const) {
    const v = c[k];
    if (v !== undefined && v !== null) sets.push(`${k} = ${param(params, v)}`);
  }
  if (c.data_retention_days !== undefined)
    sets.push(`data_retention_days = ${param(params, c.data_retention_days)}::int`);
  sets.push('updated_at = now()');
  const rows = await q.query(
    `UPDATE customers SET ${sets.join(', ')} WHERE id = $1::uuid RETURNING id`,
    params,
  );
  return rows.length > 0;
};

export const customerExists = async (q: Sql, id: string): Promise<boolean> =>
  (await q.query('SELECT 1 FROM customers WHERE id = $1::uuid', [id])).length > 0;

/** Which of the given unit ids belong to the customer. */
export const ownUnitIds = async (q: Sql, customerId: string, ids: readonly string[]): Promise<string[]> =>
  (
    await q.query<{ id: string }>(
      'SELECT id FROM storage_units WHERE customer_id = $1 AND id = ANY($2::uuid[])',
      [customerId, ids],
    )
  ).map((r) => r.id);

/** Whether a facility is visible in the scope (a cheap existence check for reading queries). */
export const facilityVisible = async (q: Sql, id: string, s: FleetScope): Promise<boolean> => {
  const params: unknown[] = [id];
  const c = ['f.id = $1::uuid', ...facilityConditions(s, params)];
  return (await q.query(`SELECT 1 FROM facilities f ${where(c)}`, params)).length > 0;
};

/** Whether a storage unit is visible in the scope. */
export const unitVisible = async (q: Sql, id: string, s: FleetScope): Promise<boolean> => {
  const params: unknown[] = [id];
  const c = ['u.id = $1::uuid', ...unitConditions(s, params)];
  return (await q.query(`SELECT 1 FROM storage_units u ${where(c)}`, params)).length > 0;
};
