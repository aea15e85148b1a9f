import { constants } from 'node:fs';
import { access, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from './errors.ts';

export const LOCK_FILE = 'tms.lock';

/**
 * Creates the data directory (and missing parents) private to this user: mode 0700, since it holds
 * the embedded database, tokens.json and the control socket. An existing directory keeps its mode
 * (TMS_DATA_DIR may name a directory shared on purpose; what is secret in it is 0600 by itself).
 * @throws AppError CONFIG when it cannot be created or written.
 */
export const ensureDataDir = async (dir: string): Promise<void> => {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new AppError(
      'CONFIG',
      `Data directory ${dir} is not writable (${(e as NodeJS.ErrnoException).code})`,
    );
  }
};

/**
 * Writes a file only this user can read (0600), atomically: a reader sees the old file or the whole
 * new one, never a part; once this resolves the content is on disk.
 */
export const writePrivateFile = async (file: string, text: string): Promise<void> => {
  const tmp = `${file}.${process.pid}.tmp`;
  await unlink(tmp).catch(() => undefined);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file).catch(async (e: unknown) => {
    await unlink(tmp).catch(() => undefined);
    throw e;
  });
};

export interface LockInfo {
  pid: number;
  startedAt: string;
  /** What holds it: `up` (serves the CLI over the control socket) or a one-off command. */
  holder: string;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The live owner of a data directory, or undefined when it is free (a stale lock counts as free). */
export const readLockOwner = async (dataDir: string): Promise<LockInfo | undefined> => {
  try {
    const info = JSON.parse(await readFile(path.join(dataDir, LOCK_FILE), 'utf8')) as LockInfo;
    return info.pid !== process.pid && isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Creates the lock file with its content in one step (written aside, then hard-linked into place,
 * which fails with EEXIST when it exists): no other process ever reads it empty or half-written.
 */
const createLockFile = async (file: string, info: LockInfo): Promise<void> => {
  const tmp = `${file}.${process.pid}.tmp`;
  await writePrivateFile(tmp, JSON.stringify(info));
  try {
    await link(tmp, file);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
};

/** An unreadable lock file this young is another process's, being written right now (not yet stale). */
const WRITING_GRACE_MS = 10_000;
const isBeingWritten = async (file: string): Promise<boolean> => {
  try {
    JSON.parse(await readFile(file, 'utf8'));
    return false;
  } catch {
    const st = await stat(file).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs <= WRITING_GRACE_MS;
  }
};

/**
 * Takes exclusive ownership of an embedded data directory: PGlite must never be opened by two
 * processes at once. A lock left by a dead process is taken over.
 * @throws AppError CONFLICT naming the owner when another live process holds it.
 * @returns a release function.
 */
export const acquireDataDirLock = async (dataDir: string, holder: string): Promise<() => Promise<void>> => {
  const file = path.join(dataDir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), holder };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await createLockFile(file, info);
      return async () => {
        await unlink(file).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppError(
          'CONFIG',
          `Cannot lock data directory ${dataDir} (${(e as NodeJS.ErrnoException).code})`,
        );
      }
      const owner = await readLockOwner(dataDir);
      if (!owner && (await isBeingWritten(file)))
        throw new AppError(
          'CONFLICT',
          `Data directory ${dataDir} is being locked by another process; try again`,
        );
      if (owner) {
        throw new AppError(
          'CONFLICT',
          `Data directory ${dataDir} is in use by tms process ${owner.pid} (${owner.holder}, since ${owner.startedAt}). ` +
            'Stop it first, or set TMS_DATA_DIR to another directory.',
        );
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new AppError('CONFLICT', `Data directory ${dataDir} is locked by another process`);
};
