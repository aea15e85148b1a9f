import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TMS_BIN } from '../support/cli.ts';

/**
 * Runs `tms …` with its stdout read by a reader that goes away early, like `tms db status | head -1`:
 * the pipe's read end is closed before the command writes (or after its first chunk).
 */
const runIntoClosedPipe = (
  args: string[],
  env: Record<string, string>,
  readFirst: boolean,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [TMS_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (readFirst) child.stdout.once('data', () => child.stdout.destroy());
    else child.stdout.destroy();
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });

describe('CLI output into a closed pipe (issue 10 item 9)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tms-pipe-'));
    env = { TMS_DATA_DIR: path.join(dir, 'data') };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('`tms db status | head` exits quietly: status 0, no EPIPE stack trace', async () => {
    const r = await runIntoClosedPipe(['db', 'status'], env, false);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|at .*\(node:/);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, signal: null });
  }, 120_000);

  it('a long output (`tms openapi`) cut after its first chunk exits quietly too', async () => {
    const r = await runIntoClosedPipe(['openapi'], env, true);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, signal: null });
  }, 120_000);
});
