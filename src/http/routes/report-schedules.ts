import { Type } from 'typebox';
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedulesOf,
  updateSchedule,
} from '../../reports/schedules.ts';
import { IdParams } from '../schemas/common.ts';
import {
  ReportSchedule,
  ReportScheduleCreate,
  ReportScheduleQuery,
  ReportScheduleUpdate,
} from '../schemas/report-schedules.ts';
import { BEARER, tenantOf, type App, type RouteDeps } from './deps.ts';

const WHOLE_CUSTOMER = 'tokens limited to some units: 403';

/** Scheduled facility reports e-mailed to the customer's e-mail channels (issue 12 item 3). */
export const registerReportScheduleRoutes = (app: App, { ctx }: RouteDeps): void => {
  const tags = ['reports'];
  const read = { scope: 'read' as const };
  const write = { scope: 'write' as const };
  const caller = (req: Parameters<typeof tenantOf>[0]) => {
    const t = tenantOf(req);
    return { customerId: t.customerId, accessibleUnits: t.unitIds };
  };
  const description =
    "The ingest role sends each schedule's report shortly after its period ends (an hour's grace for late readings): the facility's PDF (or CSV) of the last full week or month, " +
    'one e-mail per channel, through the SMTP server of the notifications (SMTP_URL). At most once per period and channel; a failed send is retried (last_status retrying, next_run_at) up to 6 times. ' +
    'Each report is in the audit trail as system:scheduled-report.';
  const id = IdParams('schedule_id');

  app.get(
    '/api/v1/report-schedules',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: "The customer's report schedules (a token limited to some units: its facilities')",
        description,
        querystring: ReportScheduleQuery,
        response: { 200: Type.Array(ReportSchedule) },
      },
    },
    async (req) => listSchedulesOf(ctx, caller(req), req.query.facility_id),
  );
  app.get(
    '/api/v1/report-schedules/:schedule_id',
    {
      config: read,
      schema: {
        tags,
        security: BEARER,
        summary: 'One report schedule',
        params: id,
        response: { 200: ReportSchedule },
      },
    },
    async (req) => getSchedule(ctx, caller(req), req.params.schedule_id),
  );
  app.post(
    '/api/v1/report-schedules',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: `Schedule a facility's weekly or monthly report by e-mail; the first covers the period under way; ${WHOLE_CUSTOMER}`,
        description,
        body: ReportScheduleCreate,
        response: { 201: ReportSchedule },
      },
    },
    async (req, reply) => reply.status(201).send(await createSchedule(ctx, caller(req), req.body)),
  );
  for (const method of ['put', 'patch'] as const)
    app[method](
      '/api/v1/report-schedules/:schedule_id',
      {
        config: write,
        schema: {
          tags,
          security: BEARER,
          summary: `Change a schedule (omitted fields unchanged; a new period or zone, or enabling it, restarts its timetable from now); ${WHOLE_CUSTOMER}`,
          params: id,
          body: ReportScheduleUpdate,
          response: { 200: ReportSchedule },
        },
      },
      async (req) => updateSchedule(ctx, caller(req), req.params.schedule_id, req.body),
    );
  app.delete(
    '/api/v1/report-schedules/:schedule_id',
    {
      config: write,
      schema: {
        tags,
        security: BEARER,
        summary: `Delete a schedule and return it; needs a reason (?reason=); ${WHOLE_CUSTOMER}`,
        params: id,
        response: { 200: ReportSchedule },
      },
    },
    async (req) => deleteSchedule(ctx, caller(req), req.params.schedule_id),
  );
};
