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
}

/** A freshly issued token: the only moment the plaintext exists outside its holder. */
export interface IssuedToken extends TokenRecord {
  token: string;
}

/**
 * Issues a random token and stores only its hash.
 * @throws AppError VALIDATION for inconsistent scopes, NOT_FOUND for an unknown customer.
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
  let customerId: string | null = null;
  if (!admin) {
    const customer = await findCustomerByCode(db, input.customerCode!);
    if (!customer) throw notFound(`Customer '${input.customerCode}'`);
    customerId = customer.id;
  }
  const token = generateToken();
  const record = await repo.insertToken(db, {
    customerId,
    tokenHash: hashToken(token),
    tokenPrefix: displayPrefix(token),
    name: input.name ?? (admin ? 'Admin token' : `${scopes.join('+')} token for ${input.customerCode}`),
    permissions: scopes,
    accessibleUnits: input.accessibleUnits ?? [],
    rateLimitPerHour: input.rateLimitPerHour ?? 1000,
    expiresAt: input.expiresAt ?? null,
  });
  return { ...record, token };
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

/**
 * Revokes a token by id (optionally only within one customer).
 * @throws AppError NOT_FOUND when there is no such token (for that customer).
 */
export const revokeToken = async (db: Db, id: string, customerId?: string): Promise<TokenRecord> => {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AppError('VALIDATION', `'${id}' is not a token id (a UUID)`);
  const rec = await repo.revokeToken(db, id, customerId);
  if (!rec) throw notFound('Token');
  return rec;
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
  return db.transaction(async (tx) => {
    await tx.query('LOCK TABLE api_tokens IN SHARE ROW EXCLUSIVE MODE');
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
  });
};
