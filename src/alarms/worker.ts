import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';

export interface AlarmWorkerDeps {
  db: Db;
  clock: Clock;
  log: Logger;
}

export interface AlarmWorker {
  /** Evaluates pending units now (tests and the writer call it after a commit; the loop also polls). */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Starts alarm evaluation in this ingest process: claims units with new readings, evaluates them, runs
 * the no-data and source-down sweeps. Any number of ingest processes may run it at once.
 */
export const startAlarmWorker = (_deps: AlarmWorkerDeps): AlarmWorker => ({
  wake: () => undefined,
  stop: async () => undefined,
});
