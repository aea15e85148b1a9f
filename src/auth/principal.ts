import type { TokenPrincipalRow } from '../db/tokens-repo.ts';
import { hasScope } from '../domain/tokens.ts';
import { AppError } from '../lib/errors.ts';

/**
 * What an operation needs: `public` (no token), `token` (any valid token, admin or customer: the
 * caller asks who it is), `read`/`write` (a customer token), `admin` (an admin token).
 */
export type AccessScope = 'public' | 'token' | 'read' | 'write' | 'admin';

/** Who is calling, as resolved from a verified token. */
export type Principal =
  | {
      kind: 'customer';
      tokenId: string;
      /** The token's name, as people know it (the audit trail's actor). */
      tokenName: string;
      customerId: string;
      customerCode: string;
      scopes: string[];
      /** Empty: every unit of the customer. */
      accessibleUnits: string[];
    }
  | {
      kind: 'admin';
      tokenId: string;
      tokenName: string;
      customerId: null;
      customerCode: null;
      scopes: string[];
      accessibleUnits: [];
    };

/** The principal of an active token row: an admin token is one without a customer. */
export const principalOf = (row: TokenPrincipalRow): Principal =>
  row.customer_id === null
    ? {
        kind: 'admin',
        tokenId: row.id,
        tokenName: row.token_name,
        customerId: null,
        customerCode: null,
        scopes: row.permissions,
        accessibleUnits: [],
      }
    : {
        kind: 'customer',
        tokenId: row.id,
        tokenName: row.token_name,
        customerId: row.customer_id,
        customerCode: row.customer_code!,
        scopes: row.permissions,
        accessibleUnits: row.accessible_units ?? [],
      };

/**
 * Checks that a principal may use an operation of `scope`. Admin tokens are their own principal:
 * customer operations refuse them rather than acting as some customer.
 * @throws AppError FORBIDDEN naming what is missing.
 */
export const authorize = (p: Principal, scope: Exclude<AccessScope, 'public'>): void => {
  if (scope === 'token') return;
  if (scope === 'admin') {
    if (p.kind !== 'admin') throw new AppError('FORBIDDEN', 'Admin permission required');
    return;
  }
  if (p.kind === 'admin')
    throw new AppError(
      'FORBIDDEN',
      'Customer endpoints need a customer token; an admin token works on /api/v1/admin/… only',
    );
  if (!hasScope(p.scopes, scope))
    throw new AppError(
      'FORBIDDEN',
      scope === 'write' ? 'Write permission required' : 'Read permission required',
    );
};
