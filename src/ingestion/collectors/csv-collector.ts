import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { AppError } from '../../lib/errors.ts';
import { RowCapExceededError } from '../row-cap.ts';
import type { RawRow } from '../types.ts';
import type { ParseOptions } from './api-collector.ts';
import { yieldingSlices } from './slices.ts';

/** Characters one CSV record may hold (the header included): no row may grow without bound. */
const MAX_RECORD_CHARS = 64 * 1024;

/**
 * Parses CSV with a header row as it streams: BOM stripped, header names and values trimmed, blank
 * lines skipped, short or long lines tolerated (missing cells are absent fields, counted later by the
 * processor as missing_field). Values stay strings. With `fields`, other columns are skipped. At
 * most `maxRows` rows are kept: one more and the body is destroyed.
 * @throws RowCapExceededError past `maxRows` rows.
 * @throws AppError VALIDATION when the body is not CSV (e.g. unbalanced quotes, a huge record).
 */
export const parseCsvStream = async (
  body: Readable,
  { maxRows = Infinity, fields }: ParseOptions = {},
): Promise<RawRow[]> => {
  const sliced = Readable.from(yieldingSlices(body as AsyncIterable<Buffer>), { objectMode: false });
  const parser = sliced.pipe(
    parse({
      bom: true,
      // false skips a column: with `fields`, cells the processor never reads are not even kept.
      columns: (header: string[]) => header.map((h) => (fields && !fields.has(h.trim()) ? false : h.trim())),
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: MAX_RECORD_CHARS,
    }),
  );
  sliced.on('error', (e) => parser.destroy(e));
  const rows: RawRow[] = [];
  try {
    for await (const rec of parser as AsyncIterable<Record<string, string>>) {
      if (rows.length >= maxRows) throw new RowCapExceededError(maxRows);
      const row: RawRow = {};
      for (const [k, v] of Object.entries(rec)) if (k !== '') row[k] = v;
      rows.push(row);
    }
  } catch (e) {
    body.destroy();
    sliced.destroy();
    parser.destroy();
    if (e instanceof AppError || e instanceof RowCapExceededError) throw e;
    throw new AppError('VALIDATION', `CSV cannot be parsed: ${(e as Error).message}`);
  }
  return rows;
};
