import type { Config, Role } from '../config/config.ts';
import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';

/** What `tms up` hands every role. The db is opened once per process and shared. */
export interface RoleContext {
  config: Config;
  log: Logger;
  clock: Clock;
  /** Opened by `tms up` only when a started role needs it (not for the simulator alone). */
  db: Db;
  /** What roles in the same process offer each other (the ingest role's queue state for /health). */
  services: ProcessServices;
}

export type QueueHealth = 'ok' | 'error';

export interface ProcessServices {
  queueHealth?: () => Promise<QueueHealth>;
}

export interface RoleHandle {
  role: Role;
  /** Lines for the start-up banner: where this role listens or what it does. */
  banner: string[];
  stop(): Promise<void>;
}
