import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { formatEstimate } from '../db/row-estimate.ts';
import type { DbStatus } from '../db/status-repo.ts';
import { parseDurationMs } from '../domain/time.ts';
import { AppError } from '../lib/errors.ts';
import { printJson } from './output.ts';
import { configureRetentionRun } from './retention.ts';
import { runOp } from './run-op.ts';

const fmtTemp = (c: number | null, v: number | null, unit: string): string =>
  c === null
    ? 'null (sensor failure)'
    : unit === 'F' && v !== null
      ? `${v.toFixed(2)}F (${c.toFixed(2)}C)`
      : `${c.toFixed(2)}C`;

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const printStatus = (s: DbStatus): void => {
  console.log('=== Database Status ===');
  console.log(
    `backend: ${s.backend === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'} (${s.location}), server ${s.serverVersion}, size ${mb(s.sizeBytes)}`,
  );
  for (const t of s.tables)
    console.log(
      `${t.table}: ${t.estimated ? `${formatEstimate(t.rows)} records (estimate)` : `${t.rows} records`}`,
    );
  console.log('\n=== Recent Temperature Readings ===');
  if (s.recentReadings.length === 0) console.log('(none yet)');
  for (const r of s.recentReadings) {
    console.log(
      `Customer: ${r.customer_code}, Facility: ${r.facility_code}, Unit: ${r.unit_code}, ` +
        `Temp: ${fmtTemp(r.temperature_c, r.source_value, r.source_unit)}, Recorded: ${String(r.recorded_at)}, Ingested: ${String(r.created_at)}`,
    );
  }
  console.log('\n=== Recent Ingestion Logs ===');
  if (s.recentLogs.length === 0) console.log('(none yet)');
  for (const l of s.recentLogs) {
    console.log(
      `Customer: ${l.customer_code ?? '-'}, Type: ${l.ingestion_type}, Status: ${l.status}, ` +
        `Processed: ${l.records_processed} (Stored: ${l.records_succeeded}, Duplicates: ${l.records_duplicate}, Rejected: ${l.records_failed}), ` +
        `Duration: ${l.duration_ms ?? '-'}ms${l.error_message ? `, Error: ${l.error_message}` : ''}`,
    );
  }
};

const durationBefore = (text: string, flag: string, now: Date): string => {
  const ms = parseDurationMs(text);
  if (ms === undefined)
    throw new AppError('VALIDATION', `${flag} '${text}' is not a duration such as 1h, 30d, 90m`);
  return new Date(now.getTime() - ms).toISOString();
};

const confirm = async (question: string): Promise<boolean> => {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
};

export const registerDbCommands = (program: Command): void => {
  const db = program
    .command('db')
    .description(
      'Database tools: status, migrations, seeding the default fleet, cleaning readings, retention',
    );

  // The same as `tms retention run`.
  configureRetentionRun(db.command('retention'));

  db.command('status')
    .description(
      'Rows per table (exact while the growing tables counted stay within 64 MB, else "≈ 12.3M (estimate)" from planner statistics), the newest readings and ingestion runs, database size and backend',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await runOp<DbStatus>(loadConfig(), 'db.status');
      if (opts.json) printJson(status);
      else printStatus(status);
    });

  db.command('migrate')
    .description('Apply pending schema migrations (tms up does this on start)')
    .action(async () => {
      const { applied } = await runOp<{ applied: string[] }>(loadConfig(), 'db.migrate');
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Schema is up to date.');
    });

  db.command('seed')
    .description(
      'Load the default fleet (10 customers, 21 facilities, 96 units) or a fleet file; existing rows are kept',
    )
    .option(
      '--fleet <file>',
      'fleet YAML in the prototype layout (default: built-in fleet or TMS_FLEET_FILE)',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { fleet?: string; json?: boolean }) => {
      const r = await runOp<{ customersCreated: number; facilitiesCreated: number; unitsCreated: number }>(
        loadConfig(),
        'db.seed',
        { fleetFile: opts.fleet },
      );
      if (opts.json) printJson(r);
      else
        console.log(
          `Seeded: ${r.customersCreated} customers, ${r.facilitiesCreated} facilities, ${r.unitsCreated} storage units created (existing ones kept).`,
        );
    });

  db.command('clean')
    .description("Delete temperature readings: recently ingested ones, old ones, one customer's, or all")
    .option(
      '--newer-than <duration>',
      'readings ingested within this duration, e.g. 1h (undo a test ingestion)',
    )
    .option('--older-than <duration>', 'readings recorded before now minus this duration, e.g. 365d')
    .option('--customer <code>', "only this customer's readings")
    .option('--all', 'every reading (within --customer if given)')
    .option('--dry-run', 'only count what would be deleted')
    .option(
      '--reason <text>',
      'why the readings are deleted (required unless --dry-run; kept in the audit trail)',
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  tms db clean --newer-than 1h --yes --reason "test ingestion"\n  tms db clean --older-than 730d --dry-run\n  tms db clean --customer B --all --reason "customer left"',
    )
    .action(
      async (opts: {
        newerThan?: string;
        olderThan?: string;
        customer?: string;
        all?: boolean;
        dryRun?: boolean;
        reason?: string;
        yes?: boolean;
        json?: boolean;
      }) => {
        const config = loadConfig();
        const now = new Date();
        if (!opts.newerThan && !opts.olderThan && !opts.all && !opts.customer) {
          throw new AppError(
            'VALIDATION',
            'Say what to delete: --newer-than, --older-than, --customer or --all (see tms db clean --help)',
          );
        }
        if (opts.customer && !opts.all && !opts.newerThan && !opts.olderThan) {
          throw new AppError(
            'VALIDATION',
            `--customer ${opts.customer} alone is ambiguous: add --all to delete all of its readings`,
          );
        }
        // A deletion is audited with its why; refuse before counting rather than after the question.
        const reason = opts.reason?.trim();
        if (!opts.dryRun && !reason)
          throw new AppError(
            'VALIDATION',
            'Say why with --reason <text> (kept in the audit trail), or use --dry-run',
          );
        const args = {
          ingestedAfter: opts.newerThan ? durationBefore(opts.newerThan, '--newer-than', now) : undefined,
          recordedBefore: opts.olderThan ? durationBefore(opts.olderThan, '--older-than', now) : undefined,
          customer: opts.customer,
          all: opts.all === true,
        };
        const preview = await runOp<{ matched: number; remaining: number }>(config, 'db.clean', {
          ...args,
          dryRun: true,
        });
        if (opts.dryRun || preview.matched === 0) {
          if (opts.json) printJson({ ...preview, deleted: 0 });
          else
            console.log(
              `${preview.matched} readings match; nothing deleted (${preview.remaining} readings in total).`,
            );
          return;
        }
        if (!opts.yes && !(await confirm(`Delete ${preview.matched} readings?`))) {
          throw new AppError('VALIDATION', 'Not confirmed; nothing deleted (use --yes to skip the question)');
        }
        const r = await runOp<{ deleted: number; remaining: number }>(config, 'db.clean', {
          ...args,
          reason,
        });
        if (opts.json) printJson(r);
        else console.log(`Deleted ${r.deleted} readings; ${r.remaining} remain.`);
      },
    );
};
