import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';

export interface NotifierDeps {
  db: Db;
  clock: Clock;
  log: Logger;
}

export interface Notifier {
  /** Delivers due outbox rows now (the loop also polls). */
  wake(): void;
  stop(): Promise<void>;
}

/** Starts delivering the notification outbox (and the escalation/repeat sweep) in this ingest process. */
export const startNotifier = (_deps: NotifierDeps): Notifier => ({
  wake: () => undefined,
  stop: async () => undefined,
});
