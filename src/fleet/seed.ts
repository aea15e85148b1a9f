import type { AuditActor } from '../audit/context.ts';
import { recordAudit } from '../audit/record.ts';
import { seedFleet, type SeedOptions, type SeedResult } from '../db/seed-fleet.ts';
import type { Db } from '../db/types.ts';
import type { Fleet } from '../domain/fleet.ts';

/**
 * Loads a fleet (db/seed-fleet.ts) with one audit entry per run, in the seeding transaction: the
 * counts of customers, facilities and units it created (each record's fields are the fleet file's).
 * The actor is the current scope's (`cli:<user>` for `tms db seed`) unless `actor` says otherwise
 * (the first start of `tms up`).
 */
export const seedFleetAudited = (
  db: Db,
  fleet: Fleet,
  opts: SeedOptions & { source: string; actor?: AuditActor },
): Promise<SeedResult> =>
  seedFleet(db, fleet, opts, async (tx, result) => {
    await recordAudit(tx, {
      entityType: 'customer',
      entityId: null,
      customerId: null,
      action: 'seed',
      details: {
        source: opts.source,
        customers_created: result.customersCreated,
        facilities_created: result.facilitiesCreated,
        units_created: result.unitsCreated,
      },
      ...(opts.actor ? { actor: opts.actor } : {}),
    });
  });
