import { currentAuditScope } from '../audit/context.ts';
import { recordAudit } from '../audit/record.ts';
import { appendAlarmEvent } from '../db/alarm-store-repo.ts';
import * as repo from '../db/alarms-query-repo.ts';
import type { AlarmFilter, AlarmRow, AlarmScope } from '../db/alarms-query-repo.ts';
import type { TemperatureUnit } from '../domain/units.ts';
import { readInScope } from '../fleet/fleet.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FeatureContext } from '../readings/context.ts';
import { checkOrder } from '../readings/time.ts';
import { adminAlarmItem, alarmDetail, alarmItem, historyItem } from './alarm-dto.ts';

// The human side of alarms, transport-free (the API and the CLI call these): list, show, acknowledge
// with a comment, shelve for a while with a reason. Acknowledgement and shelving are wall-clock acts;
// each writes its event and its audit entry (entity alarm) in the same transaction as the change. Who
// acts is the audit scope's actor: the request's token (API) or `cli:<os user>` (CLI).

/** Who acts: a token's name and id (API), or `cli:<os user>` without a token (CLI). */
export interface AlarmActor {
  name: string;
  tokenId: string | null;
}

/** The actor of the current request or CLI operation, as alarm events name it. */
const currentActor = (): AlarmActor => {
  const { name, tokenId } = currentAuditScope().actor;
  return { name, tokenId };
};

/** Longest shelving: a week; an alarm shelved longer is an alarm switched off. */
export const MAX_SHELVE_MS = 7 * 24 * 3_600_000;

const alarmNotFound = () => notFound('Alarm');

export interface AlarmListOptions extends AlarmFilter {
  unit?: TemperatureUnit;
  limit: number;
  offset: number;
}

const listRows = async (
  ctx: FeatureContext,
  s: AlarmScope,
  o: AlarmListOptions,
): Promise<{ rows: AlarmRow[]; total: number }> => {
  checkOrder({ start: o.start, end: o.end });
  // A facility or unit outside the scope is a 404, as on every other endpoint that takes one.
  return readInScope(
    ctx,
    { customerId: s.customerId, unitIds: s.unitIds },
    { facilityId: o.facilityId, unitId: o.unitId },
    () => repo.listAlarms(ctx.db, s, o, o.limit, o.offset),
    (r) => r.total === 0,
  );
};

/** A page of the caller's alarms, newest first unless sorted by priority. */
export const listAlarms = async (ctx: FeatureContext, s: AlarmScope, o: AlarmListOptions) => {
  const { rows, total } = await listRows(ctx, s, o);
  const now = ctx.clock.now();
  return { items: rows.map((r) => alarmItem(r, now, o.unit)), total };
};

/** Alarms of every customer (or one), for admins. */
export const listAllAlarms = async (
  ctx: FeatureContext,
  customerId: string | undefined,
  o: AlarmListOptions,
) => {
  checkOrder({ start: o.start, end: o.end });
  const { rows, total } = await repo.listAlarms(ctx.db, { customerId }, o, o.limit, o.offset);
  const now = ctx.clock.now();
  return { items: rows.map((r) => adminAlarmItem(r, now, o.unit)), total };
};

/** The prototype's /analytics/alarms/history: the same alarms, with the names its dashboard used. */
export const alarmHistory = async (ctx: FeatureContext, s: AlarmScope, o: AlarmListOptions) => {
  const { rows, total } = await listRows(ctx, s, o);
  const now = ctx.clock.now();
  return { items: rows.map((r) => historyItem(r, now, o.unit)), total };
};

/** One alarm with its figures, rule and events; 404 when it is not the caller's. */
export const getAlarm = async (ctx: FeatureContext, id: string, s: AlarmScope, unit?: TemperatureUnit) => {
  const row = await repo.findAlarm(ctx.db, id, s);
  if (!row) throw alarmNotFound();
  const events = await repo.alarmEvents(ctx.db, id);
  return alarmDetail(row, events, ctx.clock.now(), unit);
};

/**
 * Acknowledges an alarm: who, when (now) and a comment, which is required (every excursion is
 * reviewed in words). A second acknowledgement is a 409 naming the first.
 */
