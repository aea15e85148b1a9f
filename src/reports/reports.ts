import { createHash, randomUUID } from 'node:crypto';
import { currentAuditScope, type AuditActor } from '../audit/context.ts';
import { recordAudit } from '../audit/record.ts';
import {
  findReportFacility,
  insertGeneratedReport,
  reportUnits,
  type ReportUnitRow,
} from '../db/reports-repo.ts';
import { parseSourceTimestamp } from '../domain/time.ts';
import { toCelsius, type TemperatureUnit } from '../domain/units.ts';
import { assertFacility, assertUnit } from '../fleet/fleet.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { complianceReport } from '../readings/compliance.ts';
import type { FeatureContext } from '../readings/context.ts';
import { checkTimeZone } from '../readings/time.ts';
import { renderCsv } from './csv.ts';
import { localText } from './format.ts';
import {
  combineDataHashes,
  summaryOf,
  unitDataHashes,
  unitSection,
  type ReportModel,
  type UnitSection,
} from './model.ts';
import { renderPdf } from './pdf.ts';

// Compliance reports of a unit or a facility over [start, end) (issue 12): PDF or CSV, each generation
// recorded (generated_reports) with one audit entry in the same transaction. Transport-free: the API,
// the CLI (ops/report-ops.ts) and the scheduled e-mails call renderUnitReport / renderFacilityReport.

export type ReportFormat = 'pdf' | 'csv';
export type ReportKind = 'unit' | 'facility';

/** Longest window of one report: a year (the CSV lists every reading). */
export const MAX_REPORT_DAYS = 366;
const DAY_MS = 86_400_000;

export interface ReportRequest {
  /**
   * An instant, or an ISO 8601 text; a text without an offset (`2026-03-01`) is read in the report's
   * zone. Required: undefined is a 422, after the scope's 404 (the API checks ownership first).
   */
  start: Date | string | undefined;
  end: Date | string | undefined;
  /** IANA zone of the report's times; default the customer's zone. */
  tz?: string;
  /** Temperatures of the PDF in °C (default) or °F; the CSV adds a °F column for F. */
  unit?: TemperatureUnit;
  format: ReportFormat;
  /** The caller's customer and units (API tokens); absent for the operator (CLI) and the system. */
  scope?: { customerId?: string; unitIds?: readonly string[] };
  /** Who generates it; default the current audit scope's actor (the token, cli:<user>). Schedulers pass theirs. */
  actor?: AuditActor;
}

export interface RenderedReport {
  bytes: Buffer;
  reportId: string;
  dataSha256: string;
  fileSha256: string;
  figures: ReportFigures;
  /** A file name for Content-Disposition and --out defaults, e.g. tms-report-F1-U01-2026-03-01-2026-04-01.pdf. */
  fileName: string;
  contentType: string;
}

/** What generated_reports.figures keeps: the summary, each unit's figures and data hash. */
export interface ReportFigures {
  summary: ReturnType<typeof summaryOf>;
  units: Array<{
    storage_unit_id: string;
    unit_code: string;
    data_sha256: string;
    readings: number;
    alarms: number;
    gaps: number;
    figures: ReturnType<typeof summaryOf>;
  }>;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const instantOf = (v: Date | string | undefined, name: string, tz: string): Date => {
  if (v instanceof Date) return v;
  if (v === undefined || v.trim() === '')
    throw new AppError('VALIDATION', `${name} is required (ISO 8601; without an offset it is read in tz)`);
  const ms = parseSourceTimestamp(v, tz);
  if (ms === undefined) throw new AppError('VALIDATION', `${name} is not an ISO 8601 date or date-time`);
  return new Date(ms);
};

/** The window and zone of a request, checked: start before end, at most MAX_REPORT_DAYS, a known zone. */
export const reportWindow = (
  req: Pick<ReportRequest, 'start' | 'end' | 'tz'>,
  customerZone: string,
): { start: Date; end: Date; tz: string } => {
  const tz = checkTimeZone(req.tz ?? customerZone);
  const start = instantOf(req.start, 'start_date', tz);
  const end = instantOf(req.end, 'end_date', tz);
  if (start.getTime() >= end.getTime())
    throw new AppError('VALIDATION', 'start_date must be before end_date');
  if (end.getTime() - start.getTime() > MAX_REPORT_DAYS * DAY_MS)
    throw new AppError(
      'VALIDATION',
      `A report covers at most ${MAX_REPORT_DAYS} days; narrow start_date/end_date`,
    );
  return { start, end, tz };
};

const fileSafe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);

const localDate = (d: Date, tz: string): string => localText(d.getTime(), tz).slice(0, 10);

interface Subject {
  kind: ReportKind;
  entityId: string;
  customer: { id: string; code: string; name: string; timezone: string };
  facility: { id: string; code: string; name: string | null };
  units: ReportUnitRow[];
  /** For the file name. */
  label: string;
}

