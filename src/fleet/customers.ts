import { recordAudit } from '../audit/record.ts';
import { issueToken, listTokens, revokeToken } from '../auth/tokens.ts';
import {
  findCustomerDetailForUnits,
  findCustomerRow,
  lockCustomer,
  markZoneChanged,
} from '../db/customers-repo.ts';
import * as repo from '../db/fleet-repo.ts';
import type { CustomerInput } from '../db/fleet-repo.ts';
import { findTokenById, listTokens as listTokenRows, type TokenRecord } from '../db/tokens-repo.ts';
import { requestZoneRebuild } from '../db/zone-rebuild-repo.ts';
import { assertFetchableUrl } from '../ingestion/fetch-source.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FeatureContext } from '../readings/context.ts';
import { checkTimeZone } from '../readings/time.ts';

/** The token calling a self-service verb: its customer and its unit restriction (empty: none). */
export interface CustomerCaller {
  tokenId: string;
  customerId: string;
  customerCode: string;
  accessibleUnits: readonly string[];
}

/**
 * Managing tokens and the profile acts for the whole customer, so a token limited to some units
 * may not: it could otherwise mint or revoke tokens beyond its units, or change what all see.
 * @throws AppError FORBIDDEN for a token limited to some units.
 */
const requireWholeCustomer = (caller: CustomerCaller, action: string): void => {
  if (caller.accessibleUnits.length > 0)
    throw new AppError(
      'FORBIDDEN',
      `A token limited to some storage units cannot ${action}; use a token without accessible_units`,
    );
};

/** A customer may change its zone at most this often (each change rebuilds its daily rollups). */
export const ZONE_CHANGE_INTERVAL_MINUTES = 10;

/** A token as the API shows it: never the hash; the plaintext only in the creation response. */
export const toTokenDto = (t: TokenRecord) => ({
  id: t.id,
  token_name: t.token_name,
  token_prefix: t.token_prefix,
  permissions: t.permissions,
  rate_limit_per_hour: t.rate_limit_per_hour,
  accessible_units: t.accessible_units,
  expires_at: t.expires_at,
  last_used_at: t.last_used_at,
  created_at: t.created_at,
  is_active: t.is_active,
  revoked_at: t.revoked_at,
  customer_id: t.customer_id,
  parent_token_id: t.parent_token_id,
});

const toProfile = (c: repo.CustomerDetailRow) => ({
  id: c.id,
  customer_code: c.customer_code,
  name: c.name,
  data_sharing_method: c.data_sharing_method,
  data_frequency_seconds: c.data_frequency_seconds,
  api_url: c.api_url,
  timezone: c.timezone,
  data_retention_days: c.data_retention_days,
  is_active: c.is_active,
  created_at: c.created_at,
  updated_at: c.updated_at,
});

const toDetail = (c: repo.CustomerDetailRow) => ({
  ...toProfile(c),
  facility_count: c.facility_count,
  unit_count: c.unit_count,
  active_readings_count: c.active_readings_count,
  last_reading_time: c.last_reading_time,
});

export const getCustomerDetail = async (ctx: FeatureContext, id: string) => {
  const c = await repo.findCustomerDetail(ctx.db, id);
  if (!c) throw notFound('Customer');
  return toDetail(c);
};

/**
 * The caller's customer. A token limited to some units sees counts and the newest reading of its
 * units only, and no source URL (null): the dashboard reads this at sign-in, so it stays a 200.
 */
export const getOwnProfile = async (ctx: FeatureContext, caller: CustomerCaller) => {
  if (caller.accessibleUnits.length === 0) return getCustomerDetail(ctx, caller.customerId);
  const c = await findCustomerDetailForUnits(ctx.db, caller.customerId, caller.accessibleUnits);
  if (!c) throw notFound('Customer');
  return { ...toDetail(c), api_url: null };
};

export const listCustomerDetails = async (ctx: FeatureContext, limit: number, offset: number) => {
  const { rows, total } = await repo.listCustomerDetails(ctx.db, limit, offset);
  return { items: rows.map(toDetail), total };
};

/** The fields a customer may change about itself; the source URL, method, frequency and state are admin-only. */
export const SELF_SERVICE_FIELDS = ['name', 'timezone'] as const;

