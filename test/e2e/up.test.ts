import { mkdtemp, readFile, stat, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  randomPortBase,
  runTms,
  startTms,
  waitForHttp,
  waitForProcessHttp,
  type RunningTms,
} from '../support/cli.ts';

describe('tms up on the embedded store', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let up: RunningTms;
  let startMs: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tms-up-'));
    const base = randomPortBase();
    env = { TMS_DATA_DIR: dataDir, PORT: String(base), SIM_PORT_START: String(base + 1) };
    up = startTms(['up'], env);
    // Time to healthy is reported, not asserted (speed is measured by benchmarks, not tests).
    startMs = await waitForHttp(`http://127.0.0.1:${base}/health`, 90_000);
    console.log(`[tms up] healthy after ${startMs} ms (fresh data directory)`);
  });
  afterAll(async () => {
    await up?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers /health with status ok without any server configured', async () => {
    const res = await fetch(`http://127.0.0.1:${env.PORT}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      database: 'ok',
      database_backend: 'pglite',
      rabbitmq: 'not configured',
    });
  });

  it('serves `tms db status` from a second terminal while running', async () => {
    const r = await runTms(['db', 'status', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).counts).toMatchObject({
      customers: 10,
      facilities: 21,
      storage_units: 96,
      api_tokens: 11,
    });
  });

  it('wrote the first-start tokens to tokens.json with mode 0600', async () => {
    const file = path.join(dataDir, 'tokens.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const tokens = JSON.parse(await readFile(file, 'utf8'));
    expect(tokens.admin.token).toMatch(/^tms_/);
    expect(Object.keys(tokens.customers).sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J']);
  });

  it('creates, lists and revokes tokens through the running process', async () => {
    const created = await runTms(
      ['tokens', 'create', '--customer', 'B', '--scopes', 'read,write', '--expires', '30d', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const t = JSON.parse(created.stdout);
    expect(t).toMatchObject({ customer_code: 'B', permissions: ['read', 'write'] });
    expect(t.token).toMatch(/^tms_/);
    const list = await runTms(['tokens', 'list'], env);
    expect(list.stdout).toContain(t.id);
    expect(list.stdout).not.toContain(t.token);
    const revoked = await runTms(['tokens', 'revoke', t.id], env);
    expect(revoked.stdout).toContain('Revoked');
    const after = await runTms(['tokens', 'list', '--json'], env);
    expect(JSON.parse(after.stdout).map((x: { id: string }) => x.id)).not.toContain(t.id);
  });

  it('refuses a second `tms up` on the same data directory with a clear message', async () => {
    const r = await runTms(['up', '--roles', 'api'], { ...env, PORT: String(Number(env.PORT) + 50) });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/in use by tms process \d+/);
  });

  it('stops cleanly on SIGTERM and keeps the data for the next start', async () => {
    expect(await up.stop('SIGTERM')).toBe(0);
    const again = startTms(['up', '--roles', 'api'], env);
    try {
      await waitForHttp(`http://127.0.0.1:${env.PORT}/health`, 90_000);
      const r = await runTms(['db', 'status', '--json'], env);
      expect(JSON.parse(r.stdout).counts).toMatchObject({ customers: 10, storage_units: 96, api_tokens: 12 });
      expect(again.output()).not.toContain('First start');
    } finally {
      expect(await again.stop('SIGINT')).toBe(0);
    }
  });
});

describe('start-up errors are one line and non-zero', () => {
  it('rejects a malformed DATABASE_URL naming the variable', async () => {
    const r = await runTms(['db', 'status'], { DATABASE_URL: 'mysql://nope' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^tms: Invalid DATABASE_URL: protocol 'mysql:'/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reports an unreachable database', async () => {
    const r = await runTms(['up', '--roles', 'api'], { DATABASE_URL: 'postgres://127.0.0.1:1/tms' });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('tms: Cannot connect to PostgreSQL at 127.0.0.1:1/tms: connection refused');
  });

  it('reports a data directory that cannot be written', async () => {
    const r = await runTms(['up', '--roles', 'api'], { TMS_DATA_DIR: '/etc/hostname/data' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^tms: Data directory \/etc\/hostname\/data is not writable \(ENOTDIR\)$/,
    );
  });

  it('rejects a bad PORT and an unknown role', async () => {
    expect((await runTms(['up'], { PORT: 'eighty' })).stderr.trim()).toBe(
      "tms: Invalid PORT: 'eighty' is not a port number (1-65535)",
    );
    expect((await runTms(['up', '--roles', 'api,web'])).stderr.trim()).toBe(
      "tms: Invalid --roles: unknown role 'web' (roles: simulator, ingest, api)",
    );
  });
});

describe('tms up with selected roles', () => {
  // Each test has its own data directory, so a process left over from one cannot hold the store
  // lock against the next.
  const dirs: string[] = [];
  const freshDir = async (): Promise<string> => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'tms-roles-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('runs the simulator alone without opening or locking the store', { timeout: 150_000 }, async () => {
    const dataDir = await freshDir();
    const base = randomPortBase();
    const sim = startTms(['up', '--roles', 'simulator'], {
      TMS_DATA_DIR: dataDir,
      SIM_PORT_START: String(base + 1),
    });
    const api = startTms(['up', '--roles', 'api'], { TMS_DATA_DIR: dataDir, PORT: String(base) });
    try {
      await waitForProcessHttp(sim, `http://127.0.0.1:${base + 1}/health`, 60_000);
      await waitForProcessHttp(api, `http://127.0.0.1:${base}/health`, 60_000);
      expect(sim.output()).toContain('store none (simulator only)');
    } finally {
      expect(await sim.stop()).toBe(0);
      expect(await api.stop()).toBe(0);
    }
  });

  it(
    '/health reports the broker of an API-only process honestly: ok when reachable, 503 degraded when not',
    { timeout: 150_000 },
    async () => {
      const dataDir = await freshDir();
      const base = randomPortBase();
      const good = startTms(['up', '--roles', 'api'], {
        TMS_DATA_DIR: dataDir,
        PORT: String(base),
        RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
      });
      try {
        // Another suite restarts the shared broker; /health answers 200 once it is back.
        await waitForProcessHttp(good, `http://127.0.0.1:${base}/health`, 60_000);
        const body = await (await fetch(`http://127.0.0.1:${base}/health`)).json();
        expect(body).toMatchObject({ status: 'ok', rabbitmq: 'ok' });
      } finally {
        await good.stop();
      }
      const bad = startTms(['up', '--roles', 'api'], {
        TMS_DATA_DIR: dataDir,
        PORT: String(base + 2),
        RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:1',
      });
      try {
        const deadline = Date.now() + 60_000;
        let res: Response | undefined;
        while (Date.now() < deadline && bad.child.exitCode === null) {
          res = await fetch(`http://127.0.0.1:${base + 2}/health`).catch(() => undefined);
          if (res) break;
          await sleep(200);
        }
        expect(res?.status, bad.output()).toBe(503);
        expect(await res!.json()).toMatchObject({ status: 'degraded', database: 'ok', rabbitmq: 'error' });
      } finally {
        await bad.stop();
      }
    },
  );
});
