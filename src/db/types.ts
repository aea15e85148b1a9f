/** Something that runs one parameterised SQL statement. Both backends and their transactions satisfy it. */
export interface Sql {
  /**
   * Runs one statement with $1… parameters and returns its rows. A `name` (one per distinct text)
   * lets the backend keep the statement parsed: per connection on PostgreSQL, per instance on
   * PGlite. Worth it only for large statements run often (the ingestion writer).
   */
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    opts?: { name?: string },
  ): Promise<R[]>;
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
  /**
   * PGlite only (its one session): LISTEN on a channel; returns the UNLISTEN. PostgreSQL listeners
   * hold a connection of their own (db/reading-changes.ts).
   */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A read replica as /health reports it (db/read-replica.ts). */
export interface ReplicaStatus {
  status: 'ok' | 'down';
  /** How far its replay is behind the WAL it received, in seconds (0: caught up); null when down or not yet known. */
  lagSeconds: number | null;
}
