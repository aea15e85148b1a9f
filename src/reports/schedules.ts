import { recordAudit, requireReason } from '../audit/record.ts';
import * as repo from '../db/report-schedules-repo.ts';
import type { ScheduleRow } from '../db/report-schedules-repo.ts';
import { periodEndAfter, shiftBoundary, type ReportPeriod } from '../domain/report-periods.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { FeatureContext } from '../readings/context.ts';
import { checkTimeZone } from '../readings/time.ts';

// Scheduled facility reports (issue 12 item 3): the verbs behind /api/v1/report-schedules and
// `tms report schedules`. A schedule e-mails a facility's report of the last full week or month to the
// customer's e-mail channels (schedule-runner.ts sends them). Creating, changing and deleting one is
// audited (entity report_schedule) in the same transaction; a deletion needs a reason. The due job's
// bookkeeping (next run, last status) is delivery state like the notification outbox's, not audited;
// each report it generates is (entity report, action generate, actor system:scheduled-report).

/** How long after a period ends its report is made: readings of CSV customers arrive late. */
export const REPORT_GRACE_MS = 60 * 60_000;

export interface ScheduleCaller {
  /** Undefined: the operator (CLI), every customer. */
  customerId?: string;
  /** Non-empty: a token limited to these units (may read its facilities' schedules, not change them). */
  accessibleUnits?: readonly string[];
}

export interface ScheduleInput {
  facility_id: string;
  period: ReportPeriod;
  format?: 'pdf' | 'csv';
  /** Default: the customer's zone. */
  tz?: string;
  /** Null or absent: every active e-mail channel of the customer when the report is sent. */
  channel_ids?: string[] | null;
  enabled?: boolean;
}

export type ScheduleUpdate = Partial<Omit<ScheduleInput, 'facility_id'>>;

