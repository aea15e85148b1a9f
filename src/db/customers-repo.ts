import type { Sql } from './types.ts';

export interface CustomerRow {
  id: string;
  customer_code: string;
  name: string;
  data_sharing_method: 'api' | 'csv';
  data_frequency_seconds: number;
  api_url: string | null;
  timezone: string;
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
