import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { assignmentCustomer } from './assignment.ts';
import { mixBadRows, BAD_ROW_KINDS } from './bad-data.ts';
import { DEFAULT_FLEET_FILE, parseFleet } from './fleet.ts';
import {
  GENERATOR_COLUMNS,
  READING_COLUMNS,
  csvDownloadFileName,
  faultToJson,
  faultsFromJson,
  jsonEnvelope,
  jsonExport,
  readingsToCsv,
  readingsToGeneratorCsv,
} from './formats.ts';
import { customerReadings, type SimReading } from './reading-generator.ts';

const fixture = (p: string): string =>
  readFileSync(new URL(`../../test/fixtures/seed/${p}`, import.meta.url), 'utf8');
const firstLine = (s: string): string => s.split(/\r?\n/)[0] as string;
const T0 = Date.parse('2025-06-18T00:00:00Z');
const fleet = parseFleet(readFileSync(DEFAULT_FLEET_FILE, 'utf8'));
const customerB = fleet.customers[1]!;
const readings = customerReadings({ seed: 's', customer: customerB, fromMs: T0, toMs: T0 + 48 * 3_600_000 });

describe('sim-API/CSV format', () => {
  it('has the header of the prototype files', () => {
    expect(READING_COLUMNS.join(',')).toBe(firstLine(fixture('misc/customer_B_data.csv')));
    expect(firstLine(readingsToCsv(readings))).toBe(
      firstLine(fixture('simulator-csv-format/E_download.csv')),
    );
  });

  it('parses back with a real CSV parser into the same readings, nulls as empty cells', () => {
    const rows = parse(readingsToCsv(readings), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(readings.length);
    rows.forEach((row, i) => {
      const r = readings[i] as SimReading;
      expect(row.unit_id).toBe(r.unit_id);
      expect(row.timestamp).toBe(r.timestamp);
      expect(row.unit_name).toBe(''); // fleet B's units are unnamed
      expect(row.temperature === '' ? null : Number(row.temperature)).toBe(r.temperature);
      expect(Number(row.quality_score)).toBe(r.quality_score);
      expect(Number(row.set_temperature)).toBe(r.set_temperature);
    });
  });

  it('quotes cells that hold commas or quotes', () => {
    const odd = { ...(readings[0] as SimReading), unit_name: 'Freezer "North", bay 2' };
    const [row] = parse(readingsToCsv([odd]), { columns: true }) as Record<string, string>[];
    expect(row?.unit_name).toBe('Freezer "North", bay 2');
  });
});

describe('CSVGenerator format', () => {
  it('matches the prototype layout: storage_room and degrees last, naive UTC timestamps', () => {
    const csv = readingsToGeneratorCsv(readings);
    expect(firstLine(csv)).toBe(firstLine(fixture('csv-generator-format/customer_B_data_file_1.csv')));
    expect(GENERATOR_COLUMNS.join(',')).toBe(firstLine(fixture('assignment/customer_A_assignment.csv')));
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(readings.length);
    const r0 = readings[0] as SimReading;
    expect(rows[0]?.timestamp).toBe(r0.timestamp.slice(0, 19).replace('T', ' '));
    expect(rows[0]?.degrees).toBe('C');
    expect(rows[0]?.storage_room).toBe('');
    const a = customerReadings({
      seed: 's',
      customer: assignmentCustomer('A'),
      fromMs: T0,
      toMs: T0 + 3_600_000,
    });
    const line = readingsToGeneratorCsv(a).split('\n')[1] as string;
    expect(line).toMatch(
      /^A,facility_a_1,unit_a_1,-?\d+(\.\d+)?,2025-06-18 00:\d\d:\d\d,sensor_1_[1-4],-20,930,sqm,,England,[\d.]+,,C$/,
    );
  });
});

describe('JSON formats', () => {
  it('wraps readings in the /temperature/current envelope and the CLI export, keys in prototype order', () => {
    const at = new Date('2025-06-18T20:22:58.800Z');
    const env = jsonEnvelope('A', at, readings.slice(0, 3));
    expect(Object.keys(env)).toEqual(['customer_id', 'generated_at', 'reading_count', 'readings']);
    expect(env).toMatchObject({
      customer_id: 'A',
      generated_at: '2025-06-18T20:22:58.800Z',
      reading_count: 3,
    });
    expect(Object.keys(env.readings[0] as object)).toEqual([...READING_COLUMNS]);
    const exp = jsonExport(assignmentCustomer('B'), at, []);
    const proto = JSON.parse(fixture('assignment/customer_B_assignment.json')) as Record<string, unknown>;
    expect(Object.keys(exp)).toEqual(Object.keys(proto));
    expect(Object.keys((proto.readings as object[])[0] as object)).toEqual([...READING_COLUMNS]);
    expect(csvDownloadFileName('B', at)).toBe('customer_B_data_20250618_202258.csv');
  });

  it('round-trips injected faults through their JSON listing', () => {
    const f = { unitCode: 'unit_A_1_1', startMs: T0, durationMs: 45 * 60_000, delta: -6.5 };
    expect(faultToJson(f)).toEqual({
      unit_code: 'unit_A_1_1',
      start: '2025-06-18T00:00:00.000Z',
      duration_minutes: 45,
      delta: -6.5,
    });
    expect(faultsFromJson([faultToJson(f)])).toEqual([f]);
  });
});

describe('bad-data rows', () => {
  const good = readings.slice(0, 100);
  const input = { seed: 's', customerCode: 'B', windowFromMs: T0, rate: 0.1, nowMs: T0 + 48 * 3_600_000 };

  it('adds malformed rows of every kind while every good row stays, in order', () => {
    const mixed = mixBadRows(good, input);
    expect(mixed).toHaveLength(110);
    expect(mixed.filter((r) => good.includes(r as SimReading))).toEqual(good);
    const bad = mixed.filter((r) => !good.includes(r as SimReading)) as Record<string, unknown>[];
    expect(bad.some((r) => typeof r.temperature === 'string')).toBe(true);
    expect(bad.some((r) => !('unit_id' in r) || !('timestamp' in r) || !('temperature_unit' in r))).toBe(
      true,
    );
    expect(bad.some((r) => String(r.unit_id).startsWith('unit_B_99_'))).toBe(true);
    expect(bad.some((r) => !['C', 'F', undefined].includes(r.temperature_unit as string))).toBe(true);
    expect(bad.some((r) => Date.parse(String(r.timestamp)) > input.nowMs + 86_400_000 - 1000)).toBe(true);
    expect(BAD_ROW_KINDS).toHaveLength(5);
  });

  it('is deterministic for a window, and CSV stays parseable', () => {
    expect(mixBadRows(good, input)).toEqual(mixBadRows(good, input));
    expect(mixBadRows(good, { ...input, windowFromMs: T0 + 1000 })).not.toEqual(mixBadRows(good, input));
    expect(mixBadRows(good, { ...input, rate: 0 })).toEqual(good);
    const rows = parse(readingsToCsv(mixBadRows(good, input)), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(110);
  });
});
