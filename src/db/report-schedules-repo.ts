import type { Sql } from './types.ts';

// report_schedules (migration 017): the scheduled facility reports and the due job's bookkeeping.

export type SchedulePeriod = 'weekly' | 'monthly';
export type ScheduleStatus = 'sending' | 'sent' | 'retrying' | 'failed' | 'interrupted';

export interface ScheduleFields {
  period: SchedulePeriod;
  format: 'pdf' | 'csv';
  tz: string;
  channel_ids: string[] | null;
  enabled: boolean;
  period_end_at: Date;
  next_run_at: Date;
}

export interface ScheduleRow extends ScheduleFields {
  id: string;
  customer_id: string;
  facility_id: string;
  facility_code: string;
  facility_name: string | null;
  attempts: number;
  retry_channel_ids: string[] | null;
  last_run_at: Date | null;
  last_period_start: Date | null;
  last_period_end: Date | null;
  last_status: ScheduleStatus | null;
  last_error: string | null;
  last_report_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `s.id, s.customer_id, s.facility_id, f.facility_code, f.name AS facility_name, s.period, s.format,
  s.tz, s.channel_ids, s.enabled, s.period_end_at, s.next_run_at, s.attempts, s.retry_channel_ids,
  s.last_run_at, s.last_period_start, s.last_period_end, s.last_status, s.last_error, s.last_report_id,
  s.created_at, s.updated_at`;
const FROM = 'report_schedules s JOIN facilities f ON f.id = s.facility_id';

export interface ScheduleFilter {
  /** Undefined: every customer's (the operator). */
  customerId?: string;
  /** Non-empty: only facilities holding one of these units (a token limited to some units). */
  unitIds?: readonly string[];
  facilityId?: string;
}

/** Schedules, oldest first. */
export const listSchedules = (q: Sql, f: ScheduleFilter): Promise<ScheduleRow[]> =>
  q.query<ScheduleRow>(
    `SELECT ${COLUMNS} FROM ${FROM}
      WHERE ($1::uuid IS NULL OR s.customer_id = $1)
        AND ($2::uuid[] IS NULL OR s.facility_id IN (SELECT facility_id FROM storage_units WHERE id = ANY($2)))
        AND ($3::uuid IS NULL OR s.facility_id = $3)
      ORDER BY s.created_at, s.id`,
    [f.customerId ?? null, f.unitIds?.length ? f.unitIds : null, f.facilityId ?? null],
  );

/** One schedule (of the customer, when given); another customer's is as absent as a missing one. */
export const findSchedule = async (
  q: Sql,
  id: string,
  customerId?: string,
  forUpdate = false,
): Promise<ScheduleRow | undefined> =>
  (
    await q.query<ScheduleRow>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE s.id = $1 AND ($2::uuid IS NULL OR s.customer_id = $2)
       ${forUpdate ? 'FOR UPDATE OF s' : ''}`,
      [id, customerId ?? null],
    )
  )[0];

export const insertSchedule = async (
  q: Sql,
  s: ScheduleFields & { customer_id: string; facility_id: string },
): Promise<ScheduleRow> => {
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO report_schedules (customer_id, facility_id, period, format, tz, channel_ids, enabled, period_end_at, next_run_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [
      s.customer_id,
      s.facility_id,
      s.period,
      s.format,
      s.tz,
      s.channel_ids,
      s.enabled,
      s.period_end_at,
      s.next_run_at,
    ],
  );
  return (await findSchedule(q, row!.id))!;
};

/** Replaces the settings; a new timetable forgets a pending retry. */
export const updateSchedule = async (
  q: Sql,
  id: string,
  s: ScheduleFields,
  now: Date,
): Promise<ScheduleRow> => {
  await q.query(
    `UPDATE report_schedules SET period = $2, format = $3, tz = $4, channel_ids = $5, enabled = $6,
       attempts = CASE WHEN period_end_at = $7 AND next_run_at = $8 THEN attempts ELSE 0 END,
       retry_channel_ids = CASE WHEN period_end_at = $7 AND next_run_at = $8 THEN retry_channel_ids END,
       period_end_at = $7, next_run_at = $8, updated_at = $9
     WHERE id = $1`,
    [id, s.period, s.format, s.tz, s.channel_ids, s.enabled, s.period_end_at, s.next_run_at, now],
  );
  return (await findSchedule(q, id))!;
};

export const deleteSchedule = async (q: Sql, id: string): Promise<boolean> =>
  (await q.query('DELETE FROM report_schedules WHERE id = $1 RETURNING id', [id])).length > 0;

/** Enabled schedules due at `now`, earliest first. */
export const findDueSchedules = (q: Sql, now: Date, limit: number): Promise<ScheduleRow[]> =>
  q.query<ScheduleRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE s.enabled AND s.next_run_at <= $1 ORDER BY s.next_run_at, s.id LIMIT $2`,
    [now, limit],
  );

export interface Claim {
  id: string;
  /** What the due query saw: the claim succeeds only if the row is still exactly so. */
  seenNextRunAt: Date;
  seenPeriodEndAt: Date;
  seenAttempts: number;
  periodStart: Date;
  /** The row moves on to this period before anything is sent. */
  nextPeriodEndAt: Date;
  nextRunAt: Date;
  now: Date;
}

/**
 * Takes a due schedule for this worker: one UPDATE that moves it on to the following period and marks
 * it `sending`, only if nobody changed it since it was seen. Under concurrent workers (PostgreSQL, READ
 * COMMITTED) the second UPDATE waits for the first and then finds next_run_at changed: false.
 */
export const claimSchedule = async (q: Sql, c: Claim): Promise<boolean> =>
  (
    await q.query(
      `UPDATE report_schedules
          SET period_end_at = $5, next_run_at = $6, attempts = 0, retry_channel_ids = NULL,
              last_run_at = $7, last_period_start = $8, last_period_end = $3, last_status = 'sending',
              last_error = NULL
        WHERE id = $1 AND enabled AND next_run_at = $2 AND period_end_at = $3 AND attempts = $4
        RETURNING id`,
      [
        c.id,
        c.seenNextRunAt,
        c.seenPeriodEndAt,
        c.seenAttempts,
        c.nextPeriodEndAt,
        c.nextRunAt,
        c.now,
        c.periodStart,
      ],
    )
  ).length > 0;

/** The send of a claimed period succeeded (to every channel still to be told). */
export const recordScheduleSent = (q: Sql, id: string, claimedAt: Date, reportId: string): Promise<unknown> =>
  q.query(
    `UPDATE report_schedules SET last_status = 'sent', last_error = NULL, last_report_id = $3
      WHERE id = $1 AND last_run_at = $2`,
    [id, claimedAt, reportId],
  );

export interface Failure {
  id: string;
  claimedAt: Date;
  error: string;
  reportId: string | null;
  /** Set: the claimed period goes back on the row, due at retryAt, for these channels (null: all). */
  retry?: {
    periodEndAt: Date;
    retryAt: Date;
    attempts: number;
    channelIds: string[] | null;
    /** What the claim set: the period is put back only if the row was not changed since. */
    claimedNextRunAt: Date;
    claimedNextPeriodEndAt: Date;
  };
}

/** A failed send: retried later (the claimed period put back on the row), or given up. */
export const recordScheduleFailure = async (q: Sql, f: Failure): Promise<'retrying' | 'failed'> => {
  if (f.retry) {
    const r = f.retry;
    const back = await q.query(
      `UPDATE report_schedules
          SET period_end_at = $3, next_run_at = $4, attempts = $5, retry_channel_ids = $6,
              last_status = 'retrying', last_error = $7, last_report_id = $8
        WHERE id = $1 AND last_run_at = $2 AND enabled AND next_run_at = $9 AND period_end_at = $10
        RETURNING id`,
      [
        f.id,
        f.claimedAt,
        r.periodEndAt,
        r.retryAt,
        r.attempts,
        r.channelIds,
        f.error,
        f.reportId,
        r.claimedNextRunAt,
        r.claimedNextPeriodEndAt,
      ],
    );
    if (back.length > 0) return 'retrying';
  }
  await q.query(
    `UPDATE report_schedules SET last_status = 'failed', last_error = $3, last_report_id = COALESCE($4, last_report_id)
      WHERE id = $1 AND last_run_at = $2`,
    [f.id, f.claimedAt, f.error, f.reportId],
  );
  return 'failed';
};

/**
 * Sends that never reported back (the process stopped between claim and outcome): marked
 * `interrupted`, never sent again automatically (the mail may have left). Returns how many.
 */
export const markInterruptedSchedules = async (q: Sql, before: Date, error: string): Promise<number> =>
  (
    await q.query(
      `UPDATE report_schedules SET last_status = 'interrupted', last_error = $2
        WHERE last_status = 'sending' AND last_run_at < $1 RETURNING id`,
      [before, error],
    )
  ).length;

export interface EmailChannel {
  id: string;
  target: string;
  type: string;
  is_active: boolean;
}

/** The customer's channels with these ids (null: every channel), whatever their type. */
export const channelsOf = (
  q: Sql,
  customerId: string,
  ids: readonly string[] | null,
): Promise<EmailChannel[]> =>
  q.query<EmailChannel>(
    `SELECT id, target, type, is_active FROM notification_channels
      WHERE customer_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2)) ORDER BY created_at, id`,
    [customerId, ids],
  );

/** The facility's customer and its zone (undefined: no such facility, or not the customer's). */
export const facilityOwner = async (
  q: Sql,
  facilityId: string,
  customerId?: string,
): Promise<{ customer_id: string; timezone: string } | undefined> =>
  (
    await q.query<{ customer_id: string; timezone: string }>(
      `SELECT f.customer_id, c.timezone FROM facilities f JOIN customers c ON c.id = f.customer_id
        WHERE f.id = $1 AND ($2::uuid IS NULL OR f.customer_id = $2)`,
      [facilityId, customerId ?? null],
    )
  )[0];
