import path from 'node:path';
import type { Command } from 'commander';
import type { FleetCustomer } from '../domain/fleet.ts';
import { systemClock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { assignmentCustomer, validateAssignment, type AssignmentId } from '../simulation/assignment.ts';
import { generateCustomer } from '../simulation/customer-generator.ts';
import type { DataFileFormat, DataFileResult } from '../simulation/data-files.ts';
import { loadFleet } from '../simulation/fleet.ts';
import { fileStamp } from '../simulation/formats.ts';
import { MAX_WINDOW_HOURS } from '../simulation/mock-server.ts';
import { createRng } from '../simulation/random.ts';
import { customerReadings } from '../simulation/reading-generator.ts';
import { isTemplateName, TEMPLATE_NAMES } from '../simulation/templates.ts';
import { printJson } from './output.ts';
import {
  fleetOf,
  HOUR_MS,
  positive,
  printDataSummary,
  seedOf,
  summaryJson,
  unitsOf,
  writeWithProgress,
} from './sim-options.ts';

// `tms sim` verbs that write or print readings: data files, CSV drops, samples, the assignment files.

export const registerDataVerbs = (sim: Command): void => {
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

export const registerAssignmentVerbs = (sim: Command): void => {
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
