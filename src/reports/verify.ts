import { createHash } from 'node:crypto';
import { findGeneratedReport, unitDataHash } from '../db/reports-repo.ts';
import type { FeatureContext } from '../readings/context.ts';
import { combineDataHashes } from './model.ts';

// `tms report verify FILE`: is this file the report we generated, and is the data it was made from
// still what the database holds? The file names its report id and data hash (PDF: in its metadata;
// CSV: the header and the last line). (a) The file's SHA-256 must equal the file hash recorded when the
// report was generated, else it is a modified copy; (b) the data hash recomputed now over the same
// units and window must equal the recorded one, else the data changed since.

export type ReportProblem = 'not_a_report' | 'unknown_report' | 'modified_copy' | 'data_changed';

export interface ReportCheck {
  ok: boolean;
  reportId: string | null;
  format: 'pdf' | 'csv' | null;
  problem?: ReportProblem;
  message: string;
  fileSha256: string;
  /** What was recorded at generation (when the report id is known). */
  recorded?: { fileSha256: string; dataSha256: string; generatedAt: string; generatedBy: string };
  /** The data hash over the same units and window now. */
  dataSha256Now?: string;
  /** Units whose data hash differs from the one recorded. */
  changedUnits?: string[];
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const HEX64 = '[0-9a-f]{64}';

/** The one value all matches agree on, or null (none, or two different ones: not trustworthy). */
const single = (text: string, re: RegExp): string | null => {
  const found = new Set([...text.matchAll(re)].map((m) => m[1]!));
  return found.size === 1 ? [...found][0]! : null;
};

/** The report id and data hash a file names, and its format; nulls when it names none. */
export const readReportMarkers = (
  bytes: Buffer,
): { format: 'pdf' | 'csv'; reportId: string | null; dataSha256: string | null } => {
  const text = bytes.toString('latin1');
  if (text.startsWith('%PDF-'))
    return {
      format: 'pdf',
      reportId: single(text, new RegExp(`tms-report-id=(${UUID})`, 'g')),
      dataSha256: single(text, new RegExp(`tms-data-sha256=(${HEX64})`, 'g')),
    };
  return {
    format: 'csv',
    reportId: single(text, new RegExp(`^# report_id: (${UUID})\\r?$`, 'gm')),
    dataSha256: single(text, new RegExp(`^# data_sha256: (${HEX64})\\r?$`, 'gm')),
  };
};

/** What a file says about itself: the markers it names and the SHA-256 of its bytes. */
export interface ReportFileFacts {
  format: 'pdf' | 'csv' | null;
  reportId: string | null;
  dataSha256: string | null;
  fileSha256: string;
}

/** The facts of a file, read where the file is (the CLI), so only they travel to the database. */
export const reportFileFacts = (bytes: Buffer): ReportFileFacts => ({
  ...readReportMarkers(bytes),
  fileSha256: createHash('sha256').update(bytes).digest('hex'),
});

/** Checks a report file against its record and the database; never throws for a bad file. */
export const verifyReportFile = (ctx: FeatureContext, bytes: Buffer): Promise<ReportCheck> =>
  checkReportFacts(ctx, reportFileFacts(bytes));

/** Checks a file's facts (reportFileFacts) against the report's record and the database now. */
export const checkReportFacts = async (ctx: FeatureContext, facts: ReportFileFacts): Promise<ReportCheck> => {
  const { fileSha256 } = facts;
  // Facts may come over the control socket: only well-formed values are looked up.
  const markers = {
    format: facts.format,
    reportId: facts.reportId && new RegExp(`^${UUID}$`).test(facts.reportId) ? facts.reportId : null,
    dataSha256: facts.dataSha256 && new RegExp(`^${HEX64}$`).test(facts.dataSha256) ? facts.dataSha256 : null,
  };
  const base = { reportId: markers.reportId, format: markers.format, fileSha256 };
  if (!markers.reportId || !markers.dataSha256)
    return {
      ...base,
      ok: false,
      problem: 'not_a_report',
      message: 'Not a tms report: the file names no report id and data hash',
    };
  const row = await findGeneratedReport(ctx.db, markers.reportId);
  if (!row)
    return {
      ...base,
      ok: false,
      problem: 'unknown_report',
      message: `Report ${markers.reportId} is not on record in this database`,
    };
  const recorded = {
    fileSha256: row.file_sha256,
    dataSha256: row.data_sha256,
    generatedAt: row.generated_at.toISOString(),
    generatedBy: row.generated_by,
  };
  if (fileSha256 !== row.file_sha256 || markers.dataSha256 !== row.data_sha256)
    return {
      ...base,
      ok: false,
      problem: 'modified_copy',
      recorded,
      message: `Modified copy: the file's SHA-256 ${fileSha256} is not the ${row.file_sha256} recorded for report ${row.id}`,
    };
  const units: Array<{ unitId: string; sha256: string }> = [];
  for (const unitId of row.unit_ids)
    units.push({
      unitId,
      sha256: (await unitDataHash(ctx.db, unitId, row.range_start, row.range_end)).sha256,
    });
  const dataSha256Now = combineDataHashes(units);
  if (dataSha256Now !== row.data_sha256) {
    const before = new Map(
      (
        (row.figures.units ?? []) as Array<{
          storage_unit_id: string;
          unit_code: string;
          data_sha256: string;
        }>
      ).map((u) => [u.storage_unit_id, u]),
    );
    const changedUnits = units
      .filter((u) => before.get(u.unitId)?.data_sha256 !== u.sha256)
      .map((u) => before.get(u.unitId)?.unit_code ?? u.unitId);
    return {
      ...base,
      ok: false,
      problem: 'data_changed',
      recorded,
      dataSha256Now,
      changedUnits,
      message: `Data changed since report ${row.id} was generated: the readings of ${changedUnits.join(', ')} in its window hash to ${dataSha256Now}, not ${row.data_sha256}`,
    };
  }
  return {
    ...base,
    ok: true,
    recorded,
    dataSha256Now,
    message: `OK: report ${row.id} is unmodified (file SHA-256 ${fileSha256}) and its data is unchanged (data SHA-256 ${row.data_sha256})`,
  };
};