export const updateOwnProfile = async (
  ctx: FeatureContext,
  caller: CustomerCaller,
  input: Record<string, unknown>,
) => {
  requireWholeCustomer(caller, 'change the profile');
  if (typeof input.timezone === 'string') checkTimeZone(input.timezone);
  const forbidden = Object.keys(input).filter(
    (k) =>
      !(SELF_SERVICE_FIELDS as readonly string[]).includes(k) && input[k] !== undefined && input[k] !== null,
  );
  if (forbidden.length > 0)
    throw new AppError(
      'FORBIDDEN',
      `Only an admin can change ${forbidden.join(', ')} (PUT /api/v1/admin/customers/{id}); customers may change name and timezone`,
    );
  await updateCustomerRow(
    ctx,
    caller.customerId,
    { name: input.name as string | undefined, timezone: input.timezone as string | undefined },
    'customer',
  );
  return toProfile((await repo.findCustomerDetail(ctx.db, caller.customerId))!);
};

/** Columns of a customer row the trail leaves out: bookkeeping, not what anyone changed. */
const CUSTOMER_AUDIT_OMIT = ['created_at', 'timezone_changed_at'];

/**
 * Updates a customer, with its audit entry, in one short transaction on the locked row. A new time
 * zone is switched in the same transaction, which also queues the rebuild of the customer's daily
 * rollups (run in the background by zone-rebuild.ts; analytics use hourly rows for it meanwhile),
 * so no other customer's writer ever waits for it; the entry says so in `details.rebuild`.
 * - `customer` (self-service): the current zone again is refused (409: a no-op that would cost a
 *   rebuild), and the zone may change once per ZONE_CHANGE_INTERVAL_MINUTES (429, Retry-After).
 * - `admin`: the current zone again is no change (admin clients may send whole records); no limit.
 *   A change of `data_retention_days` needs a reason (422 without), like any deletion.
 * Returns false when there is no such customer.
 */
const updateCustomerRow = async (
  ctx: FeatureContext,
  id: string,
  input: CustomerInput,
  by: 'customer' | 'admin',
): Promise<boolean> => {
  const switched = await ctx.db.transaction(async (tx) => {
    const before = await lockCustomer(tx, id);
    if (!before) return undefined;
    const zone = input.timezone;
    const zoneChanges = zone !== undefined && zone !== null && zone !== before.timezone;
    if (zone && !zoneChanges && by === 'customer')
      throw new AppError('CONFLICT', `The time zone is already '${zone}'; nothing to change`);
    const now = ctx.clock.now();
    if (zoneChanges) {
      const nextAllowedMs =
        (before.timezone_changed_at?.getTime() ?? -Infinity) + ZONE_CHANGE_INTERVAL_MINUTES * 60_000;
      if (by === 'customer' && now.getTime() < nextAllowedMs)
        throw new AppError(
          'RATE_LIMITED',
          `The time zone can change once every ${ZONE_CHANGE_INTERVAL_MINUTES} minutes; try again later`,
          { retryAfterSeconds: Math.ceil((nextAllowedMs - now.getTime()) / 1000) },
        );
    }
    await repo.updateCustomer(tx, id, zoneChanges ? input : { ...input, timezone: undefined });
    if (zoneChanges) {
      await markZoneChanged(tx, id, now);
      await requestZoneRebuild(tx, id, zone);
    }
    const after = await findCustomerRow(tx, id);
    await recordAudit(tx, {
      entityType: 'customer',
      entityId: id,
      customerId: id,
      action: 'update',
      before: { ...before },
      after: { ...after },
      omit: CUSTOMER_AUDIT_OMIT,
      // A new retention can delete readings at the next run (admin/retention.ts): a deletion's reason.
      reasonRequired: after?.data_retention_days !== before.data_retention_days,
      ...(zoneChanges
        ? { details: { rebuild: { daily_rollups: 'queued', from_zone: before.timezone, to_zone: zone } } }
        : {}),
    });
    return zoneChanges;
  });
  if (switched === undefined) return false;
  if (switched) ctx.zoneRebuilds?.wake();
  return true;
};

/** Refuses a source URL that ingestion would refuse to fetch (link-local, metadata), at write time. */
const checkSourceUrl = (input: CustomerInput): void => {
  if (input.api_url) assertFetchableUrl(input.api_url);
};

