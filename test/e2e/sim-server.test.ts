import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { startSimulator } from '../../src/roles/simulator.ts';
import { type Fleet } from '../../src/domain/fleet.ts';
import { loadFleet } from '../../src/simulation/fleet.ts';
import {
  faultsFromJson,
  READING_COLUMNS,
  type FaultJson,
  type JsonEnvelope,
} from '../../src/simulation/formats.ts';
import { startMockFleet, type MockFleetHandle } from '../../src/simulation/mock-server.ts';
import { customerReadings, type SimReading } from '../../src/simulation/reading-generator.ts';
import { freePortRange, startTms, stopChild } from './sim-helpers.ts';

// The mock customers over real sockets: the default fleet on free ports, the simulator role, and `tms up`.

const log = pino({ level: 'silent' });
const SEED = 'server-e2e';
let fleet: Fleet;
let handle: MockFleetHandle;
const base = (i: number): string => handle.servers[i]!.url;

beforeAll(async () => {
  fleet = await loadFleet();
  handle = await startMockFleet({
    fleet,
    seed: SEED,
    host: '127.0.0.1',
    portStart: 0,
    clock: systemClock,
    log,
  });
});
afterAll(() => handle.close());

const getJson = async <T>(url: string): Promise<T> => {
  const r = await fetch(url);
  expect(r.status, url).toBe(200);
  return (await r.json()) as T;
};

