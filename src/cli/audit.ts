import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import { formatTable, printJson } from './output.ts';
import { runOp } from './run-op.ts';

// `tms audit list|verify`: the audit trail of every customer, and the check of its hash chain. Both
// are operations of ops/audit-ops.ts, run here or inside `tms up`.

interface AuditLine {
  id: string;
  seq: number;
  at: string;
  actor: { kind: string; token_id: string | null; name: string };
  customer_id: string | null;
  entity_type: string;
  entity_id: string | null;
  action: string;
  changes: Record<string, unknown>;
  reason: string | null;
}

interface ChainReport {
  ok: boolean;
  verified: number;
  head: { seq: number; hash: string } | null;
  broken?: { seq: number; id: string; at: string; problem: string };
}

const when = (v: string): string => v.replace(/\.\d{3}Z$/, 'Z');

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** `changes` on one line: "field: old → new", details as "key=value". */
const changesText = (changes: Record<string, unknown>): string =>
  Object.entries(changes)
    .map(([k, c]) => {
      if (k === '_details' && c && typeof c === 'object')
        return Object.entries(c)
          .map(([dk, dv]) => `${dk}=${show(dv)}`)
          .join(' ');
      const { old: o, new: n } = (c ?? {}) as { old?: unknown; new?: unknown };
      if (o === undefined) return `${k}: ${show(n)}`;
      if (n === undefined) return `${k}: ${show(o)} → ∅`;
      return `${k}: ${show(o)} → ${show(n)}`;
    })
    .join('; ');

const isoOption = (flag: string, v: string | undefined): string | undefined => {
  if (v === undefined) return undefined;
  if (Number.isNaN(new Date(v).getTime()))
    throw new AppError('VALIDATION', `--${flag} '${v}' is not an ISO 8601 time, e.g. 2026-03-01T00:00:00Z`);
  return v;
};

/** `tms audit list|verify`. */
export const registerAuditCommands = (program: Command): void => {
  const audit = program
    .command('audit')
    .description('The audit trail: who changed what, when and why; the check of its hash chain');

  audit
    .command('list')
    .description('Audit entries of every customer, newest first')
    .option('--customer <code>', 'only this customer, e.g. B')
    .option('--entity-type <type>', 'storage_unit, alarm_rules, token, readings …')
    .option('--entity-id <id>', 'only entries about this record')
    .option('--action <action>', 'create, update, delete, revoke, acknowledge, clean …')
    .option('--actor <text>', "part of the actor's name (e.g. cli:alice), or a token id")
    .option('--since <iso>', 'entries at or after this time')
    .option('--until <iso>', 'entries before this time')
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  tms audit list --customer B --since 2026-03-01T00:00:00Z\n  tms audit list --entity-type readings --action clean --json',
    )
    .action(
      async (opts: {
        customer?: string;
        entityType?: string;
        entityId?: string;
        action?: string;
        actor?: string;
        since?: string;
        until?: string;
        limit?: string;
        json?: boolean;
      }) => {
        const r = await runOp<{ items: AuditLine[]; total: number }>(loadConfig(), 'audit.list', {
          customer: opts.customer,
          entityType: opts.entityType,
          entityId: opts.entityId,
          action: opts.action,
          actor: opts.actor,
          since: isoOption('since', opts.since),
          until: isoOption('until', opts.until),
          limit: opts.limit === undefined ? undefined : Number(opts.limit),
        });
        if (opts.json) return printJson(r);
        if (r.items.length === 0) return console.log('No audit entries');
        console.log(
          formatTable(
            ['SEQ', 'AT', 'ACTOR', 'ENTITY', 'ID', 'ACTION', 'CHANGES', 'REASON'],
            r.items.map((e) => [
              e.seq,
              when(e.at),
              e.actor.name,
              e.entity_type,
              e.entity_id ?? '-',
              e.action,
              changesText(e.changes),
              e.reason ?? '-',
            ]),
          ),
        );
        if (r.total > r.items.length) console.log(`(${r.items.length} of ${r.total}; see --limit)`);
      },
    );

  audit
    .command('verify')
    .description(
      'Walk the hash chain; exit 1 and name the first broken entry if an entry was changed, deleted or moved',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const r = await runOp<ChainReport>(loadConfig(), 'audit.verify');
      if (!r.ok) process.exitCode = 1;
      if (opts.json) return printJson(r);
      const head = r.head ? `head #${r.head.seq} ${r.head.hash}` : 'no entries';
      if (r.ok) return console.log(`Audit chain OK: ${r.verified} entries verified; ${head}`);
      const b = r.broken!;
      console.log(`Audit chain BROKEN at entry #${b.seq} (id ${b.id}, at ${when(b.at)}): ${b.problem}`);
      console.log(
        `${r.verified} entries before it verified; ${r.head ? `last good #${r.head.seq} ${r.head.hash}` : 'none before it'}`,
      );
    });
};
