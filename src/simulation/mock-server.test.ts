import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_FLEET_FILE, parseFleet } from './fleet.ts';
import { READING_COLUMNS, faultsFromJson, type FaultJson, type JsonEnvelope } from './formats.ts';
import { createMockCustomer, handleMockRequest, type MockCustomer } from './mock-server.ts';
import { customerReadings, type SimReading } from './reading-generator.ts';

const fleet = parseFleet(readFileSync(DEFAULT_FLEET_FILE, 'utf8'));
const [apiCustomer, csvCustomer] = [fleet.customers[0]!, fleet.customers[1]!];
const NOW = Date.parse('2025-06-18T12:00:00.250Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

let api: MockCustomer;
let csv: MockCustomer;
let nowMs = NOW;
beforeEach(() => {
  api = createMockCustomer(apiCustomer, 'seed');
  csv = createMockCustomer(csvCustomer, 'seed');
  nowMs = NOW;
});
const get = (m: MockCustomer, url: string) => handleMockRequest(m, 'GET', url, {}, new Date(nowMs));
const post = (m: MockCustomer, url: string, body: Record<string, unknown> = {}) =>
  handleMockRequest(m, 'POST', url, body, new Date(nowMs));
const envelope = (m: MockCustomer, url: string): JsonEnvelope => {
  const r = get(m, url);
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as JsonEnvelope;
};
const truth = (m: MockCustomer, fromMs: number, toMs: number, faults: FaultJson[] = []): SimReading[] =>
  customerReadings({ seed: 'seed', customer: m.customer, fromMs, toMs, faults: faultsFromJson(faults) });

describe('customer info and health', () => {
  it('describes the customer and where its data is', () => {
    expect(JSON.parse(get(api, '/').body)).toEqual({
      customer_id: 'A',
      customer_name: 'Pharma Corp A',
      data_sharing_method: 'api',
      total_facilities: 2,
      total_units: 11, // 9 prototype units + 2 vaccine refrigerators (+2…+8 °C)
      data_endpoint: '/temperature/current',
    });
    expect(JSON.parse(get(csv, '/').body)).toMatchObject({
      customer_id: 'B',
      data_endpoint: '/data/download.csv',
    });
    expect(JSON.parse(get(csv, '/health').body)).toMatchObject({ status: 'healthy', customer: 'B' });
  });
});

describe('GET /temperature/current (API customers)', () => {
  it('serves the last 15 minutes as the prototype envelope, equal to ground truth', () => {
    const env = envelope(api, '/temperature/current');
    expect(Object.keys(env)).toEqual(['customer_id', 'generated_at', 'reading_count', 'readings']);
    expect(env.generated_at).toBe('2025-06-18T12:00:00.250Z');
    expect(env.reading_count).toBe(env.readings.length);
    expect(env.readings).toEqual(truth(api, NOW - 15 * MIN, NOW));
    expect(env.readings.length).toBeGreaterThan(30);
    expect(Object.keys(env.readings[0]!)).toEqual([...READING_COLUMNS]);
    expect(envelope(api, '/temperature/current?hours=2').readings).toEqual(truth(api, NOW - 2 * HOUR, NOW));
  });

  it('agrees with itself on every timestamp two overlapping windows share', () => {
    const first = envelope(api, '/temperature/current?hours=0.5').readings as SimReading[];
    nowMs = NOW + 10 * MIN;
    const second = envelope(api, '/temperature/current?hours=0.5').readings as SimReading[];
    const byKey = new Map(first.map((r) => [`${r.unit_id}@${r.timestamp}`, r]));
    const shared = second.filter((r) => byKey.has(`${r.unit_id}@${r.timestamp}`));
    expect(shared.length).toBeGreaterThan(40);
    for (const r of shared) expect(r).toEqual(byKey.get(`${r.unit_id}@${r.timestamp}`));
  });

  it('answers 404 for the CSV endpoint, as the prototype', () => {
    const r = get(api, '/data/download.csv');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ detail: 'Not Found' });
    expect(get(csv, '/temperature/current').status).toBe(404);
  });
});

describe('GET /data/download.csv (CSV customers)', () => {
  it('serves 24 h as the prototype CSV, with its file name, parseable and equal to ground truth', () => {
    const r = get(csv, '/data/download.csv');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe(
      'attachment; filename="customer_B_data_20250618_120000.csv"',
    );
    expect(r.body.split('\n')[0]).toBe(READING_COLUMNS.join(','));
    const rows = parse(r.body, { columns: true }) as Record<string, string>[];
    const expected = truth(csv, NOW - 24 * HOUR, NOW);
    expect(rows.length).toBe(expected.length);
    expect(rows.length).toBeGreaterThan(100);
    rows.forEach((row, i) => {
      expect(row.timestamp).toBe(expected[i]!.timestamp);
      expect(row.temperature === '' ? null : Number(row.temperature)).toBe(expected[i]!.temperature);
    });
  });
});

