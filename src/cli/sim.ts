import path from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import { systemClock } from '../lib/clock.ts';
import { assignmentCustomer, validateAssignment, type AssignmentId } from '../simulation/assignment.ts';
import {
  fleetToYaml,
  generateCustomer,
  generateCustomers,
  generateSyntheticFleet,
  parseDistribution,
} from '../simulation/customer-generator.ts';
import {
  expectedReadings,
  writeDataFile,
  type DataFileFormat,
  type DataFileResult,
} from '../simulation/data-files.ts';
import { type Fleet, type FleetCustomer } from '../domain/fleet.ts';
import { loadFleet } from '../simulation/fleet.ts';
import { fileStamp } from '../simulation/formats.ts';
import { describeFleetUrls, MAX_WINDOW_HOURS, startMockFleet } from '../simulation/mock-server.ts';
import { createRng } from '../simulation/random.ts';
import { customerReadings } from '../simulation/reading-generator.ts';
import { isTemplateName, TEMPLATE_NAMES, TEMPLATES } from '../simulation/templates.ts';
import { formatTable, printJson } from './output.ts';

// `tms sim …`: thin adapters over src/simulation. Human-readable by default, --json for scripts.

const HOUR_MS = 3_600_000;

const positive = (raw: string, flag: string, { integer = false, max = Infinity } = {}): number => {
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

const seedOf = (opt: string | undefined): string => opt ?? loadConfig().simSeed;
const fleetOf = async (file: string | undefined): Promise<Fleet> => loadFleet(file ?? loadConfig().fleetFile);
const unitsOf = (c: FleetCustomer): number => c.facilities.reduce((n, f) => n + f.units.length, 0);
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

const writeWithProgress = async (
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

const printDataSummary = (r: DataFileResult): void => {
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

const summaryJson = (r: DataFileResult) => ({
  file: r.file,
  format: r.format,
  from: new Date(r.fromMs).toISOString(),
  to: new Date(r.toMs).toISOString(),
  readings: r.readings,
  nulls: r.nulls,
  units: r.units,
});

const registerInfoVerbs = (sim: Command): void => {
  sim
    .command('list-templates')
    .description('The four customer templates and their parameters')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) return printJson(TEMPLATES);
      console.log(
        formatTable(
          [
            'template',
            'method',
            'facilities',
            'units/facility',
            'set points',
            'size',
            'every (s)',
            'reliability',
            'null %',
          ],
          TEMPLATE_NAMES.map((n) => {
            const t = TEMPLATES[n];
            const u = t.unit;
            return [
              n,
              t.method,
              t.facilitiesRange.join('–'),
              t.unitsPerFacilityRange.join('–'),
              `${u.setPointRange.join('…')} ${u.temperatureUnit}`,
              `${u.sizeRange.join('–')} ${u.sizeUnit}`,
              u.dataFrequencySecondsRange.join('–'),
              u.dataQuality.equipmentReliability,
              (u.dataQuality.nullReadingProbability * 100).toFixed(2),
            ];
          }),
        ),
      );
    });

  sim
    .command('show-customers')
    .description('Show a fleet: customers, facilities, units (default: TMS_FLEET_FILE or the built-in fleet)')
    .option('-c, --config <file>', 'fleet YAML file')
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const fleet = await fleetOf(opts.config);
      if (opts.json) return printJson(fleet);
      const portStart = loadConfig().simPortStart;
      fleet.customers.forEach((c, i) => {
        console.log(`${c.code}: ${c.name} (${c.method}, port ${portStart + i}) - ${unitsOf(c)} units`);
        for (const f of c.facilities) {
          console.log(
            `  ${f.code} ${f.name ?? '[Unnamed]'}, ${f.city ?? '[Unknown]'}, ${f.country ?? '[Unknown]'}`,
          );
          for (const u of f.units) {
            console.log(
              `    ${u.code} ${u.name ?? '[Unnamed]'}: ${u.size} ${u.sizeUnit}, set ${u.setTemperature} ${u.temperatureUnit}, every ${u.dataFrequencySeconds} s`,
            );
          }
        }
      });
    });

  sim
    .command('generate-customers')
    .description('Generate random customers from the templates and write them as a fleet YAML file')
    .option('-n, --count <n>', 'number of customers', '5')
    .option('-o, --output <file>', 'output YAML file', 'data/generated_customers.yaml')
    .option(
      '-d, --template-distribution <json>',
      'template weights, e.g. \'{"industrial":0.5,"food_storage":0.5}\'',
    )
    .option('--seed <seed>', 'random seed (default: SIM_SEED)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExample:\n  tms sim generate-customers -n 20 -o fleet.yaml -d \'{"pharmaceutical":1}\'',
    )
    .action(
      async (opts: {
        count: string;
        output: string;
        templateDistribution?: string;
        seed?: string;
        json?: boolean;
      }) => {
        const count = positive(opts.count, '--count', { integer: true, max: 100_000 });
        const distribution = opts.templateDistribution
          ? parseDistribution(opts.templateDistribution)
          : undefined;
        const fleet = generateCustomers({ count, seed: seedOf(opts.seed), distribution });
        await mkdir(path.dirname(path.resolve(opts.output)), { recursive: true });
        await writeFile(opts.output, fleetToYaml(fleet));
        const list = fleet.customers.map((c) => ({
          id: c.code,
          name: c.name,
          method: c.method,
          units: unitsOf(c),
        }));
        if (opts.json) return printJson({ file: opts.output, customers: list });
        for (const c of list) console.log(`${c.id}: ${c.name} (${c.method}) - ${c.units} units`);
        console.log(`Wrote ${fleet.customers.length} customers to ${opts.output}`);
      },
    );
};

