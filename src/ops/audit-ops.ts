import { listAuditByCustomerCode, verifyAudit } from '../audit/audit-verbs.ts';
import { AppError } from '../lib/errors.ts';
import type { OpContext } from './ops.ts';

// `tms audit …`: the operator reads every customer's trail and checks the chain (the CLI is as
// trusted as an admin token).

type Op = (ctx: OpContext, args: Record<string, unknown>) => Promise<unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const instant = (flag: string, v: unknown): Date | undefined => {
  const s = str(v);
  if (s === undefined) return undefined;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new AppError('VALIDATION', `--${flag} '${s}' is not an ISO 8601 time`);
  return d;
};

export const AUDIT_OPS: Record<string, Op> = {
  'audit.list': (ctx, args) => {
    const limit = typeof args.limit === 'number' ? args.limit : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new AppError('VALIDATION', '--limit must be an integer from 1 to 1000');
    return listAuditByCustomerCode(ctx, str(args.customer), {
      entityType: str(args.entityType),
      entityId: str(args.entityId),
      action: str(args.action),
      actor: str(args.actor),
      start: instant('since', args.since),
      end: instant('until', args.until),
      limit,
      offset: 0,
    });
  },
  'audit.verify': (ctx) => verifyAudit(ctx),
};
