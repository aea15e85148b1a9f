import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';

/** What every feature verb needs. */
export interface FeatureContext {
  db: Db;
  clock: Clock;
  /** Woken when a customer's zone changed (its daily rollups rebuild in the background, fleet/zone-rebuild.ts). */
  zoneRebuilds?: { wake(): void };
}
