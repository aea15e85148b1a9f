import { systemActor, runAs } from '../audit/context.ts';
import { recordAudit } from '../audit/record.ts';
import { findCustomerByCode, listCustomers } from '../db/customers-repo.ts';
import * as repo from '../db/tokens-repo.ts';
import type { TokenRecord } from '../db/tokens-repo.ts';
import type { Db, Sql } from '../db/types.ts';
import { displayPrefix, generateToken, hashToken, type Scope } from '../domain/tokens.ts';
import { AppError, notFound } from '../lib/errors.ts';

export interface IssueTokenInput {
  /** Customer code; absent for an admin token. */
  customerCode?: string;
  admin?: boolean;
  scopes?: Scope[];
  name?: string;
  expiresAt?: Date | null;
  rateLimitPerHour?: number;
  accessibleUnits?: string[];
  /**
   * The token creating this one (POST /customers/tokens). The new token can neither outlive it nor
   * have a higher rate limit (omitted values are taken from it), and is revoked with it.
   */
  parent?: Pick<TokenRecord, 'id' | 'expires_at' | 'rate_limit_per_hour'>;
}

/** Active (unrevoked, unexpired) tokens a customer may hold at once. */
export const MAX_ACTIVE_TOKENS_PER_CUSTOMER = 100;
const DEFAULT_RATE_LIMIT_PER_HOUR = 1000;

/** A freshly issued token: the only moment the plaintext exists outside its holder. */
export interface IssuedToken extends TokenRecord {
  token: string;
}

/**
 * A child token's expiry and rate limit: at most its parent's (omitted: the parent's own).
 * @throws AppError VALIDATION when a requested value exceeds the parent's; refused rather than
 * clamped, so the caller never holds a token that differs from what it asked for.
 */
const limitsUnder = (input: IssueTokenInput): { expiresAt: Date | null; rateLimitPerHour: number } => {
  const parent = input.parent;
  const expiresAt = input.expiresAt ?? parent?.expires_at ?? null;
  const rateLimitPerHour =
    input.rateLimitPerHour ?? Math.min(DEFAULT_RATE_LIMIT_PER_HOUR, parent?.rate_limit_per_hour ?? Infinity);
  if (parent?.expires_at && (!expiresAt || expiresAt.getTime() > parent.expires_at.getTime()))
    throw new AppError(
      'VALIDATION',
      `expires_at must not be later than the creating token's (${parent.expires_at.toISOString()})`,
    );
  if (parent && rateLimitPerHour > parent.rate_limit_per_hour)
    throw new AppError(
      'VALIDATION',
      `rate_limit_per_hour must not exceed the creating token's (${parent.rate_limit_per_hour})`,
    );
  return { expiresAt, rateLimitPerHour };
};

/** What the audit trail keeps of a token: never the token or its hash. */
const auditedFields = (t: TokenRecord): Record<string, unknown> => ({
  token_name: t.token_name,
  token_prefix: t.token_prefix,
  permissions: t.permissions,
  expires_at: t.expires_at,
  rate_limit_per_hour: t.rate_limit_per_hour,
  accessible_units: t.accessible_units,
  parent_token_id: t.parent_token_id,
});

/** Runs `fn` in a transaction: its own on a Db, the caller's on a transaction handle. */
const inTransaction = <T>(q: Sql | Db, fn: (tx: Sql) => Promise<T>): Promise<T> =>
  'transaction' in q ? q.transaction(fn) : fn(q);

/**
 * Issues a random token and stores only its hash.
 * @throws AppError VALIDATION for inconsistent scopes or limits above the parent's, NOT_FOUND for an
 * unknown customer, CONFLICT when the customer holds MAX_ACTIVE_TOKENS_PER_CUSTOMER active tokens.
 */
