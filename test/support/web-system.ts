import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomPortBase, REPO_ROOT, runTms, startTms, waitForProcessHttp, type RunningTms } from './cli.ts';

/** `tms up` takes 35 s to answer on a 2-core machine shared by several test runs, its first
 * PGlite initdb up to 75 s more when other suites run too. */
const START_TIMEOUT_MS = 240_000;

const newestMtime = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (m, e) =>
      Math.max(
        m,
        e.isDirectory() ? newestMtime(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs,
      ),
    0,
  );

/** Builds the dashboard into dist/web when it is missing or older than a file in web/ (npm ci builds it too). */
export const ensureDashboardBuilt = (): void => {
  const index = path.join(REPO_ROOT, 'dist', 'web', 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(path.join(REPO_ROOT, 'web'))) return;
  execFileSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
    ],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
};

export interface SeededSystem {
  base: string;
  env: Record<string, string>;
  tokens: { admin: string; customers: Record<string, string> };
  /** A read+write token of customer A (tokens.json holds read tokens only). */
  writeTokenA: string;
  api: <T = unknown>(pathAndQuery: string, token: string, init?: RequestInit) => Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts `tms up …` and waits for its own banner, not just any answer on its port: the port base
 * is random, and when another test run's system holds it, `/health` answers from that system while
 * ours exits (it checks its ports first). Such a start is retried on new ports.
 */
const startUp = async (
  args: string[],
  env: Record<string, string>,
  newPorts: boolean,
): Promise<{ up: RunningTms; env: Record<string, string> }> => {
  for (let attempt = 1; ; attempt++) {
    const port = newPorts ? randomPortBase() : Number(env.PORT);
    const e = { ...env, PORT: String(port), SIM_PORT_START: String(port + 1) };
    const up = startTms(args, e);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (up.child.exitCode === null && !/tms is up/.test(up.output()) && Date.now() < deadline)
      await sleep(200);
    if (up.child.exitCode === null && /tms is up/.test(up.output())) {
      await waitForProcessHttp(up, `http://127.0.0.1:${port}/health`, START_TIMEOUT_MS);
      return { up, env: e };
    }
    const why = up.child.exitCode === null ? `not up after ${START_TIMEOUT_MS} ms` : 'exited';
    await up.stop('SIGKILL');
    if (!newPorts || attempt >= 3 || !/port/i.test(up.output()))
      throw new Error(`tms ${args.join(' ')} ${why}; its output:\n${up.output()}`);
  }
};

/**
 * A running system with real data: `tms up` with every role until ingestion has stored customer
 * A's readings (and written ingestion logs), then restarted with the api role only, so the numbers
 * the browser shows can be compared exactly with the API's (nothing changes underneath).
 */
export const startSeededSystem = async (
  minReadingsA = 200,
  /** Runs while the system is stopped, before the api-only restart: rows a suite writes directly. */
  prepare?: (env: Record<string, string>) => Promise<void>,
): Promise<SeededSystem> => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tms-web-'));
  let started: Awaited<ReturnType<typeof startUp>>;
  try {
    started = await startUp(['up'], { TMS_DATA_DIR: dataDir }, true);
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const env = started.env;
  let up = started.up;
  const base = `http://127.0.0.1:${env.PORT}`;
  const api = async <T>(p: string, token: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(base + p, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  try {
    const file = JSON.parse(await readFile(path.join(dataDir, 'tokens.json'), 'utf8')) as {
      admin: { token: string };
      customers: Record<string, { token: string }>;
    };
    const tokens = {
      admin: file.admin.token,
      customers: Object.fromEntries(Object.entries(file.customers).map(([k, v]) => [k, v.token])),
    };
    const deadline = Date.now() + 90_000;
    for (;;) {
      const p = await api<{ active_readings_count: number }>(
        '/api/v1/customers/profile',
        tokens.customers.A!,
      ).catch(() => null);
      const logs = await api<{ total: number }>('/api/v1/admin/ingestion/logs?limit=1', tokens.admin).catch(
        () => null,
      );
      if (p && p.active_readings_count >= minReadingsA && logs && logs.total > 0) break;
      if (Date.now() > deadline)
        throw new Error(`ingestion stored no readings for A in 90 s\n${up.output()}`);
      await sleep(1000);
    }
    const created = await runTms(
      ['tokens', 'create', '--customer', 'A', '--scopes', 'read,write', '--name', 'web e2e', '--json'],
      env,
    );
    if (created.code !== 0) throw new Error(`tokens create failed: ${created.stderr}`);
    const writeTokenA = (JSON.parse(created.stdout) as { token: string }).token;

    // Freeze the data: restart with the API only.
    const code = await up.stop('SIGTERM');
    if (code !== 0) throw new Error(`tms up exited ${code}\n${up.output()}`);
    await prepare?.(env);
    ({ up } = await startUp(['up', '--roles', 'api'], env, false));
    return {
      base,
      env,
      tokens,
      writeTokenA,
      api,
      stop: async () => {
        await up.stop('SIGTERM');
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await up.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
};
