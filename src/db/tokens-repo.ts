import type { Sql } from './types.ts';

/** A token as stored, without its hash: what lists and APIs may show. */
export interface TokenRecord {
  id: string;
  customer_id: string | null;
  customer_code: string | null;
  token_prefix: string;
  token_name: string;
  permissions: string[];
  accessible_units: string[];
  rate_limit_per_hour: number;
  expires_at: Date | null;
  last_used_at: Date | null;
  is_active: boolean;
  revoked_at: Date | null;
  created_at: Date;
  /** The token that created this one (POST /customers/tokens); null when an admin or the CLI did. */
  parent_token_id: string | null;
}

const COLUMNS = `t.id, t.customer_id, c.customer_code, t.token_prefix, t.token_name, t.permissions, t.accessible_units,
  t.rate_limit_per_hour, t.expires_at, t.last_used_at, t.is_active, t.revoked_at, t.created_at, t.parent_token_id`;

export interface NewToken {
  customerId: string | null;
  tokenHash: string;
  tokenPrefix: string;
  name: string;
  permissions: string[];
  accessibleUnits: string[];
  rateLimitPerHour: number;
  expiresAt: Date | null;
  parentTokenId?: string | null;
}

export const insertToken = async (q: Sql, t: NewToken): Promise<TokenRecord> => {
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO api_tokens (customer_id, token_hash, token_prefix, token_name, permissions, accessible_units,
       rate_limit_per_hour, expires_at, parent_token_id)
     VALUES ($1, $2, $3, $4, $5::text[], $6::uuid[], $7, $8, $9) RETURNING id`,
    [
      t.customerId,
      t.tokenHash,
      t.tokenPrefix,
      t.name,
      t.permissions,
      t.accessibleUnits,
      t.rateLimitPerHour,
      t.expiresAt,
      t.parentTokenId ?? null,
    ],
  );
  return (await findTokenById(q, row!.id))!;
};

export const findTokenById = async (q: Sql, id: string): Promise<TokenRecord | undefined> => {
  const rows = await q.query<TokenRecord>(
    `SELECT ${COLUMNS} FROM api_tokens t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = $1`,
    [id],
  );
  return rows[0];
};

/** A token (optionally only within one customer), row-locked until the transaction ends. */
export const lockToken = async (tx: Sql, id: string, customerId?: string): Promise<TokenRecord | undefined> =>
  (
    await tx.query<TokenRecord>(
      `SELECT ${COLUMNS} FROM api_tokens t LEFT JOIN customers c ON c.id = t.customer_id
       WHERE t.id = $1 AND ($2::uuid IS NULL OR t.customer_id = $2::uuid) FOR UPDATE OF t`,
      [id, customerId ?? null],
    )
  )[0];

export interface TokenFilter {
  customerId?: string;
  includeRevoked?: boolean;
}

export const listTokens = async (q: Sql, f: TokenFilter = {}): Promise<TokenRecord[]> => {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.customerId) {
    params.push(f.customerId);
    where.push(`t.customer_id = $${params.length}`);
  }
  if (!f.includeRevoked) where.push('t.is_active');
  return q.query<TokenRecord>(
    `SELECT ${COLUMNS} FROM api_tokens t LEFT JOIN customers c ON c.id = t.customer_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.customer_code NULLS FIRST, t.created_at DESC`,
    params,
  );
};

/**
 * Deactivates a token and every token created from it, transitively (with customerId, only if the
 * token belongs to that customer). Returns the record and the ids of the descendants deactivated
 * now, or undefined when there is no such token.
 */
export const revokeToken = async (
  q: Sql,
  id: string,
  customerId?: string,
): Promise<{ record: TokenRecord; descendantIds: string[] } | undefined> => {
  const rows = await q.query<{ id: string }>(
    `WITH RECURSIVE tree AS (
       SELECT id FROM api_tokens WHERE id = $1 AND ($2::uuid IS NULL OR customer_id = $2::uuid)
       UNION SELECT t.id FROM api_tokens t JOIN tree ON t.parent_token_id = tree.id
     )
     UPDATE api_tokens SET is_active = false, revoked_at = COALESCE(revoked_at, now())
     WHERE id IN (SELECT id FROM tree) RETURNING id`,
    [id, customerId ?? null],
  );
  if (!rows.some((r) => r.id === id)) return undefined;
  const record = (await findTokenById(q, id))!;
  return { record, descendantIds: rows.map((r) => r.id).filter((x) => x !== id) };
};

/**
 * Serialises token issuance for one customer until the transaction ends (a row lock on the customer
 * that does not block writers of readings), so concurrent requests cannot overshoot a cap.
 */
export const lockCustomerTokens = async (tx: Sql, customerId: string): Promise<void> => {
  await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR NO KEY UPDATE', [customerId]);
};

/** Serialises first-start minting: a concurrent first start waits, then sees the tokens minted. */
export const lockTokensTable = async (tx: Sql): Promise<void> => {
  await tx.query('LOCK TABLE api_tokens IN SHARE ROW EXCLUSIVE MODE');
};

/** Active (not revoked, not expired) tokens of a customer. */
export const countActiveTokens = async (q: Sql, customerId: string): Promise<number> => {
  const [row] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM api_tokens
     WHERE customer_id = $1 AND is_active AND (expires_at IS NULL OR expires_at > now())`,
    [customerId],
  );
  return row!.n;
};

export const countTokens = async (q: Sql): Promise<number> => {
  const [row] = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM api_tokens');
  return row!.n;
};

/** The principal behind a token hash, with its customer's state, for request authentication. */
export interface TokenPrincipalRow extends TokenRecord {
  customer_name: string | null;
  customer_is_active: boolean | null;
}

export const findTokenByHash = async (q: Sql, hash: string): Promise<TokenPrincipalRow | undefined> => {
  const rows = await q.query<TokenPrincipalRow>(
    `SELECT ${COLUMNS}, c.name AS customer_name, c.is_active AS customer_is_active
     FROM api_tokens t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.token_hash = $1`,
    [hash],
  );
  return rows[0];
};

/** Records use in bulk (the API batches these) instead of one write per request. */
export const touchTokens = async (q: Sql, ids: string[], at: Date): Promise<void> => {
  if (ids.length === 0) return;
  await q.query(
    'UPDATE api_tokens SET last_used_at = GREATEST(COALESCE(last_used_at, $2), $2) WHERE id = ANY($1::uuid[])',
    [ids, at],
  );
};