const generate = async (
  ctx: FeatureContext,
  subject: Subject,
  req: ReportRequest,
): Promise<RenderedReport> => {
  const { start, end, tz } = reportWindow(req, subject.customer.timezone);
  const unit: TemperatureUnit = req.unit ?? 'C';
  const actor = req.actor ?? currentAuditScope().actor;
  const reportId = randomUUID();
  const generatedAt = ctx.clock.now();

  const hashing = unitDataHashes(
    ctx,
    subject.units.map((u) => u.id),
    start,
    end,
  );
  // The same figures as GET /analytics/compliance for this window and these units.
  const compliance = await complianceReport(
    ctx,
    subject.kind === 'unit'
      ? { customerId: subject.customer.id, unitId: subject.entityId }
      : { customerId: subject.customer.id, facilityId: subject.entityId, unitIds: req.scope?.unitIds },
    { start, end },
  );
  const byId = new Map(compliance.units.map((u) => [u.storage_unit_id, u]));
  const parts: Array<Omit<UnitSection, 'dataSha256' | 'readings'>> = [];
  // One unit after the other, as the compliance figures do: a facility should not take the whole pool.
  for (const u of subject.units) {
    const figures = byId.get(u.id);
    if (!figures) continue;
    parts.push(
      await unitSection(ctx, u, figures, toCelsius(u.set_temperature, u.temperature_unit), start, end),
    );
  }
  const hashes = await hashing;
  const sections: UnitSection[] = parts.map((p) => {
    const h = hashes.get(p.unit.id)!;
    return { ...p, dataSha256: h.sha256, readings: h.readings };
  });
  const dataSha256 = combineDataHashes(sections.map((s) => ({ unitId: s.unit.id, sha256: s.dataSha256 })));
  const model: ReportModel = {
    reportId,
    kind: subject.kind,
    entityId: subject.entityId,
    customer: subject.customer,
    facility: subject.facility,
    start,
    end,
    tz,
    temperatureUnit: unit,
    generatedAt,
    generatedBy: actor.name,
    summary: summaryOf(compliance),
    basisNote: compliance.note,
    approximate: compliance.approximate,
    sections,
    dataSha256,
  };
  const bytes = req.format === 'pdf' ? await renderPdf(model) : await renderCsv(ctx, model);
  const fileSha256 = sha256(bytes);
  const figures: ReportFigures = {
    summary: model.summary,
    units: sections.map((s) => ({
      storage_unit_id: s.unit.id,
      unit_code: s.unit.unit_code,
      data_sha256: s.dataSha256,
      readings: s.readings,
      alarms: s.alarms.length,
      gaps: s.gaps.total,
      figures: summaryOf(s.figures),
    })),
  };
  await ctx.db.transaction(async (tx) => {
    await insertGeneratedReport(tx, {
      id: reportId,
      customer_id: subject.customer.id,
      kind: subject.kind,
      entity_id: subject.entityId,
      unit_ids: sections.map((s) => s.unit.id),
      format: req.format,
      range_start: start,
      range_end: end,
      tz,
      temperature_unit: unit,
      generated_at: generatedAt,
      generated_by: actor.name,
      data_sha256: dataSha256,
      file_sha256: fileSha256,
      figures: figures as unknown as Record<string, unknown>,
    });
    await recordAudit(tx, {
      entityType: 'report',
      entityId: reportId,
      customerId: subject.customer.id,
      action: 'generate',
      actor,
      details: {
        kind: subject.kind,
        entity_id: subject.entityId,
        range: { start: start.toISOString(), end: end.toISOString() },
        tz,
        format: req.format,
        data_sha256: dataSha256,
        file_sha256: fileSha256,
      },
    });
  });
  const fileName = `tms-report-${fileSafe(subject.label)}-${localDate(start, tz)}-${localDate(new Date(end.getTime() - 1), tz)}.${req.format}`;
  return {
    bytes,
    reportId,
    dataSha256,
    fileSha256,
    figures,
    fileName,
    contentType: req.format === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8',
  };
};

/**
 * The report of one storage unit. 404 when the unit is not in `req.scope`.
 * @throws AppError VALIDATION for a bad window or zone, NOT_FOUND for a unit outside the scope.
 */
export const renderUnitReport = async (
  ctx: FeatureContext,
  unitId: string,
  req: ReportRequest,
): Promise<RenderedReport> => {
  await assertUnit(ctx, unitId, req.scope ?? {});
  const [u] = await reportUnits(ctx.db, { unitId });
  if (!u) throw notFound('Storage unit');
  return generate(
    ctx,
    {
      kind: 'unit',
      entityId: u.id,
      customer: {
        id: u.customer_id,
        code: u.customer_code,
        name: u.customer_name,
        timezone: u.customer_timezone,
      },
      facility: { id: u.facility_id, code: u.facility_code, name: u.facility_name },
      units: [u],
      label: `${u.facility_code}-${u.unit_code}`,
    },
    req,
  );
};

/**
 * The report of a facility: every unit of it (a token limited to some units: only those), a summary
 * table and one section per unit. 404 when the facility is not in `req.scope`.
 */
export const renderFacilityReport = async (
  ctx: FeatureContext,
  facilityId: string,
  req: ReportRequest,
): Promise<RenderedReport> => {
  await assertFacility(ctx, facilityId, req.scope ?? {});
  const f = await findReportFacility(ctx.db, facilityId);
  if (!f) throw notFound('Facility');
  const units = await reportUnits(ctx.db, { facilityId }, req.scope?.unitIds);
  return generate(
    ctx,
    {
      kind: 'facility',
      entityId: f.id,
      customer: {
        id: f.customer_id,
        code: f.customer_code,
        name: f.customer_name,
        timezone: f.customer_timezone,
      },
      facility: { id: f.id, code: f.facility_code, name: f.name },
      units,
      label: f.facility_code,
    },
    req,
  );
};
