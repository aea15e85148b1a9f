import { findFacilitiesByKey, findUnitsByKey } from '../db/reports-repo.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FeatureContext } from '../readings/context.ts';

// What `tms report unit|facility <key>` names: an id, or a code, which is unique only within a
// facility (units) or a customer (facilities), so --customer may be needed to tell them apart.

const ambiguous = (what: string, key: string, where: string[]): AppError =>
  new AppError(
    'VALIDATION',
    `${what} '${key}' is ambiguous (${where.join(', ')}): give its id, or --customer <code>`,
  );

/** The id of the storage unit with this id or code (of the customer, when given). */
export const resolveUnitKey = async (
  ctx: FeatureContext,
  key: string,
  customerCode?: string,
): Promise<string> => {
  const found = await findUnitsByKey(ctx.db, key, customerCode);
  if (found.length === 0) throw notFound(`Storage unit '${key}'`);
  if (found.length > 1)
    throw ambiguous(
      'Storage unit',
      key,
      found.map((u) => `${u.customer_code}/${u.facility_code}`),
    );
  return found[0]!.id;
};

/** The id of the facility with this id or code (of the customer, when given). */
export const resolveFacilityKey = async (
  ctx: FeatureContext,
  key: string,
  customerCode?: string,
): Promise<string> => {
  const found = await findFacilitiesByKey(ctx.db, key, customerCode);
  if (found.length === 0) throw notFound(`Facility '${key}'`);
  if (found.length > 1)
    throw ambiguous(
      'Facility',
      key,
      found.map((f) => f.customer_code),
    );
  return found[0]!.id;
};
