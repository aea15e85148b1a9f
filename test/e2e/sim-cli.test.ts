import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignmentCustomer } from '../../src/simulation/assignment.ts';
import { fleetToYaml } from '../../src/simulation/customer-generator.ts';
import { parseFleet } from '../../src/simulation/fleet.ts';
import { GENERATOR_COLUMNS, READING_COLUMNS } from '../../src/simulation/formats.ts';
import { freePortRange, runTms, startTms, stopChild } from './sim-helpers.ts';

// Spawns the real binary for each `tms sim` verb, writing into a temporary directory.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tms-sim-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sim = (...args: string[]) => runTms(['sim', ...args], { cwd: dir });
const csvRows = (file: string) =>
  parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
const filesIn = (sub: string, ext: string) =>
  readdirSync(path.join(dir, sub))
    .filter((f) => f.endsWith(ext))
    .map((f) => path.join(dir, sub, f));

describe('tms sim (spawned)', () => {
  it('list-templates prints the four templates, as a table or JSON', async () => {
    const r = await sim('list-templates');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pharmaceutical\s+api\s+1–2\s+2–8\s+-80…-60 C/);
    expect(r.stdout).toMatch(/small_business\s+csv\s+1–1\s+1–2/);
    const json = JSON.parse((await sim('list-templates', '--json')).stdout) as Record<
      string,
      { method: string }
    >;
    expect(Object.keys(json)).toEqual(['pharmaceutical', 'food_storage', 'small_business', 'industrial']);
  });

  it('show-customers prints the default fleet with ports, nulls marked', async () => {
    const r = await sim('show-customers');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('A: Pharma Corp A (api, port 8001) - 11 units');
    expect(r.stdout).toContain('J: Local Business J (csv, port 8010) - 2 units');
    expect(r.stdout).toContain('facility_B_1 [Unnamed], Sheffield, England');
    const fleet = JSON.parse((await sim('show-customers', '--json')).stdout) as ReturnType<typeof parseFleet>;
    expect(fleet.customers).toHaveLength(10);
    expect(fleet.customers.flatMap((c) => c.facilities.flatMap((f) => f.units))).toHaveLength(96);
  });

  it('generate-customers writes a fleet file that loads back, honouring the distribution', async () => {
    const r = await sim('generate-customers', '-n', '12', '-o', 'fleet.yaml', '-d', '{"industrial":1}');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^A: Industrial Corp A \(api\) - \d+ units$/m);
    const fleet = parseFleet(readFileSync(path.join(dir, 'fleet.yaml'), 'utf8'));
    expect(fleet.customers.map((c) => c.code)).toEqual('ABCDEFGHIJKL'.split(''));
    expect(fleet.customers.every((c) => c.name.startsWith('Industrial Corp'))).toBe(true);
    const bad = await sim('generate-customers', '-d', '{oops');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('template distribution is not valid JSON');
  });

  it('generate-data writes CSV and JSON in the prototype formats with a summary', async () => {
    const r = await sim('generate-data', '-c', 'PHARMA', '-t', 'pharmaceutical', '-H', '6', '-f', 'both');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PHARMA: Pharma Corp PHARMA \(api\), \d+ units, 6 h/);
    expect(r.stdout).toMatch(/\d+ readings, \d+ null \(\d+\.\d\d%\)/);
    const [csv] = filesIn('data/generated', '.csv');
    const [json] = filesIn('data/generated', '.json');
    expect(path.basename(csv!)).toMatch(/^customer_PHARMA_\d{8}_\d{6}\.csv$/);
    expect(readFileSync(csv!, 'utf8').split('\n')[0]).toBe(READING_COLUMNS.join(','));
    const rows = csvRows(csv!);
    const exported = JSON.parse(readFileSync(json!, 'utf8')) as {
      customer_id: string;
      readings: { timestamp: string }[];
    };
    expect(exported.customer_id).toBe('PHARMA');
    expect(exported.readings.map((x) => x.timestamp)).toEqual(rows.map((x) => x.timestamp));
    expect(rows.length).toBeGreaterThan(300);
    const bad = await sim('generate-data', '-c', 'X', '-t', 'dairy');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("unknown template 'dairy'");
  });

  it('generate-csv writes consecutive windows per CSV customer in the CSVGenerator layout', async () => {
    const r = await sim('generate-csv', '--customer-id', 'E', '--files', '3', '-H', '4', '--json');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { files: { file: string; from: string; to: string }[] };
    expect(summary.files).toHaveLength(3);
    // File 1 is the most recent; each window ends where the next older one starts: no gaps, no overlap.
    expect(summary.files[1]!.to).toBe(summary.files[0]!.from);
    expect(summary.files[2]!.to).toBe(summary.files[1]!.from);
    const files = filesIn('data/csv_files', '.csv').sort();
    expect(files.map((f) => path.basename(f).replace(/_\d{8}_\d{6}/, ''))).toEqual([
      'customer_E_data_file_1.csv',
      'customer_E_data_file_2.csv',
      'customer_E_data_file_3.csv',
    ]);
    expect(readFileSync(files[0]!, 'utf8').split('\n')[0]).toBe(GENERATOR_COLUMNS.join(','));
    const newest = csvRows(files[0]!);
    const older = csvRows(files[1]!);
    expect(newest[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(String(older.at(-1)?.timestamp) < String(newest[0]?.timestamp)).toBe(true);
    expect(newest.every((x) => x.customer_id === 'E' && x.degrees === 'F')).toBe(true);
  });

  it('generate-assignment-data writes A as CSV every 5 min and B as JSON every 15 min', async () => {
    const r = await sim('generate-assignment-data', '--customer', 'both', '-H', '48');
    expect(r.code).toBe(0);
    const [a] = filesIn('data/assignment/csv_files', '.csv');
    expect(path.basename(a!)).toMatch(/^customer_A_data_assignment_\d{8}_\d{6}\.csv$/);
    const rows = csvRows(a!);
    expect(rows).toHaveLength(48 * 12);
    expect(rows[0]).toMatchObject({
      facility_id: 'facility_a_1',
      unit_id: 'unit_a_1',
      set_temperature: '-20',
      size: '930',
      degrees: 'C',
      storage_room: '',
    });
    const [b] = filesIn('data/assignment', '.json');
    const exported = JSON.parse(readFileSync(b!, 'utf8')) as {
      customer_name: string;
      readings: { unit_name: string }[];
    };
    expect(exported.customer_name).toBe('Customer B');
    expect(exported.readings).toHaveLength(3 * 48 * 4);
    expect(new Set(exported.readings.map((x) => x.unit_name))).toEqual(
      new Set(['Deep Freeze 1', 'Chilled Room 1', 'Chilled Room 2']),
    );
  });

  it('validate-assignment passes on the real customers and fails loudly on a broken fleet file', async () => {
    const ok = await sim('validate-assignment');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/✓ unit 1 size: 930/);
    expect(ok.stdout).toMatch(/All \d+ assignment requirements validated successfully!/);
    const a = assignmentCustomer('A');
    const b = assignmentCustomer('B');
    b.facilities[0]!.units[1]!.name = 'Chilled Room 9';
    a.facilities[0]!.units[0]!.dataFrequencySeconds = 600;
    writeFileSync(path.join(dir, 'broken.yaml'), fleetToYaml({ customers: [a, b] }));
    const bad = await sim('validate-assignment', '--config', 'broken.yaml');
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/✗ unit 2 name: "Chilled Room 9" \(expected "Chilled Room 1"\)/);
    expect(bad.stderr).toMatch(
      /assignment validation failed: \d+ of \d+ checks \(A unit 1 reading every \(s\);.*B unit 2 name/,
    );
    const json = JSON.parse((await sim('validate-assignment', '--json')).stdout) as {
      ok: boolean;
      checks: unknown[];
    };
    expect(json.ok).toBe(true);
  });

  it('sample-data prints the first five readings of an assignment customer', async () => {
    const r = await sim('sample-data', '--customer', 'B', '-H', '2');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').slice(1)).toHaveLength(5);
    expect(r.stdout).toMatch(/unit_b_\d \((Deep Freeze|Chilled Room) \d\): (-?\d+(\.\d+)? F|null)/);
    const bad = await sim('sample-data', '--customer', 'C');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("Assignment customer 'C' not supported");
  });

  it('serve runs a synthetic fleet in one process and stops cleanly on SIGTERM', async () => {
    const port = await freePortRange(6);
    const { child, output } = await startTms(
      ['sim', 'serve', '--customers', '6', '--units-per-customer', '25', '--port-start', String(port)],
      { cwd: dir, ready: 'Press Ctrl+C' },
    );
    try {
      expect(output()).toContain(`6 mock customers (150 units) on http://127.0.0.1:${port}-${port + 5}`);
      const info = (await (await fetch(`http://127.0.0.1:${port + 5}/`)).json()) as { total_units: number };
      expect(info.total_units).toBe(25);
      const first = (await (await fetch(`http://127.0.0.1:${port}/temperature/current`)).json()) as {
        reading_count: number;
      };
      expect(first.reading_count).toBeGreaterThan(25);
      const csv = await fetch(`http://127.0.0.1:${port + 1}/data/download.csv?hours=1`);
      expect(csv.headers.get('content-type')).toContain('text/csv');
    } finally {
      expect(await stopChild(child)).toBe(0);
    }
    expect(existsSync(dir)).toBe(true);
  });
});
