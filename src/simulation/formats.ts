import { csvCell } from '../lib/csv.ts';
import type { FleetCustomer } from '../domain/fleet.ts';
import type { InjectedFault, SimReading } from './reading-generator.ts';

// Wire and file formats of the prototype (seed-system.md §4.5, §10). Timestamps keep an explicit `Z`
// everywhere except the CSVGenerator layout, whose naive `YYYY-MM-DD HH:MM:SS` is written in UTC.

/** A row as served: a reading, or a deliberately malformed one (bad-data injection). */
export type WireRow = SimReading | Record<string, unknown>;

/** Format "sim-API/CSV": the reading dict's keys in order. */
export const READING_COLUMNS = [
  'customer_id',
  'facility_id',
  'unit_id',
  'unit_name',
  'temperature',
  'temperature_unit',
  'timestamp',
  'sensor_id',
  'set_temperature',
  'size',
  'size_unit',
  'city',
  'country',
  'quality_score',
] as const;

/** Format "CSVGenerator": unit_name → storage_room and temperature_unit → degrees, both moved last. */
export const GENERATOR_COLUMNS = [
  'customer_id',
  'facility_id',
  'unit_id',
  'temperature',
  'timestamp',
  'sensor_id',
  'set_temperature',
  'size',
  'size_unit',
  'city',
  'country',
  'quality_score',
  'storage_room',
  'degrees',
] as const;

export const csvLine = (cells: readonly unknown[]): string => cells.map(csvCell).join(',') + '\n';

export const readingCsvLine = (r: WireRow): string => {
  const row = r as Record<string, unknown>;
  return csvLine(READING_COLUMNS.map((c) => row[c]));
};

/** `2025-06-17T20:25:27.000Z` → `2025-06-17 20:25:27`; anything else (a malformed row) is kept. */
const naiveUtc = (ts: unknown): unknown =>
  typeof ts === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(ts)
    ? `${ts.slice(0, 10)} ${ts.slice(11, 19)}`
    : ts;

export const generatorCsvLine = (r: WireRow): string => {
  const row = r as Record<string, unknown>;
  return csvLine(
    GENERATOR_COLUMNS.map((c) =>
      c === 'storage_room'
        ? row.unit_name
        : c === 'degrees'
          ? row.temperature_unit
          : c === 'timestamp'
            ? naiveUtc(row.timestamp)
            : row[c],
    ),
  );
};

/** The body of GET /data/download.csv and of `generate-data --format csv`. */
export const readingsToCsv = (rows: readonly WireRow[]): string =>
  csvLine(READING_COLUMNS) + rows.map(readingCsvLine).join('');

/** The assignment / `generate-csv` layout. */
export const readingsToGeneratorCsv = (rows: readonly WireRow[]): string =>
  csvLine(GENERATOR_COLUMNS) + rows.map(generatorCsvLine).join('');

export interface JsonEnvelope {
  customer_id: string;
  generated_at: string;
  reading_count: number;
  readings: WireRow[];
}

/** The body of GET /temperature/current. */
export const jsonEnvelope = (customerId: string, generatedAt: Date, readings: WireRow[]): JsonEnvelope => ({
  customer_id: customerId,
  generated_at: generatedAt.toISOString(),
  reading_count: readings.length,
  readings,
});

export interface JsonExport {
  customer_id: string;
  customer_name: string;
  data_sharing_method: string;
  generated_at: string;
  readings: WireRow[];
}

/** The CLI's JSON file (`save_json_data`). */
export const jsonExport = (customer: FleetCustomer, generatedAt: Date, readings: WireRow[]): JsonExport => ({
  customer_id: customer.code,
  customer_name: customer.name,
  data_sharing_method: customer.method,
  generated_at: generatedAt.toISOString(),
  readings,
});

/** `YYYYmmdd_HHMMSS` in UTC, as in the prototype's file names. */
export const fileStamp = (d: Date): string =>
  d.toISOString().slice(0, 19).replace(/-|:/g, '').replace('T', '_');

export const csvDownloadFileName = (customerId: string, at: Date): string =>
  `customer_${customerId}_data_${fileStamp(at)}.csv`;

/** How GET /simulate/faults lists an injected fault. */
export interface FaultJson {
  unit_code: string;
  start: string;
  duration_minutes: number;
  delta: number;
}

export const faultToJson = (f: InjectedFault): FaultJson => ({
  unit_code: f.unitCode,
  start: new Date(f.startMs).toISOString(),
  duration_minutes: f.durationMs / 60_000,
  delta: f.delta,
});

/** Reads GET /simulate/faults back, so another process can recompute ground truth with the same faults. */
export const faultsFromJson = (list: readonly FaultJson[]): InjectedFault[] =>
  list.map((f) => ({
    unitCode: f.unit_code,
    startMs: Date.parse(f.start),
    durationMs: f.duration_minutes * 60_000,
    delta: f.delta,
  }));
