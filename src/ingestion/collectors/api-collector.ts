import type { Readable } from 'node:stream';
import { TokenParser, Tokenizer, TokenType, type ParsedTokenInfo } from '@streamparser/json';
import { AppError } from '../../lib/errors.ts';
import { RowCapExceededError } from '../row-cap.ts';
import { yieldingSlices } from './slices.ts';
import type { RawRow } from '../types.ts';

/** Rows are flat objects; nesting deeper than this is not a readings document (and costs a stack). */
const MAX_DEPTH = 16;
/** Tokens one row may hold (about 1,000 fields): a single row must not grow without bound either. */
const MAX_TOKENS_PER_ROW = 4_000;

const isRow = (v: unknown): v is RawRow => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface ParseOptions {
  /** Rows kept at most; one more throws RowCapExceededError (default: no limit). */
  maxRows?: number;
  /** Fields kept of each row (default: all). Rows then cost memory by these, not by what was sent. */
  fields?: ReadonlySet<string>;
}

/** The row with only `fields` (a new small object: the parsed one can be collected at once). */
export const pickFields = (row: RawRow, fields: ReadonlySet<string> | undefined): RawRow => {
  if (!fields) return row;
  const kept: RawRow = {};
  for (const f of fields) if (f in row) kept[f] = row[f];
  return kept;
};

/** Index of the first byte that is not whitespace or a UTF-8 BOM, or -1. */
const firstSignificant = (b: Buffer): number => {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) {
      i += 2;
      continue;
    }
    return i;
  }
  return -1;
};

/**
 * Streams the readings out of a JSON body as it arrives: a bare array, or an envelope whose `readings`
 * array holds them (the mock API's `{customer, …, readings: [...]}`, the JSON export). Only the
 * current row is assembled; everything else in the document is parsed and dropped, so memory is
 * bounded by the rows kept (and, with `fields`, by those fields of each), and at most `maxRows` are
 * kept: one more and the body is destroyed. Elements that are not objects count toward the cap but
 * are not rows.
 * @throws RowCapExceededError past `maxRows` elements.
 * @throws AppError VALIDATION when it is not JSON or holds no readings array.
 */
export const parseJsonReadings = async (
  body: Readable,
  { maxRows = Infinity, fields }: ParseOptions = {},
): Promise<RawRow[]> => {
  const rows: RawRow[] = [];
  let elements = 0;

  let found = false;
  let depth = 0;
  let rowTokens = 0;
  let key: unknown;
  let previous: TokenType | undefined;
  let tokenizer: Tokenizer | undefined;

  const start = (kind: 'array' | 'object') => {
    found = kind === 'array';
    const rowDepth = kind === 'array' ? 1 : 2;
    const parser = new TokenParser({ paths: [kind === 'array' ? '$.*' : '$.readings.*'], keepStack: false });
    parser.onValue = ({ value }) => {
      if (++elements > maxRows) throw new RowCapExceededError(maxRows);
      if (isRow(value)) rows.push(pickFields(value, fields));
    };
    const t = new Tokenizer();
    t.onToken = (tok: ParsedTokenInfo) => {
      const { token } = tok;
      if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
        if (++depth > MAX_DEPTH) throw new AppError('VALIDATION', `JSON nested deeper than ${MAX_DEPTH}`);
        // `"readings": [` directly in the top-level object.
        if (kind === 'object' && depth === 2 && token === TokenType.LEFT_BRACKET && key === 'readings')
          found = true;
      } else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) depth--;
      if (depth === 1 && token === TokenType.STRING && previous !== TokenType.COLON) key = tok.value;
      if (depth > rowDepth) {
        if (++rowTokens > MAX_TOKENS_PER_ROW)
          throw new AppError('VALIDATION', `a JSON reading holds more than ${MAX_TOKENS_PER_ROW} tokens`);
      } else rowTokens = 0;
      previous = token;
      parser.write(tok);
    };
    t.onEnd = () => {
      if (!parser.isEnded) parser.end();
    };
    parser.onEnd = () => {
      if (!t.isEnded) t.end();
    };
    return t;
  };

  try {
    for await (const raw of yieldingSlices(body as AsyncIterable<Buffer>)) {
      let chunk = raw;
      if (!tokenizer) {
        const i = firstSignificant(chunk);
        if (i < 0) continue;
        chunk = chunk.subarray(i);
        if (chunk[0] === 0x5b) tokenizer = start('array');
        else if (chunk[0] === 0x7b) tokenizer = start('object');
        else throw new AppError('VALIDATION', 'JSON body has no readings array');
      }
      // Whitespace after the document ends is allowed; anything else is a parse error below.
      if (tokenizer.isEnded && firstSignificant(chunk) < 0) continue;
      tokenizer.write(chunk);
    }
    if (!tokenizer) throw new AppError('VALIDATION', 'JSON cannot be parsed: empty body');
    if (!tokenizer.isEnded) tokenizer.end();
  } catch (e) {
    body.destroy();
    if (e instanceof RowCapExceededError || e instanceof AppError) throw e;
    throw new AppError('VALIDATION', `JSON cannot be parsed: ${(e as Error).message}`);
  }
  if (!found) throw new AppError('VALIDATION', 'JSON body has no readings array');

  return rows;
};