export const toScheduleDto = (s: ScheduleRow) => {
  const nextStart = new Date(shiftBoundary(s.period_end_at.getTime(), s.period, s.tz, -1));
  return {
    id: s.id,
    facility_id: s.facility_id,
    facility_code: s.facility_code,
    facility_name: s.facility_name,
    period: s.period,
    format: s.format,
    tz: s.tz,
    channel_ids: s.channel_ids,
    enabled: s.enabled,
    next_run_at: s.enabled ? s.next_run_at : null,
    next_period_start: nextStart,
    next_period_end: s.period_end_at,
    attempts: s.attempts,
    last_run_at: s.last_run_at,
    last_period_start: s.last_period_start,
    last_period_end: s.last_period_end,
    last_status: s.last_status,
    last_error: s.last_error,
    last_report_id: s.last_report_id,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
};

const audited = (s: ScheduleRow) => ({
  facility_id: s.facility_id,
  period: s.period,
  format: s.format,
  tz: s.tz,
  channel_ids: s.channel_ids,
  enabled: s.enabled,
});

const change = (s: ScheduleRow) => ({
  entityType: 'report_schedule',
  entityId: s.id,
  customerId: s.customer_id,
});

const requireWholeCustomer = (caller: ScheduleCaller): void => {
  if (caller.accessibleUnits && caller.accessibleUnits.length > 0)
    throw new AppError(
      'FORBIDDEN',
      'A token limited to some storage units cannot change report schedules (a facility report covers every unit); use a token without accessible_units',
    );
};

/** The first run of a timetable: the end of the period under way at `now`, plus the grace delay. */
const timetable = (now: Date, period: ReportPeriod, tz: string) => {
  const end = periodEndAfter(now.getTime(), period, tz);
  return { period_end_at: new Date(end), next_run_at: new Date(end + REPORT_GRACE_MS) };
};

/** @throws AppError VALIDATION unless every id is an e-mail channel of the customer. */
const checkChannels = async (
  ctx: FeatureContext,
  customerId: string,
  ids: string[] | null | undefined,
): Promise<string[] | null> => {
  if (ids === null || ids === undefined) return null;
  const unique = [...new Set(ids)];
  if (unique.length === 0)
    throw new AppError(
      'VALIDATION',
      'channel_ids is empty: give at least one e-mail channel, or null for every e-mail channel of the customer',
    );
  const found = new Map((await repo.channelsOf(ctx.db, customerId, unique)).map((c) => [c.id, c]));
  for (const id of unique) {
    const c = found.get(id);
    if (!c)
      throw new AppError('VALIDATION', `channel_ids: ${id} is not a notification channel of this customer`);
    if (c.type !== 'email')
      throw new AppError(
        'VALIDATION',
        `channel_ids: ${id} is a ${c.type} channel; reports are sent by e-mail only`,
      );
  }
  return unique;
};

export const listSchedulesOf = async (ctx: FeatureContext, caller: ScheduleCaller, facilityId?: string) =>
  (
    await repo.listSchedules(ctx.db, {
      customerId: caller.customerId,
      unitIds: caller.accessibleUnits,
      facilityId,
    })
  ).map(toScheduleDto);

const findOwn = async (ctx: FeatureContext, caller: ScheduleCaller, id: string): Promise<ScheduleRow> => {
  const s = await repo.findSchedule(ctx.db, id, caller.customerId);
  if (!s) throw notFound('Report schedule');
  if (caller.accessibleUnits?.length) {
    const visible = await repo.listSchedules(ctx.db, {
      customerId: caller.customerId,
      unitIds: caller.accessibleUnits,
      facilityId: s.facility_id,
    });
    if (!visible.some((v) => v.id === id)) throw notFound('Report schedule');
  }
  return s;
};

export const getSchedule = async (ctx: FeatureContext, caller: ScheduleCaller, id: string) =>
  toScheduleDto(await findOwn(ctx, caller, id));

/**
 * Creates a schedule; its first report covers the period under way now.
 * @throws AppError NOT_FOUND for a facility outside the caller's customer, VALIDATION for a bad zone or channel.
 */
export const createSchedule = async (ctx: FeatureContext, caller: ScheduleCaller, input: ScheduleInput) => {
  const owner = await repo.facilityOwner(ctx.db, input.facility_id, caller.customerId);
  if (!owner) throw notFound('Facility');
  requireWholeCustomer(caller);
  const tz = checkTimeZone(input.tz ?? owner.timezone);
  const channelIds = await checkChannels(ctx, owner.customer_id, input.channel_ids);
  const row = await ctx.db.transaction(async (tx) => {
    const created = await repo.insertSchedule(tx, {
      customer_id: owner.customer_id,
      facility_id: input.facility_id,
      period: input.period,
      format: input.format ?? 'pdf',
      tz,
      channel_ids: channelIds,
      enabled: input.enabled ?? true,
      ...timetable(ctx.clock.now(), input.period, tz),
    });
    await recordAudit(tx, { ...change(created), action: 'create', after: audited(created) });
    return created;
  });
  return toScheduleDto(row);
};

/**
 * Changes a schedule's settings (omitted fields unchanged). A new period or zone, or enabling a
 * disabled schedule, starts its timetable again from now (no backlog of missed periods is sent).
 */
export const updateSchedule = async (
  ctx: FeatureContext,
  caller: ScheduleCaller,
  id: string,
  input: ScheduleUpdate,
) => {
  const current = await findOwn(ctx, caller, id);
  requireWholeCustomer(caller);
  const tz = input.tz === undefined ? current.tz : checkTimeZone(input.tz);
  const channelIds =
    input.channel_ids === undefined
      ? current.channel_ids
      : await checkChannels(ctx, current.customer_id, input.channel_ids);
  const row = await ctx.db.transaction(async (tx) => {
    const before = await repo.findSchedule(tx, id, current.customer_id, true);
    if (!before) throw notFound('Report schedule');
    const period = input.period ?? before.period;
    const enabled = input.enabled ?? before.enabled;
    const restart = period !== before.period || tz !== before.tz || (enabled && !before.enabled);
    const after = await repo.updateSchedule(
      tx,
      id,
      {
        period,
        format: input.format ?? before.format,
        tz,
        channel_ids: channelIds,
        enabled,
        ...(restart
          ? timetable(ctx.clock.now(), period, tz)
          : { period_end_at: before.period_end_at, next_run_at: before.next_run_at }),
      },
      ctx.clock.now(),
    );
    await recordAudit(tx, {
      ...change(after),
      action: 'update',
      before: audited(before),
      after: audited(after),
    });
    return after;
  });
  return toScheduleDto(row);
};

/** Deletes a schedule, with a reason (422 without, after the 404 for another customer's). */
export const deleteSchedule = async (ctx: FeatureContext, caller: ScheduleCaller, id: string) => {
  const current = await findOwn(ctx, caller, id);
  requireWholeCustomer(caller);
  requireReason('deleting a report schedule');
  await ctx.db.transaction(async (tx) => {
    const row = await repo.findSchedule(tx, id, current.customer_id, true);
    if (!row || !(await repo.deleteSchedule(tx, id))) throw notFound('Report schedule');
    await recordAudit(tx, { ...change(row), action: 'delete', before: audited(row), reasonRequired: true });
  });
  return toScheduleDto(current);
};
