import { describe, expect, it } from 'vitest';
import { processRows, processRowsYielding, type UnitLookup, type UnitRef } from './processor.ts';
import type { RawRow } from './types.ts';

const UNITS: Record<string, UnitRef> = {
  'facility_B_1/unit_B_1_1': {
    storageUnitId: 'u1',
    facilityId: 'f1',
    setTemperature: -3.2,
    temperatureUnit: 'C',
  },
  'facility_B_1/unit_B_1_2': {
    storageUnitId: 'u2',
    facilityId: 'f1',
    setTemperature: -16.1,
    temperatureUnit: 'F',
  },
};
const units: UnitLookup = { get: (f, u) => UNITS[`${f}/${u}`] };
const NOW = Date.parse('2025-06-18T12:00:00Z');

const row = (over: RawRow = {}): RawRow => ({
  customer_id: 'B',
  facility_id: 'facility_B_1',
  unit_id: 'unit_B_1_1',
  temperature: '-3.21',
  temperature_unit: 'C',
  timestamp: '2025-06-17T20:25:27Z',
  sensor_id: 'sensor_1_3',
  quality_score: '0.7639099746083833',
  ...over,
});

const run = (rows: RawRow[], timezone = 'Europe/London') =>
  processRows({ rows, customerCode: 'B', timezone, units, nowMs: NOW, futureToleranceMs: 300_000 });

describe('processRows', () => {
  it('maps codes to ids and keeps the quality score as a float', () => {
    const r = run([row()]);
    expect(r.rejected).toBe(0);
    expect(r.readings).toEqual([
      {
        storageUnitId: 'u1',
        facilityId: 'f1',
        recordedAtMs: Date.parse('2025-06-17T20:25:27Z'),
        temperatureC: -3.21,
        sourceValue: -3.21,
        sourceUnit: 'C',
        sensorId: 'sensor_1_3',
        qualityScore: 0.7639099746083833,
        equipmentStatus: 'normal',
      },
    ]);
  });

  it('converts °F to °C and keeps the source value and unit (also from a `degrees` column)', () => {
    const r = run([
      row({ unit_id: 'unit_B_1_2', temperature: '-15.93', temperature_unit: undefined, degrees: 'F' }),
    ]);
    expect(r.readings[0]).toMatchObject({ sourceValue: -15.93, sourceUnit: 'F' });
    expect(r.readings[0]!.temperatureC).toBeCloseTo((-15.93 - 32) / 1.8, 10);
  });

  it('keeps failed sensor reads as null readings with status failure', () => {
    const r = run([
      row({ temperature: '', quality_score: '0.0' }),
      row({ temperature: null, timestamp: '2025-06-17T20:30:00Z' }),
    ]);
    expect(r.rejected).toBe(0);
    expect(r.readings.map((x) => [x.temperatureC, x.sourceValue, x.equipmentStatus])).toEqual([
      [null, null, 'failure'],
      [null, null, 'failure'],
    ]);
  });

  it('reads naive timestamps in the customer zone, across the spring DST gap', () => {
    const r = run([
      row({ timestamp: '2025-06-17 11:39:29' }),
      row({ timestamp: '2025-03-30 00:30:00' }),
      row({ timestamp: '2025-03-30 02:30:00' }),
    ]);
    expect(r.readings.map((x) => new Date(x.recordedAtMs).toISOString())).toEqual([
      '2025-06-17T10:39:29.000Z',
      '2025-03-30T00:30:00.000Z',
      '2025-03-30T01:30:00.000Z',
    ]);
    expect(
      new Date(
        run([row({ timestamp: '2025-06-17 11:39:29' })], 'UTC').readings[0]!.recordedAtMs,
      ).toISOString(),
    ).toBe('2025-06-17T11:39:29.000Z');
  });

  it('rejects with a counted reason for every kind of bad row', () => {
    const r = run([
      row({ customer_id: 'G' }),
      row({ unit_id: 'unit_B_99_1' }),
      row({ unit_id: undefined }),
      row({ timestamp: undefined }),
      row({ temperature_unit: '' }),
      row({ temperature: 'n/a' }),
      row({ temperature: 'NaN' }),
      row({ temperature: '1e999' }),
      row({ temperature_unit: 'K' }),
      row({ temperature: '250' }),
      row({ temperature: '48' }),
      row({ timestamp: '17/06/2025 20:25' }),
      row({ timestamp: '2025-06-18T12:06:00Z' }),
      row({ quality_score: '7' }),
    ]);
    expect(r.readings).toHaveLength(0);
    expect(r.rejected).toBe(14);
    expect(r.rejections.counts).toEqual({
      other_customer: 1,
      unknown_unit: 1,
      missing_field: 3,
      bad_temperature: 3,
      bad_unit: 1,
      implausible: 2,
      bad_timestamp: 1,
      future_timestamp: 1,
      bad_quality: 1,
    });
    expect(r.rejections.examples[0]).toEqual({
      row: 1,
      reason: 'other_customer',
      detail: 'row names customer G',
    });
    expect(r.rejections.examples).toHaveLength(10);
  });

  it('accepts a timestamp within the clock-skew tolerance', () => {
    expect(run([row({ timestamp: '2025-06-18T12:04:00Z' })]).readings).toHaveLength(1);
  });

  it('drops duplicates within a batch, preferring a real value over a failed read', () => {
    const r = run([
      row({ temperature: '' }),
      row({ temperature: '-3.30' }),
      row({ temperature: '-3.40' }),
      row({ timestamp: '2025-06-17T21:25:27+01:00', temperature: '-3.50' }),
    ]);
    expect(r.readings).toHaveLength(1);
    expect(r.readings[0]!.temperatureC).toBe(-3.3);
    expect(r.rejections.counts).toEqual({ duplicate_in_batch: 3 });
  });

  it('numbers examples from firstRow for chunked files', () => {
    const r = processRows({
      rows: [row({ unit_id: 'nope' })],
      customerCode: 'B',
      timezone: 'UTC',
      units,
      nowMs: NOW,
      futureToleranceMs: 0,
      firstRow: 501,
    });
    expect(r.rejections.examples[0]!.row).toBe(501);
  });
});

describe('processRowsYielding', () => {
  it('gives the same result as processRows across slices, duplicates and failed-read replacements included', async () => {
    const rows: RawRow[] = [];
    for (let k = 0; k < 40; k++) {
      const timestamp = new Date(Date.parse('2025-06-17T20:00:00Z') + (k % 25) * 60_000).toISOString();
      // k ≥ 25 repeats an instant of an earlier slice; some first reads failed, so the later value wins.
      rows.push(row({ timestamp, temperature: k < 25 && k % 5 === 0 ? '' : String(-3 - k / 100) }));
      if (k % 7 === 0) rows.push(row({ unit_id: 'nope' }));
    }
    const input = { rows, customerCode: 'B', timezone: 'UTC', units, nowMs: NOW, futureToleranceMs: 0 };
    const whole = processRows(input);
    expect(whole.rejections.counts.duplicate_in_batch).toBe(15);
    expect(await processRowsYielding(input, 3)).toEqual(whole);
  });

  it('lets timers run between slices', async () => {
    const rows = Array.from({ length: 50 }, () => row());
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const slow: UnitLookup = {
      get: (f, u) => {
        const until = performance.now() + 2;
        while (performance.now() < until); // 2 ms of work per row
        return units.get(f, u);
      },
    };
    await processRowsYielding(
      { rows, customerCode: 'B', timezone: 'UTC', units: slow, nowMs: NOW, futureToleranceMs: 0 },
      5,
    );
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(5);
  });
});
