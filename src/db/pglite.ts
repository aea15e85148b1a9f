import { mkdir, access, constants } from 'node:fs/promises';
import { PGlite, parse, protocol } from '@electric-sql/pglite';

const { parseResults } = parse;
import { AppError } from '../lib/errors.ts';
import { Mutex } from '../lib/mutex.ts';
import { initPgliteDataDir } from './pglite-initdb.ts';
import { EMBEDDED_MEMORY_SETTINGS, limitWasmCompileThreads, toStartParams } from './pglite-memory.ts';
import { INT8_OID, NUMERIC_OID, toNumber } from './type-parsers.ts';
import type { Db, Sql } from './types.ts';

const parsers = { [INT8_OID]: toNumber, [NUMERIC_OID]: toNumber };

/**
 * PGlite already runs with fsync off: it survives a crash of this process (the OS holds every
 * write) but not of the machine. Full-page images in the WAL only guard against pages torn by a
 * machine crash, and nothing replicates an embedded store, so both are switched off: about 7 % more
 * readings/s written.
 */
const EMBEDDED_SETTINGS = [
  '-c',
  'full_page_writes=off',
  '-c',
  'wal_level=minimal',
  '-c',
  'max_wal_senders=0',
  ...toStartParams(EMBEDDED_MEMORY_SETTINGS),
];

/**
 * Wraps a PGlite instance. PGlite is a single session, so every statement and every whole
 * transaction runs under one mutex: a statement from elsewhere can never land inside another
 * caller's transaction.
 *
 * There is no statement timeout here: PGlite accepts `SET statement_timeout` but never fires it (the
 * WASM build has no timer signals; `pg_sleep(1.5)` under a 200 ms timeout runs to the end) and it
 * cannot cancel a running statement. The API bounds embedded work by its range limits and its
 * per-token limit on heavy requests instead.
 */
export const wrapPglite = (pg: PGlite, location: string): Db => {
  const mutex = new Mutex();
  const run = async <R>(q: Sql | PGlite, text: string, params?: readonly unknown[]): Promise<R[]> => {
    const res = await (q as PGlite).query<R>(text, params as unknown[] | undefined);
    return res.rows;
  };
  const named = namedStatements(pg);
  return {
    backend: 'pglite',
    location,
    query: (text, params, opts) =>
      mutex.run(() => (opts?.name ? named.run(opts.name, text, params ?? []) : run(pg, text, params))),
    exec: (text) => mutex.run(async () => void (await pg.exec(text))),
    transaction: (fn) =>
      mutex.run(() =>
        pg.transaction((tx) =>
          fn({
            query: async (text, params) =>
              (await tx.query(text, params as unknown[] | undefined)).rows as never,
            exec: async (text) => void (await tx.exec(text)),
          }),
        ),
      ),
    listen: async (channel, onPayload) => {
      const unlisten = await mutex.run(() => pg.listen(channel, onPayload));
      return () => mutex.run(() => unlisten());
    },
    close: () => mutex.run(() => pg.close()),
  };
};

type ProtocolMessage = { name: string; dataTypeIDs?: number[] };
/** The parts of PGlite used below that its typings keep private. */
type PgliteInternals = {
  serializers: Record<number, (v: unknown) => string>;
  parsers: Record<number, (v: string, typeId: number) => unknown>;
  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T>;
};

/**
 * Named statements on PGlite, whose `query()` parses and describes its statement on every call
 * (about 4 ms for the writer's one-statement batch). The statement is parsed once per instance,
 * its parameter types kept; each call then only binds and executes, with PGlite's own value
 * serializers and result parser, exactly as `query()` does.
 */
const namedStatements = (pg: PGlite) => {
  const internals = pg as unknown as PgliteInternals;
  const paramTypes = new Map<string, number[]>();
  const send = (message: Uint8Array) => pg.execProtocolStream(message, { syncToFs: false });
  const run = <R>(name: string, text: string, params: readonly unknown[]): Promise<R[]> =>
    internals._runExclusiveQuery(async () => {
      const messages: unknown[] = [];
      try {
        let types = paramTypes.get(name);
        if (!types) {
          try {
            await send(protocol.serialize.parse({ name, text }));
          } catch (e) {
            // Parsed by an earlier call whose describe step failed: describe it again.
            if ((e as { code?: string }).code !== '42P05') throw e;
          }
          const described = (await send(
            protocol.serialize.describe({ type: 'S', name }),
          )) as ProtocolMessage[];
          types = described.find((m) => m.name === 'parameterDescription')?.dataTypeIDs ?? [];
          paramTypes.set(name, types);
        }
        const values = params.map((v, i) => {
          if (v === null || v === undefined) return null;
          const serialize = internals.serializers[types[i]!];
          return serialize ? serialize(v) : String(v);
        });
        messages.push(
          ...(await send(protocol.serialize.bind({ statement: name, values }))),
          ...(await send(protocol.serialize.describe({ type: 'P' }))),
          ...(await send(protocol.serialize.execute({}))),
        );
      } finally {
        messages.push(...(await send(protocol.serialize.sync())));
      }
      await pg.syncToFs();
      const [result] = parseResults(messages as never, internals.parsers as never);
      return (result?.rows ?? []) as R[];
    });
  return { run };
};

export interface PgliteOptions {
  /** Directory holding the database files; undefined = in memory. */
  dataDir?: string;
  /** A dump (from dumpDataDir) to start from instead of running initdb: tests use a migrated template. */
  loadDataDir?: Blob;
}

/**
 * Opens (creating on first use, in a child process) an embedded database with the memory settings
 * of pglite-memory.ts.
 * @throws AppError CONFIG when the directory cannot be created or written; INTERNAL when creating
 * the database fails.
 */
export const openPglite = async (opts: PgliteOptions): Promise<Db> => {
  if (opts.dataDir) {
    try {
      await mkdir(opts.dataDir, { recursive: true });
      await access(opts.dataDir, constants.W_OK);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new AppError(
        'CONFIG',
        `Data directory ${opts.dataDir} is not writable (${err.code ?? err.message})`,
      );
    }
  }
  const startParams = [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS];
  limitWasmCompileThreads();
  if (opts.dataDir && !opts.loadDataDir) await initPgliteDataDir(opts.dataDir, startParams);
  const pg = new PGlite({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    parsers,
    startParams,
  });
  await pg.waitReady;
  return wrapPglite(pg, opts.dataDir ?? 'memory');
};
