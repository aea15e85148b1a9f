import { setTimeout as sleep } from 'node:timers/promises';
import { createMailer, type Mailer } from '../alarms/deliver-email.ts';
import { runAs, systemActor } from '../audit/context.ts';
import * as repo from '../db/report-schedules-repo.ts';
import type { ScheduleRow } from '../db/report-schedules-repo.ts';
import type { Db } from '../db/types.ts';
import { shiftBoundary } from '../domain/report-periods.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { localText } from './format.ts';
import { renderFacilityReport, type RenderedReport } from './reports.ts';
import { REPORT_GRACE_MS } from './schedules.ts';

// The due job of scheduled reports (ingest role, every minute). For each due schedule it claims the
// period (one UPDATE that moves the row on to the next period, so one worker of many gets it), makes
// the facility's report as system:scheduled-report and e-mails it, one message per channel, through
// the notifier's SMTP settings (SMTP_URL, TMS_MAIL_FROM).
//
// Delivery is AT MOST ONCE per period and channel. The claim commits before anything is sent, so a
// process that stops between claim and outcome leaves the row marked `sending`; after
// INTERRUPTED_AFTER_MS a later tick marks it `interrupted` and it is not sent again (the mail may have
// left). A send that fails and says so (SMTP refused or unreachable, report failed) is retried for the
// channels that failed, after 1, 2, 4, 8 and 16 minutes; then `failed` with the last error. Each
// retry makes the report again (another generated_reports row and audit entry); the messages of one
// period and channel carry the same Message-ID, so a receiver can drop a copy.

export const SCHEDULE_JOB = 'scheduled-report';
/** Attempts of one period before it is given up. */
export const MAX_SCHEDULE_ATTEMPTS = 6;
const RETRY_BASE_MS = 60_000;
/** A `sending` mark older than this belongs to a process that stopped before recording the outcome. */
export const INTERRUPTED_AFTER_MS = 30 * 60_000;
/** Schedules taken per pass (the rest wait for the next pass, a minute later at most). */
const BATCH = 20;

export interface ScheduleRunnerDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  mailer: Mailer;
}

export interface DueOutcome {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
  interrupted: number;
}

const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

const day = (ms: number, tz: string) => localText(ms, tz).slice(0, 10);

/** `May 2026` or `2026-06-01 to 2026-06-07` (the last day of the week, inclusive). */
export const periodLabel = (s: Pick<ScheduleRow, 'period' | 'tz'>, start: number, end: number): string =>
  s.period === 'monthly'
    ? MONTH.format(new Date(Date.parse(`${day(start, s.tz)}T12:00:00Z`)))
    : `${day(start, s.tz)} to ${day(end - 1, s.tz)}`;

const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const messageOf = (s: ScheduleRow, r: RenderedReport, start: number, end: number) => {
  const facility = s.facility_name ? `${s.facility_name} (${s.facility_code})` : s.facility_code;
  const label = periodLabel(s, start, end);
  const lines = [
    `The ${s.period} temperature report of ${facility} for ${label} is attached (${r.fileName}).`,
    '',
    `Period:       ${localText(start, s.tz)} to ${localText(end, s.tz)} (${s.tz})`,
    `Report id:    ${r.reportId}`,
    `Data SHA-256: ${r.dataSha256}`,
    `File SHA-256: ${r.fileSha256}`,
    '',
    'Check a copy with `tms report verify FILE`. This schedule is managed under /api/v1/report-schedules.',
  ];
  const text = lines.join('\n');
  return {
    subject: `${s.period === 'monthly' ? 'Monthly' : 'Weekly'} temperature report: ${facility}, ${label}`,
    text,
    html: `<pre>${escapeHtml(text)}</pre>`,
  };
};

/** Why a send failed, on one line. */
const reasonOf = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 500);

