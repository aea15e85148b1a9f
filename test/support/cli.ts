import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TMS_BIN = path.join(REPO_ROOT, 'bin', 'tms.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tms …` to completion with the given environment additions. */
export const runTms = (
  args: string[],
  env: Record<string, string> = {},
  opts: { timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TMS_BIN, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tms ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

export interface RunningTms {
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running `tms …` (e.g. `up`) in the background. */
export const startTms = (args: string[], env: Record<string, string>): RunningTms => {
  const child = spawn(process.execPath, [TMS_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
};

/** Polls a URL until it answers 200 or the deadline passes; returns the elapsed ms. */
export const waitForHttp = async (url: string, timeoutMs: number): Promise<number> => {
  const t0 = Date.now();
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return Date.now() - t0;
    } catch {
      // not up yet
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${url} not up after ${timeoutMs} ms`);
    await sleep(200);
  }
};

/**
 * A base port for a test's servers (base … base + 99), spread so parallel test files do not
 * collide, and below Linux's ephemeral range (32768–60999): a port there may already be the local
 * end of some outgoing connection, and the server would then fail to bind.
 */
export const randomPortBase = (): number => 10_000 + Math.floor(Math.random() * 227) * 100;

/** Like waitForHttp, but a failure carries what the process printed (why it did not come up). */
export const waitForProcessHttp = async (
  proc: RunningTms,
  url: string,
  timeoutMs: number,
): Promise<number> => {
  try {
    return await waitForHttp(url, timeoutMs);
  } catch (e) {
    const exited = proc.child.exitCode === null ? 'still running' : `exited with ${proc.child.exitCode}`;
    throw new Error(`${(e as Error).message} (process ${exited}); its output:\n${proc.output()}`);
  }
};
