import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import { formatTable, printJson } from './output.ts';
import { runOp } from './run-op.ts';

// `tms alarms …`: review alarms from a terminal, across every customer (the operator's view). Each
// command is an operation of ops/alarm-ops.ts, run here or inside `tms up`.

interface AlarmLine {
  id: string;
  state: string;
  severity: string;
  kind: string;
  customer_code: string;
  unit_code: string | null;
  facility_code: string | null;
  started_at: string;
  cleared_at: string | null;
  acknowledged_by: string | null;
  peak_temperature: number | null;
  threshold: number | null;
  temperature_unit: string;
  late: boolean;
}

interface AlarmShown extends AlarmLine {
  confirmed_at: string;
  detected_at: string;
  acknowledged_at: string | null;
  comment: string | null;
  shelved_until: string | null;
  shelved_reason: string | null;
  duration_seconds: number;
  min_temperature: number | null;
  max_temperature: number | null;
  mean_temperature: number | null;
  time_beyond_seconds: number;
  degree_minutes: number;
  reading_count: number;
  failed_reads: number;
  events: Array<{ type: string; at: string; [k: string]: unknown }>;
}

interface RuleLine {
  id: string;
  kind: string;
  severity: string;
  threshold: number | null;
  delay_seconds: number;
  deadband: number;
  cumulative_seconds: number | null;
  window_seconds: number | null;
  enabled: boolean;
}

