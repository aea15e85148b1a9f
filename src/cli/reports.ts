import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import { reportFileFacts, type ReportCheck } from '../reports/verify.ts';
import { printJson } from './output.ts';
import { registerReportScheduleCommands } from './report-schedules.ts';
import { runOp } from './run-op.ts';

// `tms report unit|facility|verify`: compliance reports of any customer's unit or facility written to
// a file, and the check of a report file against its record (ops/report-ops.ts, run here or inside
// `tms up`). Generating one is an audit entry as `cli:<os user>`.

interface Generated {
  report_id: string;
  data_sha256: string;
  file_sha256: string;
  file_name: string;
  bytes_base64: string;
}

interface GenerateOptions {
  from: string;
  to: string;
  tz?: string;
  format?: string;
  unit?: string;
  customer?: string;
  out: string;
  json?: boolean;
}

/** pdf or csv: --format, else the extension of --out, else pdf. */
const formatOf = (o: GenerateOptions): string => {
  if (o.format) return o.format;
  const ext = path.extname(o.out).slice(1).toLowerCase();
  return ext === 'csv' ? 'csv' : 'pdf';
};

const generate = async (op: 'report.unit' | 'report.facility', key: string, o: GenerateOptions) => {
  const r = await runOp<Generated>(loadConfig(), op, {
    key,
    customer: o.customer,
    from: o.from,
    to: o.to,
    tz: o.tz,
    unit: o.unit?.toUpperCase(),
    format: formatOf(o),
  });
  const bytes = Buffer.from(r.bytes_base64, 'base64');
  await writeFile(o.out, bytes);
  const { bytes_base64: _, ...facts } = r;
  if (o.json) return printJson({ ...facts, out: o.out, bytes: bytes.length });
  console.log(`Wrote ${o.out} (${bytes.length} bytes)`);
  console.log(`Report id    ${r.report_id}`);
  console.log(`Data SHA-256 ${r.data_sha256}`);
  console.log(`File SHA-256 ${r.file_sha256}`);
};

const withGenerateOptions = (c: Command): Command =>
  c
    .requiredOption('--from <iso>', 'start of the window, e.g. 2026-03-01 (without an offset: in --tz)')
    .requiredOption(
      '--to <iso>',
      'end of the window, exclusive, e.g. 2026-04-01 (at most 366 days after --from)',
    )
    .option('--tz <zone>', "IANA zone of the report's times (default: the customer's)")
    .option('--format <pdf|csv>', 'default: from the extension of --out, else pdf')
    .option('--unit <C|F>', 'temperatures in °C (default) or °F')
    .option('--customer <code>', 'the customer, when the code names units or facilities of several')
    .requiredOption('--out <file>', 'the file to write')
    .option('--json', 'print the report id and hashes as JSON');

/** `tms report unit|facility|verify`. */
export const registerReportCommands = (program: Command): void => {
  const report = program
    .command('report')
    .description('Compliance reports (PDF or CSV) of a unit or a facility, and the check of a report file');
  registerReportScheduleCommands(report);

  withGenerateOptions(
    report
      .command('unit <unit>')
      .description("A storage unit's report (the unit's id or code)")
      .addHelpText(
        'after',
        '\nExamples:\n  tms report unit unit_B_1_1 --from 2026-03-01 --to 2026-04-01 --out march.pdf\n  tms report unit 3f2a… --from 2026-03-01T00:00:00Z --to 2026-03-08T00:00:00Z --out week.csv',
      ),
  ).action((key: string, o: GenerateOptions) => generate('report.unit', key, o));

  withGenerateOptions(
    report
      .command('facility <facility>')
      .description("A facility's report: every unit, one section each (the facility's id or code)"),
  ).action((key: string, o: GenerateOptions) => generate('report.facility', key, o));

  report
    .command('verify <file>')
    .description(
      'Check a report file: exit 1 if it is a modified copy, or if the data it was made from changed since',
    )
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (e) {
        throw new AppError(
          'VALIDATION',
          `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        );
      }
      const facts = reportFileFacts(bytes);
      const r = await runOp<ReportCheck>(loadConfig(), 'report.verify', { ...facts });
      if (!r.ok) process.exitCode = 1;
      if (o.json) return printJson(r);
      console.log(r.message);
    });
};
