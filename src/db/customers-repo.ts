import { newestOfUnitsSql } from './reading-keys.ts';
import type { CustomerDetailRow } from './fleet-repo.ts';
import type { Sql } from './types.ts';

export interface CustomerRow {
  id: string;
  customer_code: string;
  name: string;
  data_sharing_method: 'api' | 'csv';
  data_frequency_seconds: number;
  api_url: string | null;
  timezone: string;
  /** Days raw readings are kept; null: the system's data_retention_days. */
  data_retention_days: number | null;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

export const findCustomerByCode = async (q: Sql, code: string): Promise<CustomerRow | undefined> =>
  (await q.query<CustomerRow>('SELECT * FROM customers WHERE customer_code = $1', [code]))[0];

export const listCustomers = async (q: Sql, activeOnly = false): Promise<CustomerRow[]> =>
  q.query<CustomerRow>(
    `SELECT * FROM customers ${activeOnly ? 'WHERE is_active' : ''} ORDER BY customer_code`,
  );

/**
 * A customer's row, locked until the transaction ends: the state an update changes from, for the
 * audit trail, and the zone's last change. NO KEY UPDATE: serialises updates and zone changes of
 * this customer without blocking the writers of its readings (their foreign keys).
 */
export const lockCustomer = async (
  tx: Sql,
  id: string,
): Promise<(CustomerRow & { timezone_changed_at: Date | null }) | undefined> =>
  (
    await tx.query<CustomerRow & { timezone_changed_at: Date | null }>(
      'SELECT * FROM customers WHERE id = $1::uuid FOR NO KEY UPDATE',
      [id],
    )
  )[0];

/** A customer's row as stored (no counts). */
export const findCustomerRow = async (q: Sql, id: string): Promise<CustomerRow | undefined> =>
  (await q.query<CustomerRow>('SELECT * FROM customers WHERE id = $1::uuid', [id]))[0];

export const markZoneChanged = async (tx: Sql, id: string, at: Date): Promise<void> => {
  await tx.query('UPDATE customers SET timezone_changed_at = $2 WHERE id = $1::uuid', [id, at]);
};

/** The customer's detail with counts and the newest reading over `unitIds` only. */
export const findCustomerDetailForUnits = async (
  q: Sql,
  id: string,
  unitIds: readonly string[],
): Promise<CustomerDetailRow | undefined> =>
  (
    await q.query<CustomerDetailRow>(
      `SELECT c.*,
         (SELECT count(DISTINCT u.facility_id)::int FROM storage_units u
          WHERE u.customer_id = c.id AND u.id = ANY($2::uuid[])) AS facility_count,
         (SELECT count(*)::int FROM storage_units u WHERE u.customer_id = c.id AND u.id = ANY($2::uuid[])) AS unit_count,
         (SELECT coalesce(sum(reading_count), 0)::int FROM reading_rollups_hourly h
          WHERE h.customer_id = c.id AND h.storage_unit_id = ANY($2::uuid[])) AS active_readings_count,
         ${newestOfUnitsSql('u2.customer_id = c.id AND u2.id = ANY ($2::uuid[])')} AS last_reading_time
       FROM customers c WHERE c.id = $1::uuid`,
      [id, unitIds],
    )
  )[0];
