/** Something that runs one parameterised SQL statement. Both backends and their transactions satisfy it. */
export interface Sql {
  /** Runs one statement with $1… parameters and returns its rows. */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export type Backend = 'pglite' | 'postgres';

/** A database handle: PostgreSQL via `pg`, or embedded PGlite. Same SQL dialect on both. */
export interface Db extends Sql {
  readonly backend: Backend;
  /** Human-readable location: the data directory or the server's host/port/database. */
  readonly location: string;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
