import type { Static } from 'typebox';
import {
  renderFacilityReport,
  renderUnitReport,
  type ReportFormat,
  type RenderedReport,
} from '../../reports/reports.ts';
import { FacilityReportParams, ReportQuery, UnitReportParams } from '../schemas/reports.ts';
import { BEARER, tenantOf, type App, type RouteDeps } from './deps.ts';

/** Compliance reports (issue 12): a unit's or a facility's PDF or CSV over [start_date, end_date). */
export const registerReportRoutes = (app: App, { ctx }: RouteDeps): void => {
  const send = (
    reply: { header(k: string, v: string): unknown; send(b: Buffer): unknown },
    r: RenderedReport,
  ) => {
    reply.header('content-type', r.contentType);
    reply.header('content-disposition', `attachment; filename="${r.fileName}"`);
    reply.header('x-report-id', r.reportId);
    reply.header('x-data-sha256', r.dataSha256);
    reply.header('x-file-sha256', r.fileSha256);
    reply.header('cache-control', 'no-store');
    return reply.send(r.bytes);
  };
  const request = (
    q: Static<typeof ReportQuery>,
    format: ReportFormat,
    scope: ReturnType<typeof tenantOf>,
  ) => ({
    start: q.start_date,
    end: q.end_date,
    tz: q.tz,
    unit: q.unit,
    format,
    scope,
  });
  const description =
    "The window is [start_date, end_date), at most 366 days; dates without an offset are read in tz (default: the customer's zone). " +
    'The figures are those of GET /api/v1/analytics/compliance for the same window. Every generation is recorded with its report id, ' +
    'data hash and file hash (headers x-report-id, x-data-sha256, x-file-sha256) and is an audit entry; `tms report verify FILE` checks a copy.';
  for (const format of ['pdf', 'csv'] as const) {
    const produces = [format === 'pdf' ? 'application/pdf' : 'text/csv'];
    app.get(
      `/api/v1/reports/unit/:unit_id.${format}`,
      {
        // Up to a year of readings (CSV) and a PDF drawn in memory: limited per token.
        config: { scope: 'read' as const, heavy: true },
        schema: {
          tags: ['reports'],
          security: BEARER,
          summary: `A storage unit's compliance report as ${format.toUpperCase()}`,
          description,
          params: UnitReportParams,
          querystring: ReportQuery,
          produces,
        },
      },
      async (req, reply) =>
        send(
          reply,
          await renderUnitReport(ctx, req.params.unit_id, request(req.query, format, tenantOf(req))),
        ),
    );
    app.get(
      `/api/v1/reports/facility/:facility_id.${format}`,
      {
        config: { scope: 'read' as const, heavy: true },
        schema: {
          tags: ['reports'],
          security: BEARER,
          summary: `A facility's compliance report as ${format.toUpperCase()} (a token limited to some units: those units)`,
          description,
          params: FacilityReportParams,
          querystring: ReportQuery,
          produces,
        },
      },
      async (req, reply) =>
        send(
          reply,
          await renderFacilityReport(ctx, req.params.facility_id, request(req.query, format, tenantOf(req))),
        ),
    );
  }
};