const registerDataVerbs = (sim: Command): void => {
  sim
    .command('generate-data')
    .description('Generate a random customer from a template and write its readings for the last N hours')
    .requiredOption('-c, --customer-id <id>', 'customer id used in codes, e.g. PHARMA')
    .option('-t, --template <name>', `template: ${TEMPLATE_NAMES.join(', ')}`, 'food_storage')
    .option('-H, --hours <h>', 'hours of data, ending now', '24')
    .option('-o, --output-dir <dir>', 'output directory', 'data/generated')
    .option('-f, --format <format>', 'csv, json or both', 'csv')
    .option('--seed <seed>', 'random seed (default: SIM_SEED)')
    .option('--json', 'print a JSON summary')
    .action(
      async (opts: {
        customerId: string;
        template: string;
        hours: string;
        outputDir: string;
        format: string;
        seed?: string;
        json?: boolean;
      }) => {
        if (!isTemplateName(opts.template)) {
          throw new AppError(
            'VALIDATION',
            `unknown template '${opts.template}' (templates: ${TEMPLATE_NAMES.join(', ')})`,
          );
        }
        if (!['csv', 'json', 'both'].includes(opts.format)) {
          throw new AppError('VALIDATION', `--format must be csv, json or both, got '${opts.format}'`);
        }
        if (!/^[A-Za-z0-9]+$/.test(opts.customerId)) {
          throw new AppError(
            'VALIDATION',
            '--customer-id must be letters and digits (it becomes part of unit codes)',
          );
        }
        const hours = positive(opts.hours, '--hours', { max: 24 * 366 * 10 });
        const seed = seedOf(opts.seed);
        const customer = generateCustomer(
          opts.customerId,
          opts.template,
          createRng(`${seed}:${opts.customerId}:${opts.template}`),
        );
        const now = systemClock.now();
        const toMs = Math.floor(now.getTime() / 1000) * 1000;
        const base = path.join(opts.outputDir, `customer_${opts.customerId}_${fileStamp(now)}`);
        const formats: [DataFileFormat, string][] = [];
        if (opts.format !== 'json') formats.push(['sim-csv', `${base}.csv`]);
        if (opts.format !== 'csv') formats.push(['json-export', `${base}.json`]);
        const results: DataFileResult[] = [];
        for (const [format, file] of formats) {
          results.push(
            await writeWithProgress(
              { file, format, customer, seed, fromMs: toMs - hours * HOUR_MS, toMs, generatedAt: now },
              Boolean(opts.json),
            ),
          );
        }
        if (opts.json)
          return printJson({
            customer: { id: customer.code, name: customer.name, method: customer.method },
            files: results.map(summaryJson),
          });
        console.log(
          `${customer.code}: ${customer.name} (${customer.method}), ${unitsOf(customer)} units, ${hours} h`,
        );
        printDataSummary(results[0] as DataFileResult);
        for (const r of results.slice(1)) console.log(`Wrote ${r.file}: the same ${r.readings} readings`);
      },
    );

  sim
    .command('generate-csv')
    .description(
      'Write CSV files (CSVGenerator layout) for the CSV customers of a fleet, consecutive windows back from now',
    )
    .option('-c, --config <file>', 'fleet YAML file (default: TMS_FLEET_FILE or the built-in fleet)')
    .option('--customer-id <id>', 'only this customer (default: every CSV customer)')
    .option('-H, --hours <h>', 'hours per file', '24')
    .option('--files <n>', 'files per customer; file 1 is the most recent window', '1')
    .option('-o, --output-dir <dir>', 'output directory', 'data/csv_files')
    .option('--seed <seed>', 'random seed (default: SIM_SEED)')
    .option('--json', 'print a JSON summary')
    .action(
      async (opts: {
        config?: string;
        customerId?: string;
        hours: string;
        files: string;
        outputDir: string;
        seed?: string;
        json?: boolean;
      }) => {
        const fleet = await fleetOf(opts.config);
        const hours = positive(opts.hours, '--hours', { max: 24 * 366 });
        const files = positive(opts.files, '--files', { integer: true, max: 1000 });
        const customers = opts.customerId
          ? fleet.customers.filter((c) => c.code === opts.customerId)
          : fleet.customers.filter((c) => c.method === 'csv');
        if (customers.length === 0) {
          throw new AppError(
            'NOT_FOUND',
            opts.customerId
              ? `customer ${opts.customerId} not in the fleet`
              : 'the fleet has no CSV customers',
          );
        }
        const seed = seedOf(opts.seed);
        const now = systemClock.now();
        const endMs = Math.floor(now.getTime() / 1000) * 1000;
        const results: DataFileResult[] = [];
        for (const customer of customers) {
          for (let k = 1; k <= files; k++) {
            const toMs = endMs - (k - 1) * hours * HOUR_MS;
            const file = path.join(
              opts.outputDir,
              `customer_${customer.code}_data_file_${k}_${fileStamp(now)}.csv`,
            );
            const r = await writeWithProgress(
              {
                file,
                format: 'generator-csv',
                customer,
                seed,
                fromMs: toMs - hours * HOUR_MS,
                toMs,
                generatedAt: now,
              },
              Boolean(opts.json),
            );
            results.push(r);
            if (!opts.json) {
              console.log(
                `${file}: ${r.readings} readings, ${new Date(r.fromMs).toISOString()} → ${new Date(r.toMs).toISOString()}`,
              );
            }
          }
        }
        if (opts.json) printJson({ files: results.map(summaryJson) });
      },
    );

  sim
    .command('sample-data')
    .description('Print the first 5 readings of an assignment customer')
    .requiredOption('--customer <id>', 'A or B')
    .option('-H, --hours <h>', 'hours of data, ending now', '1')
    .option('--seed <seed>', 'random seed (default: SIM_SEED)')
    .option('--json', 'print JSON')
    .action((opts: { customer: string; hours: string; seed?: string; json?: boolean }) => {
      const customer = assignmentCustomer(opts.customer);
      const hours = positive(opts.hours, '--hours', { max: MAX_WINDOW_HOURS });
      const now = systemClock.now().getTime();
      const readings = customerReadings({
        seed: seedOf(opts.seed),
        customer,
        fromMs: now - hours * HOUR_MS,
        toMs: now,
      }).slice(0, 5);
      if (opts.json) return printJson(readings);
      console.log(
        `${customer.name} (${customer.method}), first ${readings.length} readings of the last ${hours} h:`,
      );
      for (const r of readings) {
        const value =
          r.temperature === null ? 'null (sensor failure)' : `${r.temperature} ${r.temperature_unit}`;
        console.log(
          `  ${r.timestamp}  ${r.unit_id}${r.unit_name ? ` (${r.unit_name})` : ''}: ${value}, quality ${r.quality_score}`,
        );
      }
    });
};

