import { runRetention } from '../admin/retention.ts';
import { findCustomerByCode } from '../db/customers-repo.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { OpContext } from './ops.ts';

// `tms retention run`: the daily retention job on demand (admin/retention.ts), by the CLI user. A dry
// run says per customer what would go and changes nothing.

type Op = (ctx: OpContext, args: Record<string, unknown>) => Promise<unknown>;

export const RETENTION_OPS: Record<string, Op> = {
  'retention.run': async (ctx, args) => {
    let customerId: string | undefined;
    if (typeof args.customer === 'string' && args.customer !== '') {
      const c = await findCustomerByCode(ctx.db, args.customer);
      if (!c) throw notFound(`Customer '${args.customer}'`);
      customerId = c.id;
    }
    const batchSize = args.batchSize === undefined ? undefined : Number(args.batchSize);
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1))
      throw new AppError('VALIDATION', '--batch-size must be a positive integer');
    return runRetention(ctx, { dryRun: args.dryRun === true, customerId, batchSize });
  },
};
