import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { formatTable, printJson } from './output.ts';
import { runOp } from './run-op.ts';

// `tms retention run`: deletes raw readings past each customer's retention now (the ingest role does
// it daily), keeping the hourly and daily rollups and the audit trail. An operation of
// ops/retention-ops.ts, run here or inside `tms up`.

interface CustomerLine {
  customer_code: string;
  retention_days: number;
  source: 'customer' | 'system';
  cutoff: string;
  expired: number;
  deleted: number;
  oldest: string | null;
  newest: string | null;
  batches: number;
}

interface RunResult {
  dry_run: boolean;
  system_retention_days: number;
  customers: CustomerLine[];
  total: number;
  partitions_dropped: string[];
}

const when = (v: string | null): string => (v === null ? '-' : v.replace(/\.\d{3}Z$/, 'Z'));

/** `tms retention run`, and the same as `tms db retention` (the name the scale issue's operators use). */
export const registerRetentionCommands = (program: Command): void => {
  const retention = program
    .command('retention')
    .description('Retention of raw readings (data_retention_days, per customer or system-wide)');
  configureRetentionRun(retention.command('run'));
};

/** The options and action of a retention run, on the command `cmd`. */
export const configureRetentionRun = (cmd: Command): void => {
  cmd
    .description(
      "Delete raw readings recorded before each customer's cutoff (the UTC midnight of now minus its retention days): whole monthly partitions where every customer with readings in them is past its cutoff, the rest in batches; the hourly and daily rollups and the audit trail are kept, and each customer that lost readings gets one audit entry",
    )
    .option('--dry-run', 'say per customer what would be deleted; delete nothing')
    .option('--customer <code>', 'only this customer')
    .option('--batch-size <n>', 'readings deleted per transaction (default 10000)')
    .option('--reason <text>', 'kept in the audit entries (default: the retention setting applied)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      "\nExamples:\n  tms retention run --dry-run\n  tms retention run --customer B --json\n\nSettings: system_config.data_retention_days (default 730); a customer's own data_retention_days (PUT /api/v1/admin/customers/{id}).",
    )
    .action(
      async (opts: {
        dryRun?: boolean;
        customer?: string;
        batchSize?: string;
        reason?: string;
        json?: boolean;
      }) => {
        const r = await runOp<RunResult>(loadConfig(), 'retention.run', {
          dryRun: opts.dryRun === true,
          customer: opts.customer,
          batchSize: opts.batchSize === undefined ? undefined : Number(opts.batchSize),
          reason: opts.reason,
        });
        if (opts.json) return printJson(r);
        console.log(
          formatTable(
            ['customer', 'retention', 'cutoff', r.dry_run ? 'would delete' : 'deleted', 'oldest', 'newest'],
            r.customers.map((c) => [
              c.customer_code,
              `${c.retention_days}d (${c.source})`,
              when(c.cutoff),
              r.dry_run ? c.expired : c.deleted,
              when(c.oldest),
              when(c.newest),
            ]),
          ),
        );
        const parts = r.partitions_dropped;
        if (parts.length)
          console.log(
            `${r.dry_run ? 'Monthly partitions that would be dropped whole' : 'Monthly partitions dropped whole'}: ${parts.join(', ')}`,
          );
        console.log(
          r.dry_run
            ? `Dry run: ${r.total} readings would be deleted; nothing changed.`
            : `Deleted ${r.total} readings; rollups and the audit trail kept.`,
        );
      },
    );
};
