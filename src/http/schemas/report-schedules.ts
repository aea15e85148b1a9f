import { Type } from 'typebox';
import { DateTime, Nullable, StringEnum, Uuid } from './common.ts';

// Scheduled facility reports (issue 12 item 3): /api/v1/report-schedules.

const Period = StringEnum(['weekly', 'monthly'] as const, {
  description: 'weekly: Monday 00:00 to Monday 00:00; monthly: the calendar month; both in tz',
});
const Format = StringEnum(['pdf', 'csv'] as const, { description: 'The attached report (default pdf)' });
const Tz = Type.String({
  minLength: 1,
  maxLength: 64,
  description: "IANA zone of the periods and the report's times (default: the customer's zone)",
});
const ChannelIds = Nullable(
  Type.Array(Uuid, {
    maxItems: 50,
    description: 'E-mail notification channels to send to; null: every active e-mail channel of the customer',
  }),
);
const Status = Nullable(
  StringEnum(['sending', 'sent', 'retrying', 'failed', 'interrupted'] as const, {
    description:
      'Of the last run: retrying (a failed send is tried again at next_run_at, up to 6 attempts), failed (given up), interrupted (the process stopped while sending; not sent again)',
  }),
);

export const ReportSchedule = Type.Object({
  id: Uuid,
  facility_id: Uuid,
  facility_code: Type.String(),
  facility_name: Nullable(Type.String()),
  period: Period,
  format: Format,
  tz: Type.String(),
  channel_ids: ChannelIds,
  enabled: Type.Boolean(),
  next_run_at: Nullable(DateTime),
  next_period_start: DateTime,
  next_period_end: DateTime,
  attempts: Type.Integer({ description: 'Failed attempts of the period due next' }),
  last_run_at: Nullable(DateTime),
  last_period_start: Nullable(DateTime),
  last_period_end: Nullable(DateTime),
  last_status: Status,
  last_error: Nullable(Type.String()),
  last_report_id: Nullable(Uuid),
  created_at: DateTime,
  updated_at: DateTime,
});

export const ReportScheduleCreate = Type.Object(
  {
    facility_id: Uuid,
    period: Period,
    format: Type.Optional(Format),
    tz: Type.Optional(Tz),
    channel_ids: Type.Optional(ChannelIds),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ReportScheduleUpdate = Type.Object(
  {
    period: Type.Optional(Period),
    format: Type.Optional(Format),
    tz: Type.Optional(Tz),
    channel_ids: Type.Optional(ChannelIds),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ReportScheduleQuery = Type.Object({
  facility_id: Type.Optional(Uuid),
});