export const createCustomer = async (ctx: FeatureContext, input: CustomerInput) => {
  checkSourceUrl(input);
  const id = await ctx.db.transaction(async (tx) => {
    const created = await repo.insertCustomer(tx, input);
    if (!created) throw new AppError('CONFLICT', `Customer code '${input.customer_code}' exists already`);
    await recordAudit(tx, {
      entityType: 'customer',
      entityId: created,
      customerId: created,
      action: 'create',
      after: { ...(await findCustomerRow(tx, created)) },
      omit: [...CUSTOMER_AUDIT_OMIT, 'id'],
    });
    return created;
  });
  return getCustomerDetail(ctx, id);
};

export const updateCustomer = async (ctx: FeatureContext, id: string, input: CustomerInput) => {
  checkSourceUrl(input);
  if (!(await updateCustomerRow(ctx, id, input, 'admin'))) throw notFound('Customer');
  return getCustomerDetail(ctx, id);
};

export interface TokenCreateInput {
  token_name: string;
  permissions: string[];
  rate_limit_per_hour?: number;
  accessible_units?: string[];
  expires_at?: Date;
}

/**
 * Issues a token for the caller's customer, created by the caller's token: scopes ⊆ {read, write}
 * (asking for admin is a 403), units must be the customer's, and expiry and rate limit at most the
 * caller's own (422 beyond; omitted: the caller's). Revoking the caller revokes it too.
 * @throws AppError FORBIDDEN for a token limited to some units.
 */
export const createCustomerToken = async (
  ctx: FeatureContext,
  caller: CustomerCaller,
  input: TokenCreateInput,
) => {
  requireWholeCustomer(caller, 'create tokens');
  const parent = await findTokenById(ctx.db, caller.tokenId);
  if (!parent) throw new AppError('UNAUTHORIZED', 'Invalid or expired token');
  return issueCustomerToken(ctx, { id: caller.customerId, code: caller.customerCode }, input, parent);
};

const issueCustomerToken = async (
  ctx: FeatureContext,
  customer: { id: string; code: string },
  input: TokenCreateInput,
  parent?: TokenRecord,
) => {
  if (input.permissions.includes('admin'))
    throw new AppError('FORBIDDEN', "A customer token cannot have the 'admin' scope");
  if (input.permissions.length === 0)
    throw new AppError('VALIDATION', 'permissions must name read and/or write');
  if (input.expires_at && input.expires_at.getTime() <= ctx.clock.now().getTime())
    throw new AppError('VALIDATION', 'expires_at must be in the future');
  const units = [...new Set(input.accessible_units ?? [])];
  if (units.length > 0) {
    const own = await repo.ownUnitIds(ctx.db, customer.id, units);
    if (own.length !== units.length) throw notFound('Storage unit');
  }
  const issued = await issueToken(ctx.db, {
    customerCode: customer.code,
    scopes: input.permissions as Array<'read' | 'write'>,
    name: input.token_name,
    expiresAt: input.expires_at ?? null,
    rateLimitPerHour: input.rate_limit_per_hour,
    accessibleUnits: units,
    parent,
  });
  return { ...toTokenDto(issued), token: issued.token };
};

export const listCustomerTokens = async (ctx: FeatureContext, caller: CustomerCaller) => {
  requireWholeCustomer(caller, 'list tokens');
  return (await listTokens(ctx.db, { customerCode: caller.customerCode })).map(toTokenDto);
};

/** All tokens of a customer, revoked ones included (admin view). */
export const listAllTokensOf = async (ctx: FeatureContext, customerId: string) => {
  if (!(await repo.customerExists(ctx.db, customerId))) throw notFound('Customer');
  return (await listTokenRows(ctx.db, { customerId, includeRevoked: true })).map(toTokenDto);
};

/**
 * Revokes one of the customer's tokens and every token created from it; `revokedIds` lists them
 * all, so the caller can drop them from caches at once.
 */
export const revokeCustomerToken = async (ctx: FeatureContext, caller: CustomerCaller, tokenId: string) => {
  requireWholeCustomer(caller, 'revoke tokens');
  const revoked = await revokeToken(ctx.db, tokenId, caller.customerId);
  return { token: toTokenDto(revoked), revokedIds: [revoked.id, ...revoked.descendants_revoked] };
};

/** An admin issues a customer token: it has no parent token. */
export const createTokenForCustomer = async (
  ctx: FeatureContext,
  customerId: string,
  input: TokenCreateInput,
) => {
  const c = await repo.findCustomerDetail(ctx.db, customerId);
  if (!c) throw notFound('Customer');
  return issueCustomerToken(ctx, { id: c.id, code: c.customer_code }, input);
};

export { findTokenById };
