import path from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { sourcePath } from '../domain/fleet.ts';
import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import { systemClock } from '../lib/clock.ts';
import {
  fleetToYaml,
  generateCustomers,
  generateSyntheticFleet,
  parseDistribution,
} from '../simulation/customer-generator.ts';
import { loadFleet } from '../simulation/fleet.ts';
import { describeFleetUrls, startMockFleet } from '../simulation/mock-server.ts';
import { TEMPLATE_NAMES, TEMPLATES } from '../simulation/templates.ts';
import { formatTable, printJson } from './output.ts';
import { registerAssignmentVerbs, registerDataVerbs } from './sim-data.ts';
import { fleetOf, positive, seedOf, unitsOf } from './sim-options.ts';

// `tms sim …`: thin adapters over src/simulation. Human-readable by default, --json for scripts.
// Data-file verbs are in sim-data.ts, shared option handling in sim-options.ts.

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
            console.log(`  ${c.code} ${c.name} (${c.method}): ${s.url}${sourcePath(c.method)}`);
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