export const issueToken = async (db: Sql | Db, input: IssueTokenInput): Promise<IssuedToken> => {
  const admin = input.admin === true;
  if (admin && input.customerCode)
    throw new AppError('VALIDATION', 'An admin token belongs to no customer: drop --customer');
  if (!admin && !input.customerCode)
    throw new AppError('VALIDATION', 'A customer token needs a customer code (or use --admin)');
  const scopes = admin ? (['admin'] as Scope[]) : [...new Set(input.scopes ?? ['read'])];
  if (!admin && scopes.includes('admin')) {
    throw new AppError('VALIDATION', "Scope 'admin' is only for admin tokens (tms tokens create --admin)");
  }
  if (scopes.length === 0) throw new AppError('VALIDATION', 'At least one scope is needed');
  const { expiresAt, rateLimitPerHour } = limitsUnder(input);
  return inTransaction(db, async (tx) => {
    let customerId: string | null = null;
    if (!admin) {
      const customer = await findCustomerByCode(tx, input.customerCode!);
      if (!customer) throw notFound(`Customer '${input.customerCode}'`);
      customerId = customer.id;
      await repo.lockCustomerTokens(tx, customerId);
      if ((await repo.countActiveTokens(tx, customerId)) >= MAX_ACTIVE_TOKENS_PER_CUSTOMER)
        throw new AppError(
          'CONFLICT',
          `Customer '${input.customerCode}' already has ${MAX_ACTIVE_TOKENS_PER_CUSTOMER} active tokens (the most allowed): revoke one first`,
        );
    }
    const token = generateToken();
    const record = await repo.insertToken(tx, {
      customerId,
      tokenHash: hashToken(token),
      tokenPrefix: displayPrefix(token),
      name: input.name ?? (admin ? 'Admin token' : `${scopes.join('+')} token for ${input.customerCode}`),
      permissions: scopes,
      accessibleUnits: input.accessibleUnits ?? [],
      rateLimitPerHour,
      expiresAt,
      parentTokenId: input.parent?.id ?? null,
    });
    await recordAudit(tx, {
      entityType: 'token',
      entityId: record.id,
      customerId,
      action: 'create',
      after: auditedFields(record),
    });
    return { ...record, token };
  });
};

export const listTokens = (db: Db, filter: { customerCode?: string; includeRevoked?: boolean }) =>
  (async () => {
    let customerId: string | undefined;
    if (filter.customerCode) {
      const c = await findCustomerByCode(db, filter.customerCode);
      if (!c) throw notFound(`Customer '${filter.customerCode}'`);
      customerId = c.id;
    }
    return repo.listTokens(db, { customerId, includeRevoked: filter.includeRevoked });
  })();

/** A revoked token's record, with the ids of the tokens created from it that were revoked with it. */
export interface RevokedToken extends TokenRecord {
  descendants_revoked: string[];
}

/**
 * Revokes a token by id (optionally only within one customer), and with it every token it created,
 * transitively.
 * @throws AppError NOT_FOUND when there is no such token (for that customer).
 */
export const revokeToken = async (db: Db, id: string, customerId?: string): Promise<RevokedToken> => {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AppError('VALIDATION', `'${id}' is not a token id (a UUID)`);
  return db.transaction(async (tx) => {
    const before = await repo.lockToken(tx, id, customerId);
    if (!before) throw notFound('Token');
    const revoked = (await repo.revokeToken(tx, id, customerId))!;
    await recordAudit(tx, {
      entityType: 'token',
      entityId: id,
      customerId: before.customer_id,
      action: 'revoke',
      before: { is_active: before.is_active, revoked_at: before.revoked_at },
      after: { is_active: revoked.record.is_active, revoked_at: revoked.record.revoked_at },
      // One entry per request: the tokens created from this one, revoked with it, are named here.
      details: { token_name: before.token_name, descendants_revoked: revoked.descendantIds },
    });
    return { ...revoked.record, descendants_revoked: revoked.descendantIds };
  });
};

export interface BootstrapTokens {
  admin: IssuedToken;
  customers: Record<string, IssuedToken>;
}

/**
 * First start: one admin token and one read token per customer. Their plaintext exists only here,
 * so they are minted in one transaction that commits only after `keep` has stored them (tokens.json):
 * if `keep` throws, no token exists and the next start mints them again. Does nothing (returns
 * undefined) when any token exists already, so restarting never mints new ones; concurrent first
 * starts are serialised by a table lock, so only one of them mints.
 * @throws whatever `keep` throws, after rolling back.
 */
export const bootstrapTokens = async (
  db: Db,
  keep: (tokens: BootstrapTokens) => Promise<void>,
): Promise<BootstrapTokens | undefined> => {
  if ((await repo.countTokens(db)) > 0) return undefined;
  // Minted by the system itself (no request, no CLI user): one `create` entry per token.
  return runAs({ actor: systemActor('first-start') }, () =>
    db.transaction(async (tx) => {
      await repo.lockTokensTable(tx);
      if ((await repo.countTokens(tx)) > 0) return undefined;
      const admin = await issueToken(tx, { admin: true, name: 'Bootstrap admin token' });
      const customers: Record<string, IssuedToken> = {};
      for (const c of await listCustomers(tx)) {
        customers[c.customer_code] = await issueToken(tx, {
          customerCode: c.customer_code,
          scopes: ['read'],
          name: `Read token for ${c.customer_code}`,
        });
      }
      const tokens = { admin, customers };
      await keep(tokens);
      return tokens;
    }),
  );
};
