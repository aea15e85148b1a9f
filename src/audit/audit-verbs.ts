import type { AuditRow } from '../db/audit-repo.ts';
import { listAuditEntries, type AuditFilter } from '../db/audit-repo.ts';
import { findCustomerByCode } from '../db/customers-repo.ts';
import type { Db } from '../db/types.ts';
import type { ActorKind } from '../domain/audit-chain.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { verifyAuditChain, type ChainReport } from './verify.ts';

// Reading the audit trail: a customer's own entries, every entry (admin, CLI), and the chain check.
// The trail is written by the verbs that change records (record.ts); nothing here writes to it.

/** One entry as the API and the CLI show it. */
export interface AuditEntryDto {
  id: string;
  seq: number;
  at: Date;
  actor: { kind: ActorKind; token_id: string | null; name: string };
  customer_id: string | null;
  entity_type: string;
  entity_id: string | null;
  action: string;
  changes: Record<string, unknown>;
  reason: string | null;
  hash: string;
  prev_hash: string;
}

export const auditEntryOf = (r: AuditRow): AuditEntryDto => ({
  id: r.id,
  seq: Number(r.seq),
  at: r.at,
  actor: { kind: r.actor_kind, token_id: r.actor_token_id, name: r.actor_name },
  customer_id: r.customer_id,
  entity_type: r.entity_type,
  entity_id: r.entity_id,
  action: r.action,
  changes: r.changes,
  reason: r.reason,
  hash: r.hash,
  prev_hash: r.prev_hash,
});

/** The filters of a listing (every one optional); the customer is set by who asks. */
export type AuditQuery = Omit<AuditFilter, 'customerId'> & { limit: number; offset: number };

const checkRange = (q: AuditQuery): void => {
  if (q.start && q.end && q.start > q.end)
    throw new AppError('VALIDATION', 'start_date must not be after end_date');
};

const page = async (db: Db, f: AuditFilter, q: AuditQuery) => {
  checkRange(q);
  const r = await listAuditEntries(db, f, q.limit, q.offset);
  return { items: r.rows.map(auditEntryOf), total: r.total };
};

const filterOf = (q: AuditQuery): AuditFilter => ({
  entityType: q.entityType,
  entityId: q.entityId,
  action: q.action,
  actor: q.actor,
  start: q.start,
  end: q.end,
});

/**
 * A customer's own entries, newest first. A token limited to some units is refused: entries about
 * the customer's other units, tokens and settings are not its to read.
 */
export const listCustomerAudit = async (
  ctx: { db: Db },
  tenant: { customerId: string; unitIds: readonly string[] },
  q: AuditQuery,
) => {
  if (tenant.unitIds.length > 0)
    throw new AppError('FORBIDDEN', 'The audit trail needs a token for all of the customer’s units');
  return page(ctx.db, { ...filterOf(q), customerId: tenant.customerId }, q);
};

/** Every customer's entries (or one customer's), newest first: the operator's view. */
export const listAllAudit = (ctx: { db: Db }, customerId: string | undefined, q: AuditQuery) =>
  page(ctx.db, { ...filterOf(q), customerId }, q);

/** The operator's view by customer code (the CLI), `undefined` for all. */
export const listAuditByCustomerCode = async (ctx: { db: Db }, code: string | undefined, q: AuditQuery) => {
  if (code === undefined) return listAllAudit(ctx, undefined, q);
  const c = await findCustomerByCode(ctx.db, code);
  if (!c) throw notFound(`Customer '${code}'`);
  return listAllAudit(ctx, c.id, q);
};

/** Walks the whole chain and names the first entry that does not fit. */
export const verifyAudit = (ctx: { db: Db }): Promise<ChainReport> => verifyAuditChain(ctx.db);