export const acknowledgeAlarm = async (ctx: FeatureContext, id: string, s: AlarmScope, comment: string) => {
  const text = comment.trim();
  if (text === '')
    throw new AppError('VALIDATION', 'comment is required: say what was found and what was done');
  const actor = currentActor();
  const at = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const done = await repo.acknowledgeAlarm(tx, id, s, {
      at,
      by: actor.name,
      tokenId: actor.tokenId,
      comment: text,
    });
    if (!done) {
      const row = await repo.findAlarm(tx, id, s);
      if (!row) throw alarmNotFound();
      throw new AppError(
        'CONFLICT',
        `Alarm was acknowledged already by ${row.acknowledged_by ?? 'someone'} at ${row.acknowledged_at?.toISOString()}`,
      );
    }
    await appendAlarmEvent(tx, id, 'acknowledged', at, {
      by: actor.name,
      token_id: actor.tokenId,
      comment: text,
    });
    await recordAudit(tx, {
      entityType: 'alarm',
      entityId: id,
      customerId: done.customer_id,
      action: 'acknowledge',
      after: { acknowledged_at: at, acknowledged_by: actor.name, comment: text },
      details: { kind: done.kind, severity: done.severity, storage_unit_id: done.storage_unit_id },
      reason: text,
    });
  });
  return getAlarm(ctx, id, s);
};

/** An alarm's shelving fields, before a change, for its audit entry. */
const shelvingOf = (row: AlarmRow) => ({
  shelved_until: row.shelved_until,
  shelved_reason: row.shelved_reason,
  shelved_by: row.shelved_by,
});

export interface ShelveRequest {
  minutes?: number;
  /** An instant, already parsed. */
  until?: Date;
  /** Defaults to the `reason` of the request or operation (the API takes it out of the body). */
  reason?: string;
}

/** Lifts an alarm's shelving (event 'unshelved'); 409 when it is not shelved. */
export const unshelveAlarm = async (ctx: FeatureContext, id: string, s: AlarmScope, reasonIn?: string) => {
  const actor = currentActor();
  const reason = (reasonIn ?? currentAuditScope().reason)?.trim() || undefined;
  const at = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const row = await repo.findAlarm(tx, id, s);
    if (!row) throw alarmNotFound();
    if (!row.shelved_until || row.shelved_until.getTime() <= at.getTime())
      throw new AppError('CONFLICT', 'Alarm is not shelved');
    await repo.setShelving(tx, id, s, { until: null, reason: null, by: null });
    await appendAlarmEvent(tx, id, 'unshelved', at, {
      by: actor.name,
      token_id: actor.tokenId,
      ...(reason ? { reason } : {}),
    });
    await recordAudit(tx, {
      entityType: 'alarm',
      entityId: id,
      customerId: row.customer_id,
      action: 'unshelve',
      before: shelvingOf(row),
      after: { shelved_until: null, shelved_reason: null, shelved_by: null },
      reason,
    });
  });
  return getAlarm(ctx, id, s);
};

/**
 * Shelves an alarm until a time (at most a week ahead) with a required reason: while shelved it is
 * neither escalated nor repeated. `minutes: 0` unshelves. A closed alarm cannot be shelved (409).
 */
export const shelveAlarm = async (ctx: FeatureContext, id: string, s: AlarmScope, req: ShelveRequest) => {
  if ((req.minutes === undefined) === (req.until === undefined))
    throw new AppError('VALIDATION', 'Give either minutes or until');
  if (req.minutes === 0) return unshelveAlarm(ctx, id, s, req.reason);
  const actor = currentActor();
  const reason = (req.reason ?? currentAuditScope().reason)?.trim() ?? '';
  if (reason === '') throw new AppError('VALIDATION', 'reason is required to shelve an alarm');
  const at = ctx.clock.now();
  const until = req.until ?? new Date(at.getTime() + (req.minutes as number) * 60_000);
  if (until.getTime() <= at.getTime()) throw new AppError('VALIDATION', 'until must be in the future');
  if (until.getTime() - at.getTime() > MAX_SHELVE_MS)
    throw new AppError('VALIDATION', 'An alarm can be shelved for at most 7 days');
  await ctx.db.transaction(async (tx) => {
    const row = await repo.findAlarm(tx, id, s);
    if (!row) throw alarmNotFound();
    if (row.state === 'closed') throw new AppError('CONFLICT', 'A closed alarm cannot be shelved');
    await repo.setShelving(tx, id, s, { until, reason, by: actor.name });
    await appendAlarmEvent(tx, id, 'shelved', at, {
      by: actor.name,
      token_id: actor.tokenId,
      until: until.toISOString(),
      reason,
    });
    await recordAudit(tx, {
      entityType: 'alarm',
      entityId: id,
      customerId: row.customer_id,
      action: 'shelve',
      before: shelvingOf(row),
      after: { shelved_until: until, shelved_reason: reason, shelved_by: actor.name },
      details: { until: until.toISOString() },
      reason,
    });
  });
  return getAlarm(ctx, id, s);
};