describe('backfill windows', () => {
  it('accepts since, since + hours and since + until, capping until at now', () => {
    const since = '2025-06-17T00:00:00Z';
    const from = Date.parse(since);
    expect(envelope(api, `/temperature/current?since=${since}&hours=1`).readings).toEqual(
      truth(api, from, from + HOUR),
    );
    expect(
      envelope(api, `/temperature/current?since=${since}&until=2025-06-17T02:00:00%2B01:00`).readings,
    ).toEqual(truth(api, from, from + HOUR));
    // A naive timestamp is UTC, whatever the server's zone.
    expect(envelope(api, '/temperature/current?since=2025-06-18T11:00:00').readings).toEqual(
      truth(api, NOW - HOUR - 250, NOW),
    );
    const future = envelope(
      api,
      '/temperature/current?since=2025-06-18T11:50:00Z&until=2025-06-19T00:00:00Z',
    );
    expect(future.readings.every((r) => Date.parse((r as SimReading).timestamp) <= NOW)).toBe(true);
    expect(future.readings).toEqual(truth(api, NOW - 10 * MIN - 250, NOW));
  });

  it('refuses windows over 7 days and malformed parameters with 422 and a detail', () => {
    for (const q of [
      'hours=169',
      'since=2025-06-01T00:00:00Z',
      'hours=abc',
      'hours=-1',
      'since=yesterday',
      'since=2025-06-18T10:00:00Z&until=2025-06-18T09:00:00Z',
      'until=2025-06-18T10:00:00Z',
    ]) {
      const r = get(csv, `/data/download.csv?${q}`);
      expect(r.status, q).toBe(422);
      expect(JSON.parse(r.body).detail, q).toMatch(/\w/);
    }
    expect(get(csv, '/data/download.csv?hours=168').status).toBe(200);
  });
});

describe('fault injection', () => {
  it('runs an excursion on the unit from the injection time, listed so that ground truth is recomputable', () => {
    const r = post(api, '/simulate/fault/unit_A_1_1?duration_minutes=60&delta=8');
    expect(r.status).toBe(201);
    const faults = JSON.parse(get(api, '/simulate/faults').body) as FaultJson[];
    expect(faults).toEqual([
      { unit_code: 'unit_A_1_1', start: '2025-06-18T12:00:00.000Z', duration_minutes: 60, delta: 8 },
    ]);
    nowMs = NOW + 45 * MIN;
    const served = envelope(api, '/temperature/current?hours=1').readings as SimReading[];
    expect(served).toEqual(truth(api, nowMs - HOUR, nowMs, faults));
    const normal = truth(api, nowMs - HOUR, nowMs);
    const during = served.filter(
      (r) => r.unit_id === 'unit_A_1_1' && Date.parse(r.timestamp) > NOW + 15 * MIN,
    );
    expect(during.length).toBeGreaterThan(5);
    for (const r of during) {
      const base = normal.find((n) => n.unit_id === r.unit_id && n.timestamp === r.timestamp)!;
      if (r.temperature !== null) expect(r.temperature - (base.temperature as number)).toBeGreaterThan(7.5);
    }
    // Other units and the time before the fault are unchanged.
    expect(served.filter((r) => r.unit_id !== 'unit_A_1_1')).toEqual(
      normal.filter((r) => r.unit_id !== 'unit_A_1_1'),
    );
    expect(served.filter((r) => Date.parse(r.timestamp) < NOW)).toEqual(
      normal.filter((r) => Date.parse(r.timestamp) < NOW),
    );
  });

  it('takes parameters from a JSON body too, and rejects unknown units and bad values', () => {
    expect(post(api, '/simulate/fault/unit_A_2_3', { duration_minutes: 5, delta: -4 }).status).toBe(201);
    expect(JSON.parse(get(api, '/simulate/faults').body)[0]).toMatchObject({
      duration_minutes: 5,
      delta: -4,
    });
    expect(post(api, '/simulate/fault/unit_Z_1_1').status).toBe(404);
    expect(post(api, '/simulate/fault/unit_%E0%A4%A').status).toBe(404);
    expect(post(api, '/simulate/fault/unit_A_1_1?duration_minutes=0').status).toBe(422);
    expect(post(api, '/simulate/fault/unit_A_1_1?delta=x').status).toBe(422);
    expect(get(api, '/simulate/fault/unit_A_1_1').status).toBe(405);
  });

  it('simulates an outage with 503 and Retry-After until it ends; reset clears it', () => {
    expect(post(csv, '/simulate/outage?seconds=120').status).toBe(200);
    const down = get(csv, '/data/download.csv');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('120');
    expect(get(csv, '/health').status).toBe(503);
    nowMs = NOW + 121_000;
    expect(get(csv, '/data/download.csv').status).toBe(200);
    post(csv, '/simulate/outage?seconds=600');
    expect(post(csv, '/simulate/reset').status).toBe(200);
    expect(get(csv, '/data/download.csv').status).toBe(200);
  });

  it('mixes malformed rows into responses while the good rows stay ground truth', () => {
    expect(post(csv, '/simulate/bad-data?rate=0.2').status).toBe(200);
    const body = get(csv, '/data/download.csv').body;
    const rows = parse(body, { columns: true }) as Record<string, string>[];
    const good = truth(csv, NOW - 24 * HOUR, NOW);
    expect(rows.length).toBe(good.length + Math.round(good.length * 0.2));
    const isGood = (r: Record<string, string>): boolean =>
      good.some(
        (g) =>
          g.unit_id === r.unit_id &&
          g.timestamp === r.timestamp &&
          String(g.temperature ?? '') === r.temperature &&
          g.temperature_unit === r.temperature_unit,
      );
    const bad = rows.filter((r) => !isGood(r));
    expect(bad.length).toBe(rows.length - good.length);
    expect(bad.some((r) => Number.isNaN(Number(r.temperature)) || r.temperature === '')).toBe(true);
    expect(bad.some((r) => r.unit_id?.startsWith('unit_B_99_'))).toBe(true);
    expect(bad.some((r) => Date.parse(r.timestamp ?? '') > NOW)).toBe(true);
    // The same request gives the same response: bad rows are deterministic too.
    expect(get(csv, '/data/download.csv').body).toBe(body);
    expect(post(csv, '/simulate/bad-data?rate=2').status).toBe(422);
  });
});