const registerAssignmentVerbs = (sim: Command): void => {
  sim
    .command('generate-assignment-data')
    .description('Write the assignment files: A as CSV (CSVGenerator layout), B as JSON')
    .option('--customer <id>', 'A, B or both', 'both')
    .option('-H, --hours <h>', 'hours of data, ending now', '24')
    .option('-o, --output-dir <dir>', 'output directory', 'data/assignment')
    .option('--seed <seed>', 'random seed (default: SIM_SEED)')
    .option('--json', 'print a JSON summary')
    .action(
      async (opts: { customer: string; hours: string; outputDir: string; seed?: string; json?: boolean }) => {
        if (!['A', 'B', 'both'].includes(opts.customer)) {
          throw new AppError('VALIDATION', `--customer must be A, B or both, got '${opts.customer}'`);
        }
        const hours = positive(opts.hours, '--hours', { max: 24 * 366 });
        const seed = seedOf(opts.seed);
        const now = systemClock.now();
        const toMs = Math.floor(now.getTime() / 1000) * 1000;
        const results: DataFileResult[] = [];
        for (const id of opts.customer === 'both' ? ['A', 'B'] : [opts.customer]) {
          const customer = assignmentCustomer(id);
          const file =
            id === 'A'
              ? path.join(opts.outputDir, 'csv_files', `customer_A_data_assignment_${fileStamp(now)}.csv`)
              : path.join(opts.outputDir, `customer_B_${fileStamp(now)}.json`);
          const format: DataFileFormat = id === 'A' ? 'generator-csv' : 'json-export';
          results.push(
            await writeWithProgress(
              { file, format, customer, seed, fromMs: toMs - hours * HOUR_MS, toMs, generatedAt: now },
              Boolean(opts.json),
            ),
          );
        }
        if (opts.json) return printJson({ files: results.map(summaryJson) });
        for (const r of results) printDataSummary(r);
      },
    );

  sim
    .command('validate-assignment')
    .description(
      'Check the assignment customers A and B (definitions and 24 h of data) against the requirements',
    )
    .option(
      '-c, --config <file>',
      'check customers A and B of this fleet YAML file instead of the built-in ones',
    )
    .option('--seed <seed>', 'random seed (default: SIM_SEED)')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { config?: string; seed?: string; json?: boolean }) => {
      let customers: Record<AssignmentId, FleetCustomer>;
      if (opts.config) {
        const fleet = await loadFleet(opts.config);
        const find = (id: AssignmentId): FleetCustomer => {
          const c = fleet.customers.find((x) => x.code === id);
          if (!c) throw new AppError('NOT_FOUND', `customer ${id} is not in ${opts.config}`);
          return c;
        };
        customers = { A: find('A'), B: find('B') };
      } else {
        customers = { A: assignmentCustomer('A'), B: assignmentCustomer('B') };
      }
      const checks = validateAssignment(customers, {
        seed: seedOf(opts.seed),
        nowMs: systemClock.now().getTime(),
      });
      const failed = checks.filter((c) => !c.ok);
      if (opts.json) printJson({ ok: failed.length === 0, checks });
      else {
        for (const id of ['A', 'B'] as const) {
          console.log(`Customer ${id} (${customers[id].name}, ${customers[id].method}):`);
          for (const c of checks.filter((x) => x.customer === id)) {
            const mark = c.ok ? '✓' : '✗';
            console.log(
              `  ${mark} ${c.check}: ${JSON.stringify(c.actual)}${c.ok ? '' : ` (expected ${JSON.stringify(c.expected)})`}`,
            );
          }
        }
      }
      if (failed.length > 0) {
        const list = failed.map((c) => `${c.customer} ${c.check}`).join('; ');
        throw new AppError(
          'VALIDATION',
          `assignment validation failed: ${failed.length} of ${checks.length} checks (${list})`,
        );
      }
      if (!opts.json) console.log(`All ${checks.length} assignment requirements validated successfully!`);
    });
};

