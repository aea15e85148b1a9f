import { CommanderError } from 'commander';
import { exitCodeOf, isAppError } from '../lib/errors.ts';

/**
 * Prints an error as one line on stderr and exits: a user sees what went wrong, never a stack trace.
 */
export const reportAndExit = (e: unknown): never => {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (isAppError(e)) {
    console.error(`tms: ${e.message}`);
    process.exit(exitCodeOf[e.code]);
  }
  const err = e as Error;
  console.error(`tms: unexpected error: ${err?.message ?? String(e)}`);
  process.exit(1);
};

/** Prints a value as pretty JSON (for `--json`). */
export const printJson = (value: unknown): void => {
  console.log(JSON.stringify(value, null, 2));
};

/** A plain text table: header row, then rows, columns padded to their widest cell. */
export const formatTable = (header: string[], rows: (string | number | null | undefined)[][]): string => {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};
