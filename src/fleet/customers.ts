import { issueToken, listTokens, revokeToken } from '../auth/tokens.ts';
import { lockDailyRollups, syncCustomerDailyZones } from '../db/daily-rollups-repo.ts';
import * as repo from '../db/fleet-repo.ts';
import type { CustomerInput } from '../db/fleet-repo.ts';
import { findTokenById, listTokens as listTokenRows, type TokenRecord } from '../db/tokens-repo.ts';
import { assertFetchableUrl } from '../ingestion/fetch-source.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FeatureContext } from '../readings/context.ts';

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
});

const toProfile = (c: repo.CustomerDetailRow) => ({
  id: c.id,
  customer_code: c.customer_code,
  name: c.name,
  data_sharing_method: c.data_sharing_method,
  data_frequency_seconds: c.data_frequency_seconds,
  api_url: c.api_url,
  timezone: c.timezone,
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

export const listCustomerDetails = async (ctx: FeatureContext, limit: number, offset: number) => {
  const { rows, total } = await repo.listCustomerDetails(ctx.db, limit, offset);
  return { items: rows.map(toDetail), total };
};

/** The fields a customer may change about itself; the source URL, method, frequency and state are admin-only. */
export const SELF_SERVICE_FIELDS = ['name', 'timezone'] as const;

export const updateOwnProfile = async (
  ctx: FeatureContext,
  customerId: string,
  input: Record<string, unknown>,
) => {
  const forbidden = Object.keys(input).filter(
    (k) =>
      !(SELF_SERVICE_FIELDS as readonly string[]).includes(k) && input[k] !== undefined && input[k] !== null,
  );
  if (forbidden.length > 0)
    throw new AppError(
      'FORBIDDEN',
      `Only an admin can change ${forbidden.join(', ')} (PUT /api/v1/admin/customers/{id}); customers may change name and timezone`,
    );
  await updateCustomerRow(ctx, customerId, {
    name: input.name as string | undefined,
    timezone: input.timezone as string | undefined,
  });
  return toProfile((await repo.findCustomerDetail(ctx.db, customerId))!);
};

/**
 * Updates a customer; a new time zone also rebuilds its daily rollups for that zone, with writers
 * held off meanwhile so no reading is folded into the old zone's rows after the switch.
 */
const updateCustomerRow = async (ctx: FeatureContext, id: string, input: CustomerInput): Promise<boolean> => {
  if (!input.timezone) return repo.updateCustomer(ctx.db, id, input);
  return ctx.db.transaction(async (tx) => {
    await lockDailyRollups(tx);
    if (!(await repo.updateCustomer(tx, id, input))) return false;
    await syncCustomerDailyZones(tx, id);
    return true;
  });
};

/** Refuses a source URL that ingestion would refuse to fetch (link-local, metadata), at write time. */
const checkSourceUrl = (input: CustomerInput): void => {
  if (input.api_url) assertFetchableUrl(input.api_url);
};

export const createCustomer = async (ctx: FeatureContext, input: CustomerInput) => {
  checkSourceUrl(input);
  const id = await repo.insertCustomer(ctx.db, input);
  if (!id) throw new AppError('CONFLICT', `Customer code '${input.customer_code}' exists already`);
  return getCustomerDetail(ctx, id);
};

export const updateCustomer = async (ctx: FeatureContext, id: string, input: CustomerInput) => {
  checkSourceUrl(input);
  if (!(await updateCustomerRow(ctx, id, input))) throw notFound('Customer');
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
 * Issues a customer token. Scopes ⊆ {read, write} (asking for admin is a 403); units must be the
 * customer's; a token limited to some units can only mint tokens limited to a subset of them.
 */
export const createCustomerToken = async (
  ctx: FeatureContext,
  customer: { id: string; code: string; callerUnits?: readonly string[] },
  input: TokenCreateInput,
) => {
  if (input.permissions.includes('admin'))
    throw new AppError('FORBIDDEN', "A customer token cannot have the 'admin' scope");
  if (input.permissions.length === 0)
    throw new AppError('VALIDATION', 'permissions must name read and/or write');
  if (input.expires_at && input.expires_at.getTime() <= ctx.clock.now().getTime())
    throw new AppError('VALIDATION', 'expires_at must be in the future');
  const units = [...new Set(input.accessible_units ?? [])];
  const caller = customer.callerUnits ?? [];
  if (caller.length > 0 && (units.length === 0 || units.some((u) => !caller.includes(u))))
    throw new AppError(
      'FORBIDDEN',
      'A token limited to some units can only create tokens limited to those units',
    );
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
  });
  return { ...toTokenDto(issued), token: issued.token };
};

export const listCustomerTokens = async (ctx: FeatureContext, customerCode: string, includeRevoked = false) =>
  (await listTokens(ctx.db, { customerCode, includeRevoked })).map(toTokenDto);

/** All tokens of a customer, revoked ones included (admin view). */
export const listAllTokensOf = async (ctx: FeatureContext, customerId: string) => {
  if (!(await repo.customerExists(ctx.db, customerId))) throw notFound('Customer');
  return (await listTokenRows(ctx.db, { customerId, includeRevoked: true })).map(toTokenDto);
};

export const revokeCustomerToken = async (ctx: FeatureContext, customerId: string, tokenId: string) =>
  toTokenDto(await revokeToken(ctx.db, tokenId, customerId));

export const createTokenForCustomer = async (
  ctx: FeatureContext,
  customerId: string,
  input: TokenCreateInput,
) => {
  const c = await repo.findCustomerDetail(ctx.db, customerId);
  if (!c) throw notFound('Customer');
  return createCustomerToken(ctx, { id: c.id, code: c.customer_code }, input);
};

export { findTokenById };
