import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { FleetCustomer } from '../domain/fleet.ts';
import {
  csvLine,
  generatorCsvLine,
  GENERATOR_COLUMNS,
  jsonExport,
  READING_COLUMNS,
  readingCsvLine,
} from './formats.ts';
import { customerReadings, type SimReading } from './reading-generator.ts';

// Writing generated readings to files in the prototype's layouts (seed-system.md §10). Generation runs a
// day at a time and is streamed to disk, so a year of a large customer needs no more than a day in memory.

export type DataFileFormat = 'sim-csv' | 'generator-csv' | 'json-export';

export interface UnitStats {
  unitCode: string;
  setTemperature: number;
  temperatureUnit: 'C' | 'F';
  readings: number;
  nulls: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export interface DataFileResult {
  file: string;
  format: DataFileFormat;
  readings: number;
  nulls: number;
  fromMs: number;
  toMs: number;
  units: UnitStats[];
}

export interface WriteDataFileInput {
  file: string;
  format: DataFileFormat;
  customer: FleetCustomer;
  seed: string;
  fromMs: number;
  toMs: number;
  generatedAt: Date;
  /** Called after each generated day with the fraction of the window done (0–1]. */
  onProgress?: (fraction: number) => void;
}

const CHUNK_MS = 86_400_000;

const indent = (text: string, spaces: number): string => text.replace(/^/gm, ' '.repeat(spaces));

/** Generates the window for one customer into `file` (directories created) and returns per-unit statistics. */
export const writeDataFile = async (input: WriteDataFileInput): Promise<DataFileResult> => {
  const { file, format, customer, seed, fromMs, toMs } = input;
  await mkdir(path.dirname(file), { recursive: true });
  const stats = new Map<string, UnitStats & { sum: number }>();
  for (const f of customer.facilities) {
    for (const u of f.units) {
      stats.set(u.code, {
        unitCode: u.code,
        setTemperature: u.setTemperature,
        temperatureUnit: u.temperatureUnit,
        readings: 0,
        nulls: 0,
        mean: null,
        min: null,
        max: null,
        sum: 0,
      });
    }
  }
  const tally = (r: SimReading): void => {
    const s = stats.get(r.unit_id);
    if (!s) return;
    s.readings++;
    if (r.temperature === null) {
      s.nulls++;
      return;
    }
    s.sum += r.temperature;
    s.min = s.min === null ? r.temperature : Math.min(s.min, r.temperature);
    s.max = s.max === null ? r.temperature : Math.max(s.max, r.temperature);
  };

  const handle = await open(file, 'w');
  try {
    let first = true;
    if (format === 'sim-csv') await handle.write(csvLine(READING_COLUMNS));
    else if (format === 'generator-csv') await handle.write(csvLine(GENERATOR_COLUMNS));
    else {
      const head = JSON.stringify({ ...jsonExport(customer, input.generatedAt, []), readings: '@' }, null, 2);
      await handle.write(head.slice(0, head.lastIndexOf('"@"')) + '[');
    }
    for (let start = fromMs; start < toMs; start += CHUNK_MS) {
      const end = Math.min(toMs, start + CHUNK_MS);
      const rows = customerReadings({ seed, customer, fromMs: start, toMs: end });
      let text = '';
      for (const r of rows) {
        tally(r);
        if (format === 'sim-csv') text += readingCsvLine(r);
        else if (format === 'generator-csv') text += generatorCsvLine(r);
        else {
          text += (first ? '\n' : ',\n') + indent(JSON.stringify(r, null, 2), 4);
          first = false;
        }
      }
      await handle.write(text);
      input.onProgress?.((end - fromMs) / (toMs - fromMs));
    }
    if (format === 'json-export') await handle.write(first ? ']\n}\n' : '\n  ]\n}\n');
  } finally {
    await handle.close();
  }
  const units = [...stats.values()].map(({ sum, ...s }) => ({
    ...s,
    mean: s.readings - s.nulls > 0 ? Math.round((sum / (s.readings - s.nulls)) * 100) / 100 : null,
  }));
  return {
    file,
    format,
    readings: units.reduce((n, u) => n + u.readings, 0),
    nulls: units.reduce((n, u) => n + u.nulls, 0),
    fromMs,
    toMs,
    units,
  };
};

/** Readings a window will hold, for deciding whether a progress bar is worth showing. */
export const expectedReadings = (customer: FleetCustomer, hours: number): number =>
  customer.facilities.reduce(
    (n, f) => n + f.units.reduce((m, u) => m + (hours * 3600) / Math.max(1, u.dataFrequencySeconds), 0),
    0,
  );
