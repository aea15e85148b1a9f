import type { WireRow } from './formats.ts';
import { hashIndex, hashString, mix32, unitFloat } from './random.ts';
import type { SimReading } from './reading-generator.ts';

// Malformed rows for ingestion tests. They are EXTRA rows inserted among the good ones, so every good
// row stays identical to ground truth; which rows and where depends only on (seed, customer, window).

export type BadRowKind = 'bad_number' | 'missing_field' | 'unknown_unit' | 'wrong_unit' | 'future_timestamp';
export const BAD_ROW_KINDS: readonly BadRowKind[] = [
  'bad_number',
  'missing_field',
  'unknown_unit',
  'wrong_unit',
  'future_timestamp',
];

const BAD_NUMBERS = ['n/a', '-12,5', 'NaN', '1e999', '--4.2', ''];
const MISSING = ['unit_id', 'timestamp', 'temperature_unit'] as const;
const WRONG_UNITS = ['K', 'celsius', 'X'];

/** The malformed copy of `good` for one kind; `h` picks the variant. */
const malform = (good: SimReading, kind: BadRowKind, h: number, nowMs: number): Record<string, unknown> => {
  const row: Record<string, unknown> = { ...good };
  switch (kind) {
    case 'bad_number':
      row.temperature = BAD_NUMBERS[h % BAD_NUMBERS.length];
      break;
    case 'missing_field':
      delete row[MISSING[h % MISSING.length] as string];
      break;
    case 'unknown_unit':
      row.unit_id = `unit_${good.customer_id}_99_${1 + (h % 9)}`;
      break;
    case 'wrong_unit':
      row.temperature_unit = WRONG_UNITS[h % WRONG_UNITS.length];
      break;
    case 'future_timestamp':
      // Whole seconds, 1–30 days ahead of the response time: clearly beyond any clock-skew tolerance.
      row.timestamp = new Date(Math.floor(nowMs / 1000) * 1000 + (1 + (h % 30)) * 86_400_000).toISOString();
      break;
  }
  return row;
};

export interface MixBadRowsInput {
  seed: string;
  customerCode: string;
  /** Identifies the window (its start), so a repeated request gets the same bad rows. */
  windowFromMs: number;
  rate: number;
  nowMs: number;
}

/**
 * Inserts round(rate × good.length) malformed rows (at least one when rate > 0), cycling through the
 * kinds so that every kind appears once there are five or more.
 */
export const mixBadRows = (good: readonly SimReading[], input: MixBadRowsInput): WireRow[] => {
  if (input.rate <= 0 || good.length === 0) return [...good];
  const count = Math.max(1, Math.round(input.rate * good.length));
  const key = mix32(
    hashString(`${input.seed}|${input.customerCode}|bad`) ^
      hashIndex(0x2545f491, Math.floor(input.windowFromMs / 1000)),
  );
  // Insert before good row `at`; rows inserted at the same position keep their draw order.
  const inserts: { at: number; row: Record<string, unknown> }[] = [];
  for (let i = 0; i < count; i++) {
    const h = hashIndex(key, i);
    const template = good[Math.floor(unitFloat(h) * good.length)] as SimReading;
    const at = Math.floor(unitFloat(mix32(h ^ 0x68e31da4)) * (good.length + 1));
    inserts.push({
      at,
      row: malform(template, BAD_ROW_KINDS[i % BAD_ROW_KINDS.length] as BadRowKind, h >>> 8, input.nowMs),
    });
  }
  inserts.sort((a, b) => a.at - b.at);
  const out: WireRow[] = [];
  let next = 0;
  for (let i = 0; i <= good.length; i++) {
    while (next < inserts.length && (inserts[next] as { at: number }).at === i)
      out.push((inserts[next++] as { row: WireRow }).row);
    if (i < good.length) out.push(good[i] as SimReading);
  }
  return out;
};
