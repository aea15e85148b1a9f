import { appendAuditEntry, type AuditRow, type NewAuditEntry } from '../db/audit-repo.ts';
import type { Sql } from '../db/types.ts';
import { diffFields } from '../domain/audit-chain.ts';
import { AppError } from '../lib/errors.ts';
import { currentAuditScope, type AuditActor } from './context.ts';

/** What a verb tells the trail about one change it makes. */
export interface AuditChange {
  /** customer, facility, storage_unit, alarm_rules, alarm_rule_defaults, notification_channel, token, config, alarm, readings, report … */
  entityType: string;
  entityId: string | null;
  /** The customer the record belongs to (null: system-wide), for the customer's view of the trail. */
  customerId: string | null;
  /** create, update, delete, revoke, acknowledge, shelve, unshelve, import, clean, retention, generate … */
  action: string;
  /** The record before the change (omit for a create). */
  before?: Record<string, unknown> | null;
  /** The record after it (omit for a delete). */
  after?: Record<string, unknown> | null;
  /** Fields never written to the trail (secrets, hashes) or noise (updated_at). */
  omit?: readonly string[];
  /** Facts of an action that changes no single record's fields (counts, a range, a report's hash). */
  details?: Record<string, unknown>;
  /** Overrides the caller's `reason` (e.g. an acknowledgement's comment). */
  reason?: string;
  /** A rule or limit change, or a deletion: refused (422) without a reason. */
  reasonRequired?: boolean;
  /** Overrides the actor of the current scope (background jobs). */
  actor?: AuditActor;
}

const ALWAYS_OMITTED = ['updated_at', 'token_hash', 'secret', 'signing_secret'];

/**
 * Whether a reason is demanded where the trail asks for one. On by default (21 CFR 11: changes to
 * limits and deletions carry their why); the system setting `require_change_reason` = false turns
 * it off for clients that cannot send one yet.
 */
let reasonDemanded = true;
export const setReasonDemanded = (on: boolean): void => {
  reasonDemanded = on;
};

/** Refuses a change that needs a reason and has none, before any work is done. */
export const requireReason = (what: string): string | undefined => {
  const reason = currentAuditScope().reason?.trim();
  if (!reason && reasonDemanded)
    throw new AppError('VALIDATION', `reason is required for ${what} (give "reason" in the body, or --reason)`);
  return reason || undefined;
};

let skippedForBenchmark = false;
/**
 * For `npm run bench:reports` only, which measures what the trail costs by running the same writes
 * with and without it. Nothing in the product calls this, and no setting or variable reaches it.
 */
export const skipAuditForBenchmark = (skip: boolean): void => {
  skippedForBenchmark = skip;
};

/**
 * The entry a change writes, or null when nothing is written (an update that changed no field, or a
 * benchmark run without the trail). Refuses (422) a change that needs a reason and has none.
 */
export const auditEntryFor = (c: AuditChange): NewAuditEntry | null => {
  const scope = currentAuditScope();
  const reason = (c.reason ?? scope.reason)?.trim() || null;
  if (c.reasonRequired && !reason && reasonDemanded)
    throw new AppError('VALIDATION', `reason is required to ${c.action} ${c.entityType.replaceAll('_', ' ')}`);
  const fields =
    c.before !== undefined || c.after !== undefined
      ? diffFields(c.before, c.after, [...ALWAYS_OMITTED, ...(c.omit ?? [])])
      : {};
  if (c.before && c.after && Object.keys(fields).length === 0 && !c.details) return null;
  const changes: Record<string, unknown> = { ...fields };
  if (c.details) changes._details = JSON.parse(JSON.stringify(c.details)) as unknown;
  const actor = c.actor ?? scope.actor;
  if (skippedForBenchmark) return null;
  return {
    actorKind: actor.kind,
    actorTokenId: actor.tokenId,
    actorName: actor.name,
    customerId: c.customerId,
    entityType: c.entityType,
    entityId: c.entityId,
    action: c.action,
    changes,
    reason,
  };
};

/**
 * Writes one audit entry for a change, inside the transaction `tx` that makes the change (so both
 * commit or neither). Call it last in the transaction: it takes the chain's lock until the commit.
 * An update that changed no field writes nothing and returns null.
 */
export const recordAudit = async (tx: Sql, c: AuditChange): Promise<AuditRow | null> => {
  const entry = auditEntryFor(c);
  return entry ? appendAuditEntry(tx, entry) : null;
};
