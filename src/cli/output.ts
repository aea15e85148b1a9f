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

/**
 * Makes every command exit quietly when the reader of its output goes away (`tms db status | head`):
 * a write to the closed pipe fails with EPIPE, which Node would report as an unhandled 'error'
 * with a stack trace. Nothing more can be shown, so a short command exits 0 at once; a running
 * system (`tms up`, which listens for SIGTERM) is stopped the graceful way instead.
 */
export const exitQuietlyWhenOutputCloses = (): void => {
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') throw err;
    if (process.listenerCount('SIGTERM') > 0) process.kill(process.pid, 'SIGTERM');
    else process.exit(0);
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
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
