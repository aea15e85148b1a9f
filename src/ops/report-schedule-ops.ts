import { createMailer } from '../alarms/deliver-email.ts';
import { findCustomerByCode } from '../db/customers-repo.ts';
import { REPORT_PERIODS, type ReportPeriod } from '../domain/report-periods.ts';
import { createLogger } from '../lib/logger.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { resolveFacilityKey } from '../reports/lookup.ts';
import { runDueSchedules } from '../reports/schedule-runner.ts';
import { createSchedule, deleteSchedule, listSchedulesOf } from '../reports/schedules.ts';
import type { OpContext } from './ops.ts';

// `tms report schedules list|add|remove|run-due`: the operator's view of every customer's scheduled
// reports (the CLI is as trusted as an admin token); add and remove are audited as cli:<os user>.

type Op = (ctx: OpContext, args: Record<string, unknown>) => Promise<unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuid = (v: string, what: string): string => {
  if (!UUID.test(v)) throw new AppError('VALIDATION', `${what} '${v}' is not an id (UUID)`);
  return v;
};

export const REPORT_SCHEDULE_OPS: Record<string, Op> = {
  'report.schedules.list': async (ctx, args) => {
    const code = str(args.customer);
    const customer = code ? await findCustomerByCode(ctx.db, code) : undefined;
    if (code && !customer) throw notFound(`Customer '${code}'`);
    const facility = str(args.facility)
      ? await resolveFacilityKey(ctx, str(args.facility)!, code)
      : undefined;
    return listSchedulesOf(ctx, { customerId: customer?.id }, facility);
  },
  'report.schedules.add': async (ctx, args) => {
    const period = str(args.period);
    if (!REPORT_PERIODS.includes(period as ReportPeriod))
      throw new AppError('VALIDATION', '--period must be weekly or monthly');
    const format = str(args.format) ?? 'pdf';
    if (format !== 'pdf' && format !== 'csv') throw new AppError('VALIDATION', '--format must be pdf or csv');
    const facilityId = await resolveFacilityKey(ctx, String(args.facility ?? ''), str(args.customer));
    const channels = str(args.channels)
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean)
      .map((c) => uuid(c, '--channels:'));
    return createSchedule(
      ctx,
      {},
      {
        facility_id: facilityId,
        period: period as ReportPeriod,
        format,
        tz: str(args.tz),
        channel_ids: channels ?? null,
      },
    );
  },
  'report.schedules.remove': (ctx, args) => deleteSchedule(ctx, {}, uuid(String(args.id ?? ''), 'Schedule')),
  'report.schedules.run-due': async (ctx) => {
    // The notifier's SMTP settings; what went wrong is in the outcome and on each schedule's row.
    const mailer = createMailer(ctx.config.notify);
    try {
      return await runDueSchedules({
        db: ctx.db,
        clock: ctx.clock,
        log: createLogger('silent', false),
        mailer,
      });
    } finally {
      mailer.close();
    }
  },
};