const registerServe = (sim: Command): void => {
  sim
    .command('serve')
    .description('Run the mock customer servers (one per customer, all in this process) until Ctrl+C')
    .option('-c, --config <file>', 'fleet YAML file (default: TMS_FLEET_FILE or the built-in fleet)')
    .option('--port-start <port>', 'port of the first customer (default: SIM_PORT_START)')
    .option('--customers <n>', 'serve a synthetic fleet of N customers instead of a fleet file')
    .option('--units-per-customer <m>', 'units per customer of the synthetic fleet', '10')
    .option('--host <host>', 'interface to listen on (default: SIM_HOST)')
    .option('--seed <seed>', 'simulation seed (default: SIM_SEED)')
    .addHelpText(
      'after',
      '\nExamples:\n  tms sim serve\n  tms sim serve --customers 200 --units-per-customer 50 --port-start 9001',
    )
    .action(
      async (opts: {
        config?: string;
        portStart?: string;
        customers?: string;
        unitsPerCustomer: string;
        host?: string;
        seed?: string;
      }) => {
        const config = loadConfig();
        const seed = opts.seed ?? config.simSeed;
        const host = opts.host ?? config.simHost;
        const portStart =
          opts.portStart === undefined
            ? config.simPortStart
            : positive(opts.portStart, '--port-start', { integer: true, max: 65535 });
        if (opts.customers && opts.config)
          throw new AppError('VALIDATION', 'give either --config or --customers, not both');
        const fleet = opts.customers
          ? generateSyntheticFleet({
              customers: positive(opts.customers, '--customers', { integer: true, max: 5000 }),
              unitsPerCustomer: positive(opts.unitsPerCustomer, '--units-per-customer', {
                integer: true,
                max: 10_000,
              }),
              seed,
            })
          : await loadFleet(opts.config ?? config.fleetFile);
        const log = createLogger(config.logLevel).child({ role: 'simulator' });
        const handle = await startMockFleet({ fleet, seed, host, portStart, clock: systemClock, log });
        const units = fleet.customers.reduce((n, c) => n + unitsOf(c), 0);
        console.log(
          `simulator: ${handle.servers.length} mock customers (${units} units) on ${describeFleetUrls(handle, host)}, seed '${seed}'`,
        );
        if (handle.servers.length <= 20) {
          for (const s of handle.servers) {
            const c = s.mock.customer;
            console.log(
              `  ${c.code} ${c.name} (${c.method}): ${s.url}${c.method === 'api' ? '/temperature/current' : '/data/download.csv'}`,
            );
          }
        }
        console.log('Press Ctrl+C to stop.');
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            void handle.close().finally(resolve);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        console.log('Stopped.');
      },
    );
};

/** `tms sim …`: the simulation verbs. */
export const registerSimCommands = (program: Command): void => {
  const sim = program
    .command('sim')
    .description('Customer simulation: templates, fleets, data files, mock customer servers');
  registerInfoVerbs(sim);
  registerDataVerbs(sim);
  registerAssignmentVerbs(sim);
  registerServe(sim);
};
