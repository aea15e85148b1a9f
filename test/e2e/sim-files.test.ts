import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { assignmentCustomer } from '../../src/simulation/assignment.ts';
import { writeDataFile } from '../../src/simulation/data-files.ts';
import { loadFleet } from '../../src/simulation/fleet.ts';
import { customerReadings, type SimReading } from '../../src/simulation/reading-generator.ts';

// Files are written a day at a time: across day boundaries they must hold exactly the ground truth.

const dir = mkdtempSync(path.join(tmpdir(), 'tms-sim-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FROM = Date.parse('2025-06-14T07:30:00Z');
const TO = FROM + 3.5 * 86_400_000;

describe('writeDataFile', () => {
  it('writes a multi-day JSON export equal to ground truth, with matching statistics', async () => {
    const customer = assignmentCustomer('B');
    const file = path.join(dir, 'nested', 'b.json');
    const fractions: number[] = [];
    const result = await writeDataFile({
      file,
      format: 'json-export',
      customer,
      seed: 'files',
      fromMs: FROM,
      toMs: TO,
      generatedAt: new Date(TO),
      onProgress: (f) => fractions.push(f),
    });
    const truth = customerReadings({ seed: 'files', customer, fromMs: FROM, toMs: TO });
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { readings: SimReading[]; generated_at: string };
    expect(doc.readings).toEqual(truth);
    expect(doc.generated_at).toBe(new Date(TO).toISOString());
    expect(result.readings).toBe(truth.length);
    expect(result.nulls).toBe(truth.filter((r) => r.temperature === null).length);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    const u1 = truth
      .filter((r) => r.unit_id === 'unit_b_1' && r.temperature !== null)
      .map((r) => r.temperature as number);
    expect(result.units[0]).toMatchObject({
      unitCode: 'unit_b_1',
      min: Math.min(...u1),
      max: Math.max(...u1),
    });
  });

  it('writes sim-API/CSV and CSVGenerator files with one row per reading', async () => {
    const customer = (await loadFleet()).customers[4]!;
    const truth = customerReadings({ seed: 'files', customer, fromMs: FROM, toMs: TO });
    for (const format of ['sim-csv', 'generator-csv'] as const) {
      const file = path.join(dir, `${format}.csv`);
      await writeDataFile({
        file,
        format,
        customer,
        seed: 'files',
        fromMs: FROM,
        toMs: TO,
        generatedAt: new Date(TO),
      });
      const rows = parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
      expect(rows.map((r) => `${r.unit_id}@${r.timestamp}`)).toEqual(
        truth.map(
          (r) =>
            `${r.unit_id}@${format === 'sim-csv' ? r.timestamp : r.timestamp.slice(0, 19).replace('T', ' ')}`,
        ),
      );
    }
  });

  it('writes a valid empty export for an empty window', async () => {
    const file = path.join(dir, 'empty.json');
    const r = await writeDataFile({
      file,
      format: 'json-export',
      customer: assignmentCustomer('A'),
      seed: 'files',
      fromMs: FROM,
      toMs: FROM,
      generatedAt: new Date(FROM),
    });
    expect(r.readings).toBe(0);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { readings: unknown[] }).readings).toEqual([]);
  });
});
