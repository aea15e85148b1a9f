import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { AppError } from '../../lib/errors.ts';
import type { RawRow } from '../types.ts';

/**
 * Parses CSV with a header row as it streams: BOM stripped, header names and values trimmed, blank
 * lines skipped, short or long lines tolerated (missing cells are absent fields, counted later by the
 * processor as missing_field). Values stay strings.
 * @throws AppError VALIDATION when the body is not CSV (e.g. unbalanced quotes).
 */
export const parseCsvStream = async (body: Readable): Promise<RawRow[]> => {
  const parser = body.pipe(
    parse({
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim()),
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }),
  );
  body.on('error', (e) => parser.destroy(e));
  const rows: RawRow[] = [];
  try {
    for await (const rec of parser as AsyncIterable<Record<string, string>>) {
      const row: RawRow = {};
      for (const [k, v] of Object.entries(rec)) if (k !== '') row[k] = v;
      rows.push(row);
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('VALIDATION', `CSV cannot be parsed: ${(e as Error).message}`);
  }
  return rows;
};
