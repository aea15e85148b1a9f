import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { loadConfig } from '../config/config.ts';
import type { Fleet, FleetCustomer } from '../domain/fleet.ts';
import { AppError } from '../lib/errors.ts';
import { expectedReadings, writeDataFile, type DataFileResult } from '../simulation/data-files.ts';
import { loadFleet } from '../simulation/fleet.ts';
import { formatTable } from './output.ts';

// What the `tms sim` verbs share: option checks, defaults from the configuration, progress and summaries.

export const HOUR_MS = 3_600_000;

export const positive = (raw: string, flag: string, { integer = false, max = Infinity } = {}): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)) || n > max) {
    const what = integer ? 'a positive integer' : 'a positive number';
    throw new AppError(
      'VALIDATION',
      `${flag} must be ${what}${max < Infinity ? ` ≤ ${max}` : ''}, got '${raw}'`,
    );
  }
  return n;
};

export const seedOf = (opt: string | undefined): string => opt ?? loadConfig().simSeed;
export const fleetOf = async (file: string | undefined): Promise<Fleet> =>
  loadFleet(file ?? loadConfig().fleetFile);
export const unitsOf = (c: FleetCustomer): number => c.facilities.reduce((n, f) => n + f.units.length, 0);
const fmt = (v: number | null, unit = ''): string => (v === null ? '-' : `${v.toFixed(2)}${unit}`);

/** A progress bar on stderr for big files on a terminal; otherwise nothing. */
const progressFor = (
  expected: number,
  label: string,
  quiet: boolean,
): ((fraction: number) => void) & { stop(): void } => {
  const show = !quiet && process.stderr.isTTY && expected >= 50_000;
  const bar = show
    ? new SingleBar({
        format: `${label} [{bar}] {percentage}% | ETA {eta}s`,
        stream: process.stderr,
        hideCursor: true,
      })
    : undefined;
  bar?.start(100, 0);
  const update = Object.assign((fraction: number) => bar?.update(Math.round(fraction * 100)), {
    stop: () => bar?.stop(),
  });
  return update;
};

export const writeWithProgress = async (
  args: Omit<Parameters<typeof writeDataFile>[0], 'onProgress'>,
  quiet: boolean,
): Promise<DataFileResult> => {
  const progress = progressFor(
    expectedReadings(args.customer, (args.toMs - args.fromMs) / HOUR_MS),
    path.basename(args.file),
    quiet,
  );
  try {
    return await writeDataFile({ ...args, onProgress: progress });
  } finally {
    progress.stop();
  }
};

export const printDataSummary = (r: DataFileResult): void => {
  const pct = r.readings ? ((r.nulls / r.readings) * 100).toFixed(2) : '0.00';
  console.log(`Wrote ${r.file}: ${r.readings} readings, ${r.nulls} null (${pct}%)`);
  console.log(
    formatTable(
      ['unit', 'readings', 'avg', 'target', 'range', 'deviation'],
      r.units.map((u) => [
        u.unitCode,
        u.readings,
        fmt(u.mean, u.temperatureUnit),
        `${u.setTemperature}${u.temperatureUnit}`,
        u.min === null ? '-' : `${u.min}…${u.max}`,
        u.mean === null ? '-' : (u.mean - u.setTemperature).toFixed(2),
      ]),
    ),
  );
};

export const summaryJson = (r: DataFileResult) => ({
  file: r.file,
  format: r.format,
  from: new Date(r.fromMs).toISOString(),
  to: new Date(r.toMs).toISOString(),
  readings: r.readings,
  nulls: r.nulls,
  units: r.units,
});