/** Makes and sends one claimed period; returns the outcome it recorded. */
const sendPeriod = async (
  deps: ScheduleRunnerDeps,
  s: ScheduleRow,
  claim: repo.Claim,
): Promise<'sent' | 'retrying' | 'failed'> => {
  const { db, log } = deps;
  const start = claim.periodStart.getTime();
  const end = claim.seenPeriodEndAt.getTime();
  const attempt = claim.seenAttempts + 1;
  let report: RenderedReport | undefined;
  let failed: string[] | null = null;
  let error: string;
  try {
    const channels = (await repo.channelsOf(db, s.customer_id, s.channel_ids)).filter(
      (c) =>
        c.type === 'email' && c.is_active && (!s.retry_channel_ids || s.retry_channel_ids.includes(c.id)),
    );
    if (channels.length === 0) {
      // Nothing to retry for: the customer must add or activate an e-mail channel.
      await repo.recordScheduleFailure(db, {
        id: s.id,
        claimedAt: claim.now,
        error: 'no active e-mail channel to send the report to',
        reportId: null,
      });
      return 'failed';
    }
    report = await runAs({ actor: systemActor(SCHEDULE_JOB) }, () =>
      renderFacilityReport({ db, clock: deps.clock }, s.facility_id, {
        start: claim.periodStart,
        end: claim.seenPeriodEndAt,
        tz: s.tz,
        format: s.format,
        scope: { customerId: s.customer_id },
        actor: systemActor(SCHEDULE_JOB),
      }),
    );
    const message = messageOf(s, report, start, end);
    const attachment = { filename: report.fileName, content: report.bytes, contentType: report.contentType };
    const errors: string[] = [];
    failed = [];
    for (const c of channels) {
      try {
        await deps.mailer.send(
          c.target,
          message,
          `report:${s.id}:${claim.seenPeriodEndAt.toISOString()}:${c.id}`,
          [attachment],
        );
      } catch (e) {
        failed.push(c.id);
        errors.push(`${c.target}: ${reasonOf(e)}`);
      }
    }
    if (failed.length === 0) {
      await repo.recordScheduleSent(db, s.id, claim.now, report.reportId);
      log.info(
        { scheduleId: s.id, reportId: report.reportId, channels: channels.length },
        'scheduled report sent',
      );
      return 'sent';
    }
    error = errors.join('; ');
  } catch (e) {
    error = `report failed: ${reasonOf(e)}`;
    failed = s.retry_channel_ids;
  }
  const retry =
    attempt < MAX_SCHEDULE_ATTEMPTS
      ? {
          periodEndAt: claim.seenPeriodEndAt,
          retryAt: new Date(claim.now.getTime() + RETRY_BASE_MS * 2 ** (attempt - 1)),
          attempts: attempt,
          channelIds: failed,
          claimedNextRunAt: claim.nextRunAt,
          claimedNextPeriodEndAt: claim.nextPeriodEndAt,
        }
      : undefined;
  const outcome = await repo.recordScheduleFailure(db, {
    id: s.id,
    claimedAt: claim.now,
    error: retry ? `attempt ${attempt}: ${error}` : `gave up after ${attempt} attempts: ${error}`,
    reportId: report?.reportId ?? null,
    retry,
  });
  log.warn({ scheduleId: s.id, attempt, outcome, error }, 'scheduled report not sent');
  return outcome;
};

/**
 * One pass of the due job: claims every due schedule this worker can get and sends its report.
 * Safe to run in several processes at once; a schedule's period is claimed by one of them.
 */
export const runDueSchedules = async (deps: ScheduleRunnerDeps): Promise<DueOutcome> => {
  const { db } = deps;
  const now = deps.clock.now();
  const out: DueOutcome = { claimed: 0, sent: 0, retrying: 0, failed: 0, interrupted: 0 };
  out.interrupted = await repo.markInterruptedSchedules(
    db,
    new Date(now.getTime() - INTERRUPTED_AFTER_MS),
    'the process stopped while sending; not sent again, so that no one gets it twice (run `tms report facility` for this period if needed)',
  );
  for (const s of await repo.findDueSchedules(db, now, BATCH)) {
    const periodEnd = s.period_end_at.getTime();
    const nextEnd = shiftBoundary(periodEnd, s.period, s.tz, 1);
    const claim: repo.Claim = {
      id: s.id,
      seenNextRunAt: s.next_run_at,
      seenPeriodEndAt: s.period_end_at,
      seenAttempts: s.attempts,
      periodStart: new Date(shiftBoundary(periodEnd, s.period, s.tz, -1)),
      nextPeriodEndAt: new Date(nextEnd),
      nextRunAt: new Date(nextEnd + REPORT_GRACE_MS),
      now,
    };
    if (!(await repo.claimSchedule(db, claim))) continue;
    out.claimed++;
    out[await sendPeriod(deps, s, claim)]++;
  }
  return out;
};

export interface ReportScheduler {
  /** Runs a pass now (the loop also runs one every tickMs). */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Starts the due job in this ingest process: a pass shortly after start, then every `tickMs`
 * (default a minute). Errors are logged; they never end the loop.
 */
export const startReportScheduler = (deps: {
  db: Db;
  clock: Clock;
  log: Logger;
  settings: { smtpUrl: string | undefined; mailFrom: string };
  tickMs?: number;
}): ReportScheduler => {
  const log = deps.log.child({ module: 'report-schedules' });
  const mailer = createMailer(deps.settings);
  const tickMs = deps.tickMs ?? 60_000;
  let stopped = false;
  let interrupt = new AbortController();
  const loop = (async () => {
    await sleep(5_000, undefined, { signal: interrupt.signal }).catch(() => undefined);
    while (!stopped) {
      interrupt = new AbortController();
      try {
        const r = await runDueSchedules({ db: deps.db, clock: deps.clock, log, mailer });
        if (r.claimed + r.interrupted > 0) log.info(r, 'scheduled reports');
      } catch (e) {
        log.error({ err: e }, 'scheduled reports pass failed; retrying next minute');
      }
      if (stopped) break;
      await sleep(tickMs, undefined, { signal: interrupt.signal }).catch(() => undefined);
    }
  })();
  return {
    wake: () => interrupt.abort(),
    stop: async () => {
      stopped = true;
      interrupt.abort();
      await loop;
      mailer.close();
    },
  };
};