interface UnitRules {
  storage_unit_id: string;
  temperature_unit: string;
  source: string;
  rules: RuleLine[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const checkId = (what: string, id: string): string => {
  if (!UUID.test(id)) throw new AppError('VALIDATION', `${what} '${id}' is not a UUID`);
  return id;
};

const when = (v: string | null | undefined): string => (v ? v.replace(/\.\d{3}Z$/, 'Z') : '-');
const temp = (v: number | null, unit: string): string => (v === null ? '-' : `${v} °${unit}`);

const printAlarm = (a: AlarmShown): void => {
  const where = [a.customer_code, a.facility_code, a.unit_code].filter(Boolean).join(' / ');
  const lines: Array<[string, string]> = [
    ['Alarm', a.id],
    ['Where', where],
    ['Kind', `${a.kind} (${a.severity})`],
    ['State', a.state],
    ['Started', when(a.started_at)],
    ['Confirmed', when(a.confirmed_at)],
    ['Detected', `${when(a.detected_at)}${a.late ? ' (late)' : ''}`],
    ['Cleared', when(a.cleared_at)],
    ['Threshold', temp(a.threshold, a.temperature_unit)],
    ['Peak', temp(a.peak_temperature, a.temperature_unit)],
    [
      'Min / mean / max',
      [a.min_temperature, a.mean_temperature, a.max_temperature]
        .map((v) => temp(v, a.temperature_unit))
        .join(' / '),
    ],
    ['Time beyond', `${Math.round(a.time_beyond_seconds / 60)} min`],
    ['Degree-minutes', String(a.degree_minutes)],
    ['Readings', `${a.reading_count} (${a.failed_reads} failed)`],
    ['Acknowledged', a.acknowledged_at ? `${when(a.acknowledged_at)} by ${a.acknowledged_by}` : '-'],
    ['Comment', a.comment ?? '-'],
  ];
  if (a.shelved_until) lines.push(['Shelved until', `${when(a.shelved_until)}: ${a.shelved_reason}`]);
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) console.log(`${k.padEnd(width)}  ${v}`);
  console.log('\nEvents:');
  for (const e of a.events) {
    const { type, at, ...details } = e;
    const rest = Object.keys(details).length ? `  ${JSON.stringify(details)}` : '';
    console.log(`  ${when(at)}  ${type}${rest}`);
  }
};

const printRules = (r: UnitRules): void => {
  console.log(`Unit ${r.storage_unit_id}: rules from ${r.source}, temperatures in °${r.temperature_unit}`);
  console.log(
    formatTable(
      ['ID', 'KIND', 'SEVERITY', 'THRESHOLD', 'DELAY_S', 'DEADBAND', 'CUMULATIVE_S', 'WINDOW_S', 'ENABLED'],
      r.rules.map((x) => [
        x.id,
        x.kind,
        x.severity,
        x.threshold ?? '-',
        x.delay_seconds,
        x.deadband,
        x.cumulative_seconds ?? '-',
        x.window_seconds ?? '-',
        x.enabled ? 'yes' : 'no',
      ]),
    ),
  );
};

/** A rules file: a JSON list of rules or {"rules": [...]}, temperatures in the unit's own unit. */
const readRulesFile = async (file: string): Promise<unknown[]> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AppError('VALIDATION', `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('VALIDATION', `${file} is not JSON`);
  }
  const rules = Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules))
    throw new AppError('VALIDATION', `${file} must hold a JSON list of rules or {"rules": [...]}`);
  return rules;
};

/** `tms alarms list|show|ack|rules`. */
export const registerAlarmCommands = (program: Command): void => {
  const alarms = program
    .command('alarms')
    .description('Alarms of every customer: list, show, acknowledge; a unit’s alarm rules');

  alarms
    .command('list')
    .description('Alarms, newest first')
    .option('--state <state>', 'active | acknowledged | cleared | closed | open (= not closed)')
    .option('--severity <severity>', 'warning | critical')
    .option('--customer <code>', 'only this customer, e.g. B')
    .option('--unit <id>', 'only this storage unit')
    .option('--priority', 'unacknowledged open alarms first, critical first')
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  tms alarms list --state open\n  tms alarms list --customer B --json',
    )
    .action(
      async (opts: {
        state?: string;
        severity?: string;
        customer?: string;
        unit?: string;
        priority?: boolean;
        limit?: string;
        json?: boolean;
      }) => {
        const limit = opts.limit === undefined ? undefined : Number(opts.limit);
        const r = await runOp<{ items: AlarmLine[]; total: number }>(loadConfig(), 'alarms.list', {
          state: opts.state,
          severity: opts.severity,
          customer: opts.customer,
          unitId: opts.unit === undefined ? undefined : checkId('Unit', opts.unit),
          priority: opts.priority === true,
          limit,
        });
        if (opts.json) return printJson(r);
        if (r.items.length === 0) return console.log('No alarms');
        console.log(
          formatTable(
            ['ID', 'STATE', 'SEVERITY', 'KIND', 'CUSTOMER', 'UNIT', 'STARTED', 'CLEARED', 'PEAK', 'ACK BY'],
            r.items.map((a) => [
              a.id,
              a.state,
              a.severity,
              a.late ? `${a.kind} (late)` : a.kind,
              a.customer_code,
              a.unit_code ?? '-',
              when(a.started_at),
              when(a.cleared_at),
              temp(a.peak_temperature, a.temperature_unit),
              a.acknowledged_by ?? '-',
            ]),
          ),
        );
        if (r.total > r.items.length) console.log(`(${r.items.length} of ${r.total}; see --limit)`);
      },
    );

  alarms
    .command('show')
    .description('One alarm with its figures and events')
    .argument('<id>', 'alarm id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const a = await runOp<AlarmShown>(loadConfig(), 'alarms.show', { id: checkId('Alarm', id) });
      if (opts.json) return printJson(a);
      printAlarm(a);
    });

  alarms
    .command('ack')
    .description('Acknowledge an alarm, with a comment (required), as cli:<your user name>')
    .argument('<id>', 'alarm id')
    .requiredOption('--comment <text>', 'what was found and what was done')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  tms alarms ack 3f2a… --comment "Door left open; closed at 02:40"')
    .action(async (id: string, opts: { comment: string; json?: boolean }) => {
      const a = await runOp<AlarmShown>(loadConfig(), 'alarms.ack', {
        id: checkId('Alarm', id),
        comment: opts.comment,
      });
      if (opts.json) return printJson(a);
      console.log(`Acknowledged alarm ${a.id} as ${a.acknowledged_by}; it is now ${a.state}`);
    });

  alarms
    .command('rules')
    .description('A unit’s alarm rules (in its own °C/°F); --set replaces them from a JSON file')
    .argument('<unit-id>', 'storage unit id')
    .option('--set <file>', 'a JSON list of rules, or {"rules": [...]}')
    .option('--reset', 'drop the unit’s own rules (back to the defaults)')
    .option(
      '--reason <text>',
      'why the rules change (required with --set and --reset; kept in the audit trail)',
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExample rules file:\n  [{"kind": "high", "severity": "critical", "threshold": 8, "delay_seconds": 1800}]\n' +
        'Example:\n  tms alarms rules 3f2a… --set rules.json --reason "Vaccine fridge: 2–8 °C per SOP-12"',
    )
    .action(
      async (unitId: string, opts: { set?: string; reset?: boolean; reason?: string; json?: boolean }) => {
        if (opts.set && opts.reset) throw new AppError('VALIDATION', 'Give --set or --reset, not both');
        const id = checkId('Unit', unitId);
        const config = loadConfig();
        const r = opts.set
          ? await runOp<UnitRules>(config, 'alarms.rules-set', {
              unitId: id,
              rules: await readRulesFile(opts.set),
              reason: opts.reason,
            })
          : await runOp<UnitRules>(config, opts.reset ? 'alarms.rules-reset' : 'alarms.rules', {
              unitId: id,
              reason: opts.reason,
            });
        if (opts.json) return printJson(r);
        printRules(r);
      },
    );
};
