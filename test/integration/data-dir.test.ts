import { statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OpContext } from '../../src/ops/ops.ts';
import {
  acquireDataDirLock,
  ensureDataDir,
  LOCK_FILE,
  writePrivateFile,
} from '../../src/lib/data-dir-lock.ts';
import { startControlSocket } from '../../src/roles/control-socket.ts';

// The mode of the control socket at the instant the code narrows it with chmod: anything wider
// than 0600 there is a window in which another local user could connect.
const socketModesBeforeChmod = vi.hoisted(() => [] as number[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const recordingChmod: typeof real.chmod = async (file, mode) => {
    if (String(file).endsWith('.sock')) socketModesBeforeChmod.push(statSync(file).mode & 0o777);
    return real.chmod(file, mode);
  };
  return { ...real, default: { ...real, chmod: recordingChmod }, chmod: recordingChmod };
});

const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

describe('data directory and control socket permissions', () => {
  let root: string;
  let umask: number;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'tms-datadir-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  // The most permissive umask: whatever is private here is private because the code made it so.
  beforeEach(() => {
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
  });

  it('creates a missing data directory, parents included, with mode 0700', async () => {
    const dir = path.join(root, 'fresh', 'nested', 'data');
    await ensureDataDir(dir);
    expect((await modeOf(dir)).toString(8)).toBe('700');
  });

  it('keeps the mode of an existing data directory (it may be shared on purpose)', async () => {
    const dir = path.join(root, 'existing');
    await mkdir(dir);
    await chmod(dir, 0o750);
    await ensureDataDir(dir);
    expect((await modeOf(dir)).toString(8)).toBe('750');
  });

  it('writes a private file atomically with mode 0600, replacing a wider one', async () => {
    const dir = path.join(root, 'files');
    await ensureDataDir(dir);
    const file = path.join(dir, 'tokens.json');
    await writeFile(file, 'old', { mode: 0o644 });
    await writePrivateFile(file, '{"admin":1}');
    expect(await readFile(file, 'utf8')).toBe('{"admin":1}');
    expect((await modeOf(file)).toString(8)).toBe('600');
    expect(await readdir(dir)).toEqual(['tokens.json']);
  });

  it('never takes over a lock file another process is writing right now (empty, just created)', async () => {
    const dir = path.join(root, 'lock-racing');
    await ensureDataDir(dir);
    await writeFile(path.join(dir, LOCK_FILE), '');
    await expect(acquireDataDirLock(dir, 'test')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('takes over a lock left by a dead process, writing its own whole content', async () => {
    const dir = path.join(root, 'lock-stale');
    await ensureDataDir(dir);
    const file = path.join(dir, LOCK_FILE);
    const dead = 2 ** 22 + 12_345; // above Linux's default pid_max: no such process
    await writeFile(file, JSON.stringify({ pid: dead, startedAt: '2026-01-01T00:00:00Z', holder: 'up' }));
    const release = await acquireDataDirLock(dir, 'test');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid, holder: 'test' });
    expect((await modeOf(file)).toString(8)).toBe('600');
    expect((await readdir(dir)).sort()).toEqual([LOCK_FILE]);
    await release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('creates the control socket with mode 0600 from the start, in a 0700 directory it creates', async () => {
    const dir = path.join(root, 'sock', 'data');
    socketModesBeforeChmod.length = 0;
    const ctx = {} as OpContext; // no operation is run
    const server = await startControlSocket(dir, ctx, pino({ level: 'silent' }));
    try {
      expect(socketModesBeforeChmod.map((m) => m.toString(8))).toEqual(['600']);
      expect((await modeOf(server.path)).toString(8)).toBe('600');
      expect((await modeOf(dir)).toString(8)).toBe('700');
      // The process umask was restored to the test's own (0).
      expect(process.umask(0)).toBe(0);
      const status = await new Promise<number>((resolve, reject) =>
        http
          .request({ socketPath: server.path, method: 'POST', path: '/nothing' }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          })
          .on('error', reject)
          .end(),
      );
      expect(status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
