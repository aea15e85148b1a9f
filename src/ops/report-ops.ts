import { resolveFacilityKey, resolveUnitKey } from '../reports/lookup.ts';
import {
  renderFacilityReport,
  renderUnitReport,
  type RenderedReport,
  type ReportRequest,
} from '../reports/reports.ts';
import { checkReportFacts } from '../reports/verify.ts';
import { AppError } from '../lib/errors.ts';
import type { OpContext } from './ops.ts';

// `tms report unit|facility|verify`: the operator's reports of any customer (the CLI is as trusted
// as an admin token). The report travels back as base64; verify gets only what the CLI read from the
// file (its id, data hash and SHA-256), so a large file never crosses the control socket.

type Op = (ctx: OpContext, args: Record<string, unknown>) => Promise<unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const requestOf = (args: Record<string, unknown>): ReportRequest => {
  const format = str(args.format) ?? 'pdf';
  if (format !== 'pdf' && format !== 'csv') throw new AppError('VALIDATION', '--format must be pdf or csv');
  const unit = str(args.unit);
  if (unit !== undefined && unit !== 'C' && unit !== 'F')
    throw new AppError('VALIDATION', '--unit must be C or F');
  if (!str(args.from) || !str(args.to)) throw new AppError('VALIDATION', '--from and --to are required');
  return { start: str(args.from), end: str(args.to), tz: str(args.tz), unit, format };
};

const output = (r: RenderedReport) => ({
  report_id: r.reportId,
  data_sha256: r.dataSha256,
  file_sha256: r.fileSha256,
  file_name: r.fileName,
  content_type: r.contentType,
  summary: r.figures.summary,
  bytes_base64: r.bytes.toString('base64'),
});

export const REPORT_OPS: Record<string, Op> = {
  'report.unit': async (ctx, args) => {
    const req = requestOf(args);
    const id = await resolveUnitKey(ctx, String(args.key ?? ''), str(args.customer));
    return output(await renderUnitReport(ctx, id, req));
  },
  'report.facility': async (ctx, args) => {
    const req = requestOf(args);
    const id = await resolveFacilityKey(ctx, String(args.key ?? ''), str(args.customer));
    return output(await renderFacilityReport(ctx, id, req));
  },
  'report.verify': (ctx, args) =>
    checkReportFacts(ctx, {
      format: args.format === 'pdf' || args.format === 'csv' ? args.format : null,
      reportId: str(args.reportId) ?? null,
      dataSha256: str(args.dataSha256) ?? null,
      fileSha256: String(args.fileSha256 ?? ''),
    }),
};
