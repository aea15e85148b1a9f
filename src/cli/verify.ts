import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { parseDurationMs, parseSourceTimestamp } from '../domain/time.ts';
import type { VerifyReport } from '../ingestion/verify.ts';
import { AppError } from '../lib/errors.ts';
import { printJson } from './output.ts';
import { runOp } from './run-op.ts';

/** `2h`, `30m`, `7d` ago, or an ISO 8601 instant (without an offset: UTC, as everywhere in the API). */
const parseSince = (text: string, flag: string, now: number): string => {
  const ms = parseDurationMs(text);
  if (ms !== undefined) return new Date(now - ms).toISOString();
  const t = parseSourceTimestamp(text, 'UTC');
  if (t === undefined)
    throw new AppError('VALIDATION', `${flag} '${text}' is not a duration (2h, 30m) or an ISO time`);
  return new Date(t).toISOString();
};

const printReport = (r: VerifyReport): void => {
  console.log(
    `Customer ${r.customer}: ${r.from} .. ${r.to} (high-water mark ${r.high_water_mark ?? 'none'}, ${r.faults} injected faults)`,
  );
  for (const w of r.warnings) console.log(`  warning: ${w}`);
  console.log(
    `  expected ${r.expected}, stored ${r.stored}, matched ${r.matched}, missing ${r.missing}, extra ${r.extra}, mismatched ${r.mismatched}`,
  );
  for (const [kind, list] of Object.entries(r.examples))
    for (const d of list)
      console.log(
        `  ${kind}: ${d.unit} at ${d.recorded_at}` +
          (kind === 'mismatched' ? ` expected ${d.expected} stored ${d.stored} (${d.unit_of_measure})` : ''),
      );
  console.log(
    r.ok ? 'OK: nothing missing, extra or different.' : 'FAILED: stored readings differ from the source.',
  );
};

export const registerVerifyCommand = (program: Command): void => {
  program
    .command('verify')
    .description("Compare a simulated customer's stored readings with the simulator's deterministic timeline")
    .requiredOption('--customer <code>', 'customer code, e.g. B')
    .option('--since <when>', 'start of the window: a duration ago (2h, 30m) or an ISO time', '2h')
    .option('--until <when>', 'end of the window (default now; never after the last completed collection)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExit status 1 when any reading is missing, extra or different.\nExample:\n  tms verify --customer B --since 2h',
    )
    .action(async (opts: { customer: string; since: string; until?: string; json?: boolean }) => {
      const now = Date.now();
      const report = await runOp<VerifyReport>(loadConfig(), 'ingest.verify', {
        customer: opts.customer,
        since: parseSince(opts.since, '--since', now),
        until: opts.until ? parseSince(opts.until, '--until', now) : undefined,
      });
      if (opts.json) printJson(report);
      else printReport(report);
      if (!report.ok) process.exitCode = 1;
    });
};
