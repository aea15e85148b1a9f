import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/config.ts';
import type { RunLogRow } from '../db/ingestion-repo.ts';
import {
  customerHintOf,
  readImportFile,
  resolveImportCustomer,
  type ImportChunkResult,
} from '../ingestion/importer.ts';
import { emptyRejections, mergeRejections } from '../ingestion/processor.ts';
import type { RejectionSummary } from '../domain/reading.ts';
import { isAppError } from '../lib/errors.ts';
import { printJson } from './output.ts';
import { openDb } from '../db/open.ts';
import type { Db } from '../db/types.ts';
import { readLockOwner } from '../lib/data-dir-lock.ts';
import { systemClock } from '../lib/clock.ts';
import { runOpInProcess } from '../ops/ops.ts';
import { osUser, runOp } from './run-op.ts';

interface OpSession {
  run<T>(name: string, args: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

/**
 * For commands that run many operations (an import sends a file in chunks): through the running
 * `tms up` when it owns the embedded store, else on one database handle opened once for the command.
 * Either way the operations act as `cli:<os user>` for the audit trail, as runOp's do.
 */
const openOpSession = async (config: Config, holder: string): Promise<OpSession> => {
  if (!config.databaseUrl && (await readLockOwner(config.dataDir))?.holder === 'up')
    return { run: (name, args) => runOp(config, name, args), close: async () => undefined };
  let db: Db | undefined;
  const cliUser = osUser();
  return {
    run: async <T>(name: string, args: Record<string, unknown>) => {
      db ??= await openDb(config, { holder, poolSize: 2 });
      return (await runOpInProcess({ db, config, clock: systemClock }, name, { ...args, cliUser })) as T;
    },
    close: async () => {
      await db?.close();
    },
  };
};

// Rows per operation call: stays well under the control socket's 1 MB request limit.
const CHUNK_ROWS = 1_000;

export interface FileSummary {
  file: string;
  format?: string;
  customer?: string;
  status: 'imported' | 'rejected';
  rows: number;
  stored: number;
  duplicates: number;
  rejected: number;
  rejections?: RejectionSummary;
  run_status?: string;
  reason?: string;
}

const importOne = async (
  ops: OpSession,
  file: string,
  opts: { customer?: string; timezone?: string; reason?: string; progress: boolean },
): Promise<FileSummary> => {
  const base = { file, rows: 0, stored: 0, duplicates: 0, rejected: 0 };
  try {
    const f = await readImportFile(file);
    const hint = customerHintOf(file);
    const hintExists =
      !!hint && (await ops.run<string[]>('ingest.customers-exist', { codes: [hint] })).includes(hint);
    const customer = resolveImportCustomer(f, { customer: opts.customer, nameHintExists: hintExists });
    const { logId, timezone } = await ops.run<{ logId: string; timezone: string }>('ingest.import-begin', {
      customer,
      source: `file://${path.resolve(file)}`,
      timezone: opts.timezone,
    });
    const bar = opts.progress
      ? new SingleBar(
          { format: `${path.basename(file)} [{bar}] {value}/{total} rows`, hideCursor: true },
          Presets.shades_classic,
        )
      : undefined;
    bar?.start(f.rows.length, 0);
    const rejections = emptyRejections();
    const totals = { stored: 0, duplicates: 0, rejected: 0 };
    for (let i = 0; i < f.rows.length; i += CHUNK_ROWS) {
      const r = await ops.run<ImportChunkResult>('ingest.import-rows', {
        logId,
        customer,
        rows: f.rows.slice(i, i + CHUNK_ROWS),
        firstRow: i + 1,
        timezone,
      });
      totals.stored += r.stored;
      totals.duplicates += r.duplicates;
      totals.rejected += r.rejected;
      mergeRejections(rejections, r.rejections);
      bar?.update(Math.min(f.rows.length, i + CHUNK_ROWS));
    }
    bar?.stop();
    // The import's audit entry is written as it finishes, with the reason given.
    const log = await ops.run<RunLogRow>('ingest.import-finish', { logId, rejections, reason: opts.reason });
    const nothingUsable = f.rows.length > 0 && totals.stored + totals.duplicates === 0;
    return {
      file,
      format: f.format,
      customer,
      status: nothingUsable ? 'rejected' : 'imported',
      rows: f.rows.length,
      ...totals,
      rejections,
      run_status: log.status,
      ...(nothingUsable ? { reason: `every row was rejected (${describeReasons(rejections)})` } : {}),
    };
  } catch (e) {
    if (isAppError(e) && (e.code === 'VALIDATION' || e.code === 'NOT_FOUND'))
      return { ...base, status: 'rejected', reason: e.message };
    throw e;
  }
};

const describeReasons = (r: RejectionSummary): string =>
  Object.entries(r.counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

const printSummary = (s: FileSummary): void => {
  if (s.status === 'rejected' && s.rows === 0) {
    console.log(`${s.file}: REJECTED: ${s.reason}`);
    return;
  }
  console.log(
    `${s.file}: ${s.status === 'rejected' ? 'REJECTED' : 'imported'} (${s.format}, customer ${s.customer}): ` +
      `${s.rows} rows, ${s.stored} stored, ${s.duplicates} duplicates, ${s.rejected} rejected` +
      (s.rejected ? ` (${describeReasons(s.rejections!)})` : ''),
  );
  for (const ex of s.rejections?.examples.slice(0, 3) ?? [])
    console.log(`    row ${ex.row}: ${ex.reason}: ${ex.detail}`);
};

export const registerImportCommand = (program: Command): void => {
  program
    .command('import')
    .description(
      'Import readings files (prototype CSV and JSON layouts) through the same validation and writer as live collection',
    )
    .argument('<files...>', 'CSV or JSON files')
    .option('--customer <code>', 'customer the files belong to (default: from the rows)')
    .option('--timezone <zone>', "IANA zone for timestamps without offset (default: the customer's)")
    .option('--reason <text>', 'why these files are imported (kept in the audit trail, one entry per file)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nImporting a file twice stores nothing the second time. A file whose rows belong to another customer is refused.\n' +
        'Examples:\n  tms import data/customer_B_data.csv\n  tms import --customer E --timezone UTC exports/*.csv',
    )
    .action(
      async (
        files: string[],
        opts: { customer?: string; timezone?: string; reason?: string; json?: boolean },
      ) => {
        const ops = await openOpSession(loadConfig(), 'tms import');
        const summaries: FileSummary[] = [];
        try {
          for (const file of files) {
            const s = await importOne(ops, file, {
              ...opts,
              progress: !opts.json && process.stderr.isTTY === true,
            });
            summaries.push(s);
            if (!opts.json) printSummary(s);
          }
        } finally {
          await ops.close();
        }
        if (opts.json) printJson(summaries);
        if (summaries.some((s) => s.status === 'rejected')) process.exitCode = 1;
      },
    );
};
