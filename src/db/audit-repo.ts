import { randomUUID } from 'node:crypto';
import { entryBody, type ActorKind, type AuditFields } from '../domain/audit-chain.ts';
import type { Sql } from './types.ts';

// Appends go through the database function audit_append (migration 018): it takes the chain's
// transaction-scoped advisory lock (held to the commit, so the next writer reads this entry as its
// predecessor), reads the head and stores the entry with its hash, in one round trip. A transaction
// appends last, after its own changes, to keep the hold short.

export interface NewAuditEntry {
  actorKind: ActorKind;
  actorTokenId: string | null;
  actorName: string;
  customerId: string | null;
  entityType: string;
  entityId: string | null;
  action: string;
  changes: Record<string, unknown>;
  reason: string | null;
}

export interface AuditRow {
  seq: number;
  id: string;
  at: Date;
  actor_kind: ActorKind;
  actor_token_id: string | null;
  actor_name: string;
  customer_id: string | null;
  entity_type: string;
  entity_id: string | null;
  action: string;
  changes: Record<string, unknown>;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

export const fieldsOf = (r: AuditRow): AuditFields & { hash: string } => ({
  seq: Number(r.seq),
  id: r.id,
  at: r.at,
  actorKind: r.actor_kind,
  actorTokenId: r.actor_token_id,
  actorName: r.actor_name,
  customerId: r.customer_id,
  entityType: r.entity_type,
  entityId: r.entity_id,
  action: r.action,
  changes: r.changes,
  reason: r.reason,
  prevHash: r.prev_hash,
  hash: r.hash,
});

const RETURNED = `seq::int AS seq, id, at, actor_kind, actor_token_id, actor_name, customer_id, entity_type,
  entity_id, action, changes, reason, prev_hash, hash`;

/**
 * The call `audit_append(...)` for an entry, with its parameters numbered from `$first`, to put in a
 * statement of the caller's. `entityIdSql` replaces the entity id parameter with an SQL expression
 * (a reading's id from the INSERT of the same statement).
 */
export const auditAppendCall = (
  e: NewAuditEntry,
  first: number,
  entityIdSql?: string,
): { sql: string; params: unknown[] } => {
  const id = randomUUID();
  const body = entryBody({ ...e, id });
  const params: unknown[] = [body, id, e.actorKind, e.actorTokenId, e.actorName, e.customerId, e.entityType];
  if (!entityIdSql) params.push(e.entityId);
  params.push(e.action, JSON.stringify(e.changes), e.reason);
  const p = params.map((_, i) => `$${first + i}`);
  const entity = entityIdSql ?? `${p[7]}::text`;
  const rest = entityIdSql ? p.slice(7) : p.slice(8);
  const sql = `audit_append(${p[0]}::text, ${p[1]}::uuid, ${p[2]}::text, ${p[3]}::uuid, ${p[4]}::text, ${p[5]}::uuid,
    ${p[6]}::text, ${entity}, ${rest[0]}::text, ${rest[1]}::jsonb, ${rest[2]}::text)`;
  return { sql, params };
};

/**
 * Appends one entry to the chain inside the caller's transaction (one round trip): the database
 * stamps it with its clock after the lock, so times never run backwards along the chain.
 */
export const appendAuditEntry = async (tx: Sql, e: NewAuditEntry): Promise<AuditRow> => {
  const call = auditAppendCall(e, 1);
  const [row] = await tx.query<AuditRow>(`SELECT ${RETURNED} FROM ${call.sql}`, call.params);
  return row!;
};

export interface AuditFilter {
  /** Only this customer's entries (a customer's view); undefined: all (admin). */
  customerId?: string;
  entityType?: string;
  entityId?: string;
  action?: string;
  /** Matches the actor's name (case-insensitive substring) or its token id. */
  actor?: string;
  start?: Date;
  end?: Date;
}

const whereOf = (f: AuditFilter): { sql: string; params: unknown[] } => {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, v: unknown) => {
    params.push(v);
    parts.push(sql(`$${params.length}`));
  };
  if (f.customerId !== undefined) add((p) => `customer_id = ${p}`, f.customerId);
  if (f.entityType) add((p) => `entity_type = ${p}`, f.entityType);
  if (f.entityId) add((p) => `entity_id = ${p}`, f.entityId);
  if (f.action) add((p) => `action = ${p}`, f.action);
  if (f.actor)
    add((p) => `(actor_name ILIKE '%' || ${p} || '%' OR actor_token_id::text = ${p})`, f.actor);
  if (f.start) add((p) => `at >= ${p}`, f.start);
  if (f.end) add((p) => `at < ${p}`, f.end);
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
};

const COLUMNS = `seq::int AS seq, id, at, actor_kind, actor_token_id, actor_name, customer_id, entity_type,
  entity_id, action, changes, reason, prev_hash, hash`;

/** A page of entries, newest first, and how many match. */
export const listAuditEntries = async (
  q: Sql,
  f: AuditFilter,
  limit: number,
  offset: number,
): Promise<{ rows: AuditRow[]; total: number }> => {
  const w = whereOf(f);
  const n = w.params.length;
  const rows = await q.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_log WHERE ${w.sql} ORDER BY seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...w.params, limit, offset],
  );
  const [c] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE ${w.sql}`, w.params);
  return { rows, total: c!.n };
};

/** Entries after `afterSeq` in chain order, `limit` at a time (for verification). */
export const auditEntriesAfter = (q: Sql, afterSeq: number, limit: number): Promise<AuditRow[]> =>
  q.query<AuditRow>(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [
    afterSeq,
    limit,
  ]);

/** The first entry of the chain as stored (seq may not be 1 if the start was deleted). */
export const firstAuditSeq = async (q: Sql): Promise<number | null> => {
  const [r] = await q.query<{ seq: number | null }>('SELECT min(seq)::int AS seq FROM audit_log');
  return r?.seq ?? null;
};
