import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiBanner } from '../../src/roles/api.ts';
import { randomPortBase, runTms } from '../support/cli.ts';

const occupy = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

// Issue 10 item 11: a second `tms up` (another data directory) on busy ports must write nothing.
describe('tms up with a busy port', () => {
  let dataDir: string;
  let base: number;
  let busy: Server;
  beforeAll(async () => {
    dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'tms-ports-')), 'second');
    base = randomPortBase();
  });
  afterAll(async () => {
    await new Promise((r) => busy?.close(r));
    await rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('fails before seeding a store or writing tokens.json, naming the port and the setting', async () => {
    busy = await occupy(base);
    const r = await runTms(['up'], {
      TMS_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(base),
      SIM_PORT_START: String(base + 1),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Port ${base} on 127.0.0.1 (the API) is already in use`);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).not.toMatch(/at .*\(/); // one line, no stack trace
    // Nothing was created: no store, no tokens.json (the directory itself may not even exist).
    const left = await readdir(dataDir).catch(() => [] as string[]);
    expect(left).toEqual([]);
  }, 120_000);

  it('checks the mock customers’ ports too', async () => {
    await new Promise((r) => busy.close(r));
    busy = await occupy(base + 3); // customer C of the default fleet (A is on base + 1)
    const r = await runTms(['up'], {
      TMS_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(base),
      SIM_PORT_START: String(base + 1),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Port ${base + 3} on 127.0.0.1 (mock customer C) is already in use`);
    expect(r.stderr).toContain('SIM_PORT_START');
    expect(await readdir(dataDir).catch(() => [] as string[])).toEqual([]);
  }, 120_000);
});

describe('start-up banner', () => {
  it('names the dashboard URL, one a browser can open even when listening on all interfaces', () => {
    expect(apiBanner({ host: '127.0.0.1', port: 8000 })).toContain('dashboard http://127.0.0.1:8000/');
    expect(apiBanner({ host: '0.0.0.0', port: 8080 })).toContain('dashboard http://localhost:8080/');
  });
});