describe('mock customer servers over HTTP', () => {
  it('starts one server per customer of the default fleet', () => {
    expect(handle.servers).toHaveLength(10);
    expect(new Set(handle.servers.map((s) => s.port)).size).toBe(10);
  });

  it('serves API customer A as the JSON envelope with realistic values', async () => {
    const env = await getJson<JsonEnvelope>(`${base(0)}/temperature/current`);
    const readings = env.readings as SimReading[];
    expect(env.customer_id).toBe('A');
    expect(env.reading_count).toBe(readings.length);
    expect(readings.length).toBeGreaterThan(30);
    expect(Object.keys(readings[0]!)).toEqual([...READING_COLUMNS]);
    for (const r of readings) {
      expect(r.timestamp).toMatch(/Z$/);
      if (r.temperature !== null) expect(Math.abs(r.temperature - r.set_temperature)).toBeLessThan(15);
    }
    const other = await fetch(`${base(0)}/data/download.csv`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ detail: 'Not Found' });
  });

  it('serves CSV customer B as the prototype CSV download', async () => {
    const r = await fetch(`${base(1)}/data/download.csv`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(
      /^attachment; filename="customer_B_data_\d{8}_\d{6}\.csv"$/,
    );
    const rows = parse(await r.text(), { columns: true }) as Record<string, string>[];
    // Two units, one reading every 14–20 min, over 24 h.
    expect(rows.length).toBeGreaterThan(130);
    expect(Object.keys(rows[0]!)).toEqual([...READING_COLUMNS]);
    expect((await fetch(`${base(1)}/temperature/current`)).status).toBe(404);
  });

  it('agrees on every shared timestamp of overlapping windows, and with ground truth', async () => {
    const h = 3_600_000;
    const end = Math.floor(Date.now() / h) * h - h;
    const q = (from: number, to: number) =>
      `?since=${new Date(from).toISOString()}&until=${new Date(to).toISOString()}`;
    const a = (await getJson<JsonEnvelope>(`${base(2)}/temperature/current${q(end - 3 * h, end - h)}`))
      .readings as SimReading[];
    const b = (await getJson<JsonEnvelope>(`${base(2)}/temperature/current${q(end - 2 * h, end)}`))
      .readings as SimReading[];
    const shared = b.filter((r) => Date.parse(r.timestamp) < end - h);
    expect(shared.length).toBeGreaterThan(100);
    expect(a.filter((r) => Date.parse(r.timestamp) >= end - 2 * h)).toEqual(shared);
    expect(b).toEqual(
      customerReadings({ seed: SEED, customer: fleet.customers[2]!, fromMs: end - 2 * h, toMs: end }),
    );
    const csvA = parse(await (await fetch(`${base(4)}/data/download.csv${q(end - 3 * h, end - h)}`)).text(), {
      columns: true,
    }) as Record<string, string>[];
    const csvB = parse(await (await fetch(`${base(4)}/data/download.csv${q(end - 2 * h, end)}`)).text(), {
      columns: true,
    }) as Record<string, string>[];
    const key = (r: Record<string, string>) => `${r.unit_id}@${r.timestamp}`;
    const inB = new Map(csvB.map((r) => [key(r), r]));
    const overlap = csvA.filter((r) => inB.has(key(r)));
    expect(overlap.length).toBeGreaterThan(20);
    for (const r of overlap) expect(inB.get(key(r))).toEqual(r);
  });

  it('refuses windows over 7 days with 422 and a detail', async () => {
    const r = await fetch(`${base(1)}/data/download.csv?hours=200`);
    expect(r.status).toBe(422);
    expect(((await r.json()) as { detail: string }).detail).toContain('7 days');
  });

  it('injects a fault that another process can recompute from GET /simulate/faults', async () => {
    const post = await fetch(`${base(0)}/simulate/fault/unit_A_1_2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duration_minutes: 90, delta: 10 }),
    });
    expect(post.status).toBe(201);
    const faults = faultsFromJson(await getJson<FaultJson[]>(`${base(0)}/simulate/faults`));
    expect(faults).toHaveLength(1);
    // The server's response for a window after the start equals ground truth computed with the listed faults.
    const from = faults[0]!.startMs - 600_000;
    const served = (
      await getJson<JsonEnvelope>(`${base(0)}/temperature/current?since=${new Date(from).toISOString()}`)
    ).readings;
    const now = Date.now();
    const truth = customerReadings({
      seed: SEED,
      customer: fleet.customers[0]!,
      fromMs: from,
      toMs: now,
      faults,
    });
    expect(served).toEqual(
      truth.filter((r) => served.some((s) => (s as SimReading).timestamp === r.timestamp)),
    );
    expect((await fetch(`${base(0)}/simulate/reset`, { method: 'POST' })).status).toBe(200);
    expect(await getJson<FaultJson[]>(`${base(0)}/simulate/faults`)).toEqual([]);
  });

  it('answers 503 during a simulated outage and mixes bad rows on request', async () => {
    await fetch(`${base(6)}/simulate/outage?seconds=30`, { method: 'POST' });
    const down = await fetch(`${base(6)}/data/download.csv`);
    expect(down.status).toBe(503);
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    await fetch(`${base(6)}/simulate/reset`, { method: 'POST' });
    await fetch(`${base(6)}/simulate/bad-data?rate=0.1`, { method: 'POST' });
    const rows = parse(await (await fetch(`${base(6)}/data/download.csv?hours=6`)).text(), {
      columns: true,
    }) as Record<string, string>[];
    const unknownUnits = rows.filter((r) => r.unit_id?.startsWith('unit_G_99_'));
    const badNumbers = rows.filter((r) => r.temperature !== '' && Number.isNaN(Number(r.temperature)));
    expect(unknownUnits.length + badNumbers.length).toBeGreaterThan(0);
    await fetch(`${base(6)}/simulate/reset`, { method: 'POST' });
  });
});

describe('simulator role', () => {
  it('starts the fleet on SIM_PORT_START… with a banner and stops every server', async () => {
    const port = await freePortRange(10);
    const config = parseConfig({ SIM_PORT_START: String(port), SIM_SEED: SEED });
    const role = await startSimulator({ config, log, clock: systemClock });
    try {
      expect(role.banner).toEqual([`simulator: 10 mock customers on http://127.0.0.1:${port}-${port + 9}`]);
      expect((await getJson<{ customer_id: string }>(`http://127.0.0.1:${port + 9}/`)).customer_id).toBe('J');
    } finally {
      await role.stop();
    }
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});

describe('tms up', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tms-sim-up-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts the 10 mock customers: JSON on the first port, CSV on the second', async () => {
    const simPort = await freePortRange(10);
    const apiPort = await freePortRange(1);
    const { child } = await startTms(['up', '--roles', 'simulator'], {
      cwd: dataDir,
      env: {
        TMS_DATA_DIR: path.join(dataDir, 'data'),
        SIM_PORT_START: String(simPort),
        PORT: String(apiPort),
      },
      ready: 'Press Ctrl+C',
      timeoutMs: 60_000,
    });
    try {
      const env = await getJson<JsonEnvelope>(`http://127.0.0.1:${simPort}/temperature/current`);
      expect(env.customer_id).toBe('A');
      expect(env.readings.length).toBeGreaterThan(30);
      const csv = await (await fetch(`http://127.0.0.1:${simPort + 1}/data/download.csv`)).text();
      expect(csv.split('\n')[0]).toBe(READING_COLUMNS.join(','));
    } finally {
      await stopChild(child, 'SIGINT');
    }
  }, 90_000);
});
