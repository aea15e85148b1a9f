import type { Readable } from 'node:stream';
import { AppError } from '../../lib/errors.ts';
import { readAll } from '../fetch-source.ts';
import type { RawRow } from '../types.ts';

/**
 * Reads a JSON body `{readings: [...]}` (the mock API's envelope or the JSON export) or a bare array.
 * @throws AppError VALIDATION when it is not JSON or holds no readings array.
 */
export const parseJsonReadings = async (body: Readable): Promise<RawRow[]> => {
  const text = (await readAll(body)).toString('utf8').replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AppError('VALIDATION', `JSON cannot be parsed: ${(e as Error).message}`);
  }
  const readings = Array.isArray(doc) ? doc : (doc as { readings?: unknown } | null)?.readings;
  if (!Array.isArray(readings)) throw new AppError('VALIDATION', 'JSON body has no readings array');
  return readings.filter((r): r is RawRow => r !== null && typeof r === 'object' && !Array.isArray(r));
};
