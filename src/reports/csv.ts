import { reportReadingsPage } from '../db/reports-repo.ts';
import type { ComplianceFigures } from '../domain/compliance.ts';
import { celsiusTo } from '../domain/units.ts';
import type { FeatureContext } from '../readings/context.ts';
import { csvText } from '../readings/export.ts';
import { isoLocal, offsetCache } from './format.ts';
import type { ReportModel, UnitSection } from './model.ts';

// The CSV report: a header block of '#' comment lines (who, what, when, the figures), every reading of
// the window, and a trailing `# data_sha256: …` line. The readings' unit_id, recorded_at_utc and
// temperature_c are the exact texts the data hash is made of, so the hash can be recomputed from the
// file alone (the recipe is in the header). `tms report verify` reads report_id and data_sha256 back.

const PAGE_ROWS = 5000;

/** One comment line; line breaks in names would end the comment, so they become spaces. */
const comment = (key: string, value: string | number | null): string =>
  `# ${key}: ${String(value ?? '').replace(/[\r\n]+/g, ' ')}\r\n`;

const FIGURE_KEYS: ReadonlyArray<keyof ComplianceFigures> = [
  'mkt_c',
  'mean_c',
  'min_c',
  'max_c',
  'time_in_range_pct',
  'time_in_range_minutes',
  'monitored_minutes',
  'excursions',
  'excursion_minutes',
  'degree_minutes',
  'readings',
  'expected_readings',
  'completeness_pct',
  'longest_gap_minutes',
];

const figureLine = (f: ComplianceFigures): string => FIGURE_KEYS.map((k) => `${k}=${f[k] ?? ''}`).join(' ');

const unitName = (s: UnitSection): string =>
  `${s.unit.name ?? s.unit.unit_code} (${s.unit.unit_code}) ${s.unit.id}`;

const headerBlock = (m: ReportModel): string => {
  const local = offsetCache(m.tz);
  const at = (d: Date) => `${isoLocal(d.getTime(), local(d.getTime()))} (${d.toISOString()})`;
  let out =
    '# Temperature compliance report (tms)\r\n' +
    comment('report_id', m.reportId) +
    comment('kind', m.kind) +
    comment('customer', `${m.customer.name} (${m.customer.code})`) +
    comment('facility', `${m.facility.name ?? m.facility.code} (${m.facility.code}) ${m.facility.id}`);
  for (const s of m.sections) out += comment('unit', unitName(s));
  out +=
    comment('range_start', at(m.start)) +
    comment('range_end', `${at(m.end)}, exclusive`) +
    comment('time_zone', m.tz) +
    comment('generated_at', at(m.generatedAt)) +
    comment('generated_by', m.generatedBy) +
    comment('figures', figureLine(m.summary)) +
    comment('basis', m.basisNote);
  if (m.kind === 'facility')
    for (const s of m.sections) out += comment(`figures ${s.unit.unit_code}`, figureLine(s.figures));
  for (const s of m.sections)
    out += comment(
      `limits ${s.unit.unit_code}`,
      `low_c=${s.figures.limits.low_c} high_c=${s.figures.limits.high_c} set_c=${Math.round(s.setC * 1000) / 1000} alarms=${s.alarms.length} gaps=${s.gaps.total}`,
    );
  out += comment(
    'data_sha256 recipe',
    'per unit, SHA-256 (hex) of the lines "<unit_id>,<recorded_at_utc>,<temperature_c>\\n" of its readings by recorded_at; ' +
      'data_sha256 = SHA-256 (hex) of the lines "<unit_id>,<unit hash>\\n" by unit_id',
  );
  return out;
};

/** The report as CSV bytes (UTF-8, CRLF lines). */
export const renderCsv = async (ctx: FeatureContext, m: ReportModel): Promise<Buffer> => {
  const withF = m.temperatureUnit === 'F';
  const parts: string[] = [headerBlock(m)];
  parts.push(
    [
      'unit_id',
      'unit_code',
      'recorded_at_local',
      'recorded_at_utc',
      'temperature_c',
      ...(withF ? ['temperature_f'] : []),
      'quality_score',
      'equipment_status',
    ].join(',') + '\r\n',
  );
  const local = offsetCache(m.tz);
  for (const s of m.sections) {
    const code = csvText(s.unit.unit_code);
    let after: number | null = null;
    for (;;) {
      const rows = await reportReadingsPage(ctx.db, s.unit.id, m.start, m.end, after, PAGE_ROWS);
      let chunk = '';
      for (const r of rows) {
        chunk +=
          [
            r.storage_unit_id,
            code,
            isoLocal(r.t, local(r.t)),
            r.utc,
            r.c_text,
            ...(withF ? [r.temperature_c === null ? '' : String(celsiusTo(r.temperature_c, 'F'))] : []),
            String(r.quality_score),
            csvText(r.equipment_status),
          ].join(',') + '\r\n';
      }
      parts.push(chunk);
      if (rows.length < PAGE_ROWS) break;
      after = rows[rows.length - 1]!.t;
    }
  }
  parts.push(`# data_sha256: ${m.dataSha256}\r\n`);
  return Buffer.from(parts.join(''), 'utf8');
};
