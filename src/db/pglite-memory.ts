import v8 from 'node:v8';

/**
 * Memory settings of the embedded store. PGlite runs PostgreSQL inside one WebAssembly memory of
 * the Node process; that memory grows and never shrinks, and PGlite writes the whole shared memory
 * segment at start, so `shared_buffers` is resident from the first second whether or not pages are
 * ever read into it. Stock PostgreSQL sizes (128 MB of buffers, 64 MB for index builds) are sized
 * for a server with gigabytes; `tms up` on the embedded store budgets about 300 MB for everything
 * (docs/architecture.md, "Memory of the embedded store").
 */
export const EMBEDDED_MEMORY_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  /**
   * Buffer cache, resident from the start. A page outside it is read from the OS page cache through
   * PGlite's file system (about 5 µs a page), so a smaller cache costs milliseconds on long scans of
   * cold rows, not correctness; 16, 32 and 128 MB wrote batches of readings equally fast.
   */
  shared_buffers: '16MB',
  /** Per sort or hash before spilling to a temporary file (PostgreSQL's default, kept explicit). */
  work_mem: '4MB',
  /** CREATE INDEX and VACUUM (migrations, retention): a larger build spills to disk instead. */
  maintenance_work_mem: '16MB',
  /** Local buffers of temporary tables (rollup rebuilds, cleaning), allocated only when used. */
  temp_buffers: '4MB',
});

/** `-c name=value` start parameters for PGlite from a settings record. */
export const toStartParams = (settings: Readonly<Record<string, string>>): string[] =>
  Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);

/**
 * One background task compiles PGlite's WebAssembly (its start-up compile and the optimising
 * recompiles of hot PostgreSQL functions) instead of one per V8 worker thread: every thread that
 * compiles keeps a malloc arena of its peak for the life of the process, about 14 MB less resident
 * with `tms up`. Read by V8 when a compile starts, so setting it before PGlite loads takes effect.
 */
export const limitWasmCompileThreads = (): void => {
  v8.setFlagsFromString('--wasm-num-compilation-tasks=1');
};
