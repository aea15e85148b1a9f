import { acknowledgeAlarm, getAlarm, listAllAlarms } from '../alarms/alarm-verbs.ts';
import { getUnitRules, putUnitRules, resetUnitRules } from '../alarms/rule-verbs.ts';
import type { RuleInput } from '../alarms/alarm-dto.ts';
import { findCustomerByCode } from '../db/customers-repo.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { OpContext } from './ops.ts';

// `tms alarms …`: the operator's view over every customer (the CLI is as trusted as an admin token).

type Op = (ctx: OpContext, args: Record<string, unknown>) => Promise<unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const STATES = ['active', 'acknowledged', 'cleared', 'closed', 'open'];
const SEVERITIES = ['warning', 'critical'];

const oneOf = (name: string, v: string | undefined, allowed: string[]): string | undefined => {
  if (v !== undefined && !allowed.includes(v))
    throw new AppError('VALIDATION', `--${name} must be one of ${allowed.join(', ')}`);
  return v;
};

export const ALARM_OPS: Record<string, Op> = {
  'alarms.list': async (ctx, args) => {
    let customerId: string | undefined;
    const code = str(args.customer);
    if (code) {
      const c = await findCustomerByCode(ctx.db, code);
      if (!c) throw notFound(`Customer '${code}'`);
      customerId = c.id;
    }
    const limit = typeof args.limit === 'number' ? args.limit : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new AppError('VALIDATION', '--limit must be an integer from 1 to 1000');
    return listAllAlarms(ctx, customerId, {
      state: oneOf('state', str(args.state), STATES),
      severity: oneOf('severity', str(args.severity), SEVERITIES),
      unitId: str(args.unitId),
      sort: args.priority === true ? 'priority' : 'started_at',
      limit,
      offset: 0,
    });
  },
  'alarms.show': (ctx, args) => getAlarm(ctx, String(args.id), {}),
  // Acknowledged as the operation's actor (`cli:<os user>`, ops.ts runOpInProcess).
  'alarms.ack': (ctx, args) => acknowledgeAlarm(ctx, String(args.id), {}, String(args.comment ?? '')),
  'alarms.rules': (ctx, args) => getUnitRules(ctx, String(args.unitId), {}),
  'alarms.rules-set': (ctx, args) => {
    if (!Array.isArray(args.rules))
      throw new AppError('VALIDATION', 'The rules file must hold a JSON list of rules or {"rules": [...]}');
    return putUnitRules(ctx, String(args.unitId), {}, args.rules as RuleInput[]);
  },
  'alarms.rules-reset': (ctx, args) => resetUnitRules(ctx, String(args.unitId), {}),
};
