import { AppError } from '../../lib/errors.ts';
import { fetchSource, type FetchLimits } from '../fetch-source.ts';
import { SOURCE_FIELDS } from '../processor.ts';
import type { RawRow } from '../types.ts';
import { parseJsonReadings } from './api-collector.ts';
import { parseCsvStream } from './csv-collector.ts';

export type CollectMethod = 'api' | 'csv';

/** The URL of one collection: the customer's source URL asking for [since, until). */
export const windowUrl = (base: string, since: Date, until: Date): string => {
  const u = new URL(base);
  u.searchParams.delete('hours');
  u.searchParams.set('since', since.toISOString());
  u.searchParams.set('until', until.toISOString());
  return u.toString();
};

/**
 * Collects one window from a customer's source: JSON for `api` customers, CSV for `csv` ones, both
 * parsed as they stream in. Reading stops (and the connection is dropped) past `maxRows` rows.
 * @throws RowCapExceededError past `maxRows` rows.
 * @throws AppError (VALIDATION for a refused URL or an unparseable body, UPSTREAM_UNAVAILABLE otherwise).
 */
export const collectWindow = async (
  method: CollectMethod,
  sourceUrl: string,
  since: Date,
  until: Date,
  limits: FetchLimits,
  maxRows = Infinity,
): Promise<RawRow[]> => {
  const res = await fetchSource(windowUrl(sourceUrl, since, until), limits);
  // Only the fields the processor reads are kept: a row's memory does not grow with what was sent.
  if (method === 'api') return parseJsonReadings(res.body, { maxRows, fields: SOURCE_FIELDS });
  if (method === 'csv') return parseCsvStream(res.body, { maxRows, fields: SOURCE_FIELDS });
  throw new AppError('VALIDATION', `unknown data sharing method ${String(method)}`);
};
