import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { formatTable, printJson } from './output.ts';
import { runOp } from './run-op.ts';

// `tms report schedules list|add|remove|run-due`: scheduled facility reports of any customer
// (ops/report-schedule-ops.ts, run here or inside `tms up`). The ingest role sends them by itself;
// run-due runs one pass of its due job now.

interface Schedule {
  id: string;
  facility_code: string;
  period: string;
  format: string;
  tz: string;
  channel_ids: string[] | null;
  enabled: boolean;
  next_run_at: string | null;
  next_period_start: string;
  next_period_end: string;
  last_status: string | null;
  last_error: string | null;
}

const print = (rows: Schedule[]) => {
  if (rows.length === 0) return console.log('No report schedules.');
  console.log(
    formatTable(
      ['ID', 'FACILITY', 'PERIOD', 'FORMAT', 'TZ', 'CHANNELS', 'NEXT RUN (UTC)', 'LAST STATUS'],
      rows.map((s) => [
        s.id,
        s.facility_code,
        s.period,
        s.format,
        s.tz,
        s.channel_ids ? s.channel_ids.length : 'all e-mail',
        s.enabled ? s.next_run_at : 'disabled',
        s.last_status ? `${s.last_status}${s.last_error ? `: ${s.last_error}` : ''}` : '',
      ]),
    ),
  );
};

/** Adds `schedules` under `tms report`. */
export const registerReportScheduleCommands = (report: Command): void => {
  const schedules = report
    .command('schedules')
    .description(
      "Scheduled facility reports e-mailed to the customer's e-mail channels (weekly: Monday to Monday; monthly: the calendar month)",
    );

  schedules
    .command('list')
    .description('Every schedule, its next run and the outcome of its last one')
    .option('--customer <code>', 'only this customer')
    .option('--facility <facility>', 'only this facility (id or code)')
    .option('--json', 'print JSON')
    .action(async (o: { customer?: string; facility?: string; json?: boolean }) => {
      const rows = await runOp<Schedule[]>(loadConfig(), 'report.schedules.list', { ...o });
      if (o.json) return printJson(rows);
      print(rows);
    });

  schedules
    .command('add <facility>')
    .description(
      "Schedule a facility's report (the facility's id or code); the first covers the period under way",
    )
    .requiredOption('--period <weekly|monthly>', 'weekly or monthly')
    .option('--format <pdf|csv>', 'the attached report (default pdf)')
    .option('--tz <zone>', "IANA zone of the periods (default: the customer's)")
    .option(
      '--channels <ids>',
      'comma-separated e-mail channel ids (default: every e-mail channel of the customer)',
    )
    .option('--customer <code>', 'the customer, when the facility code is used by several')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExample:\n  tms report schedules add facility_A_1 --period monthly --tz Europe/Berlin',
    )
    .action(
      async (
        facility: string,
        o: {
          period: string;
          format?: string;
          tz?: string;
          channels?: string;
          customer?: string;
          reason?: string;
          json?: boolean;
        },
      ) => {
        const s = await runOp<Schedule>(loadConfig(), 'report.schedules.add', { facility, ...o });
        if (o.json) return printJson(s);
        console.log(`Scheduled ${s.id}: ${s.period} ${s.format} report of ${s.facility_code}`);
        console.log(`First period ${s.next_period_start} to ${s.next_period_end}, sent at ${s.next_run_at}`);
      },
    );

  schedules
    .command('remove <id>')
    .description('Delete a schedule')
    .requiredOption('--reason <text>', 'why (required; kept in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { reason: string; json?: boolean }) => {
      const s = await runOp<Schedule>(loadConfig(), 'report.schedules.remove', { id, reason: o.reason });
      if (o.json) return printJson(s);
      console.log(`Removed ${s.id} (${s.period} report of ${s.facility_code})`);
    });

  schedules
    .command('run-due')
    .description(
      'Send the reports that are due now (what the ingest role does every minute; safe beside it: a period is sent once)',
    )
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await runOp<Record<string, number>>(loadConfig(), 'report.schedules.run-due', {});
      if (o.json) return printJson(r);
      console.log(
        `claimed ${r.claimed}, sent ${r.sent}, retrying ${r.retrying}, failed ${r.failed}, interrupted ${r.interrupted}`,
      );
    });
};
