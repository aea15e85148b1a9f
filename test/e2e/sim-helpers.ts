import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const TMS = fileURLToPath(new URL('../../bin/tms.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a spawned tms: fixed seed, quiet logs, no inherited TMS_/SIM_ settings. */
const simEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(TMS_|SIM_|DATABASE_URL|RABBITMQ_URL|PORT$|HOST$)/.test(k)) env[k] = v;
  }
  return { ...env, SIM_SEED: 'e2e-seed', LOG_LEVEL: 'silent', TZ: 'UTC', ...extra };
};

/** Runs `node bin/tms.js …args` to completion. */
export const runTms = (
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TMS, ...args], { cwd: opts.cwd, env: simEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** Starts a long-running tms command and resolves once its stdout contains `ready`. */
export const startTms = (
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; ready: string; timeoutMs?: number },
): Promise<{ child: ChildProcess; output: () => string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TMS, ...args], { cwd: opts.cwd, env: simEnv(opts.env) });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tms ${args.join(' ')} not ready after ${opts.timeoutMs ?? 60_000} ms:\n${out}`));
    }, opts.timeoutMs ?? 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes(opts.ready)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tms ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });

/** Waits for a child to exit after a signal; resolves with its exit code. */
export const stopChild = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** The first port of `count` consecutive free ports in a random high range. */
export const freePortRange = async (count: number): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 20_000 + Math.floor(Math.random() * 40_000);
    let ok = true;
    for (let p = start; p < start + count && ok; p++) ok = await portFree(p);
    if (ok) return start;
  }
  throw new Error(`no ${count} consecutive free ports found`);
};
