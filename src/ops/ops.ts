import { cliActor, runAs, systemActor } from '../audit/context.ts';
import { loadReasonSetting } from '../audit/reason-setting.ts';
import type { Config } from '../config/config.ts';
import { issueToken, listTokens, revokeToken } from '../auth/tokens.ts';
import { cleanReadings } from '../admin/clean-readings.ts';
import type { CleanFilter } from '../db/clean-repo.ts';
import { findCustomerByCode } from '../db/customers-repo.ts';
import { migrate } from '../db/migrate.ts';
import { readDbStatus } from '../db/status-repo.ts';
import type { Db } from '../db/types.ts';
import type { Scope } from '../domain/tokens.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound } from '../lib/errors.ts';
import { loadFleet } from '../simulation/fleet.ts';
import { beginImport, finishImport, importChunk } from '../ingestion/importer.ts';
import type { RejectionSummary } from '../domain/reading.ts';
import type { RawRow } from '../ingestion/types.ts';
import { verifyCustomer } from '../ingestion/verify.ts';
import { seedFleetAudited } from '../fleet/seed.ts';
import { ALARM_OPS } from './alarm-ops.ts';
import { AUDIT_OPS } from './audit-ops.ts';
import { REPORT_OPS } from './report-ops.ts';
import { RETENTION_OPS } from './retention-ops.ts';
import { REPORT_SCHEDULE_OPS } from './report-schedule-ops.ts';
import { sendTestNow } from '../alarms/channels.ts';

/** What an operation gets: the process's open database and its settings. */
export interface OpContext {
  db: Db;
  config: Config;
  clock: Clock;
}

type Op = (ctx: OpContext, args: Record<string, unknown>) => Promise<unknown>;

const isoOrUndefined = (v: unknown): Date | undefined => (typeof v === 'string' ? new Date(v) : undefined);

const cleanFilter = async (ctx: OpContext, args: Record<string, unknown>): Promise<CleanFilter> => {
  const filter: CleanFilter = {
    ingestedAfter: isoOrUndefined(args.ingestedAfter),
    recordedBefore: isoOrUndefined(args.recordedBefore),
    all: args.all === true,
  };
  if (typeof args.customer === 'string') {
    const c = await findCustomerByCode(ctx.db, args.customer);
    if (!c) throw notFound(`Customer '${args.customer}'`);
    filter.customerId = c.id;
  }
  return filter;
};

/**
 * Every CLI operation that touches the database, by name. The CLI runs them in-process, or, when
 * `tms up` owns the embedded store, sends them over the control socket to run in that process.
 * Arguments and results are plain JSON.
 */
const OPS: Record<string, Op> = {
  'db.status': (ctx) => readDbStatus(ctx.db),
  'db.migrate': async (ctx) => ({ applied: await migrate(ctx.db) }),
  'db.seed': async (ctx, args) => {
    const file = typeof args.fleetFile === 'string' ? args.fleetFile : ctx.config.fleetFile;
    const fleet = await loadFleet(file);
    return seedFleetAudited(ctx.db, fleet, {
      simHost: ctx.config.simHost,
      simPortStart: ctx.config.simPortStart,
      source: file ?? 'built-in fleet',
      // tms up seeds an empty database on its first start: the system acts, not a CLI user.
      ...(args.firstStart === true ? { actor: systemActor('first-start') } : {}),
    });
  },
  'db.clean': async (ctx, args) =>
    cleanReadings(ctx.db, {
      filter: await cleanFilter(ctx, args),
      customerCode: typeof args.customer === 'string' ? args.customer : undefined,
      dryRun: args.dryRun === true,
    }),
  'tokens.create': (ctx, args) =>
    issueToken(ctx.db, {
      customerCode: typeof args.customer === 'string' ? args.customer : undefined,
      admin: args.admin === true,
      scopes: Array.isArray(args.scopes) ? (args.scopes as Scope[]) : undefined,
      name: typeof args.name === 'string' ? args.name : undefined,
      expiresAt: isoOrUndefined(args.expiresAt) ?? null,
      rateLimitPerHour: typeof args.rateLimitPerHour === 'number' ? args.rateLimitPerHour : undefined,
    }),
  'tokens.list': (ctx, args) =>
    listTokens(ctx.db, {
      customerCode: typeof args.customer === 'string' ? args.customer : undefined,
      includeRevoked: args.all === true,
    }),
  'tokens.revoke': (ctx, args) => revokeToken(ctx.db, String(args.id)),
  'ingest.customers-exist': async (ctx, args) => {
    const codes = Array.isArray(args.codes)
      ? args.codes.filter((c): c is string => typeof c === 'string')
      : [];
    const found = await Promise.all(codes.map((c) => findCustomerByCode(ctx.db, c)));
    return codes.filter((_, i) => found[i] !== undefined);
  },
  'ingest.import-begin': (ctx, args) =>
    beginImport(ctx.db, {
      customer: String(args.customer),
      source: String(args.source),
      timezone: typeof args.timezone === 'string' ? args.timezone : undefined,
    }),
  'ingest.import-rows': (ctx, args) =>
    importChunk(ctx.db, {
      logId: String(args.logId),
      customer: String(args.customer),
      rows: Array.isArray(args.rows) ? (args.rows as RawRow[]) : [],
      firstRow: typeof args.firstRow === 'number' ? args.firstRow : 1,
      timezone: String(args.timezone),
      nowMs: ctx.clock.now().getTime(),
      futureToleranceSeconds: ctx.config.futureToleranceSeconds,
    }),
  'ingest.import-finish': (ctx, args) =>
    finishImport(
      ctx.db,
      String(args.logId),
      (args.rejections ?? { counts: {}, examples: [] }) as RejectionSummary,
    ),
  'notify.test': (ctx, args) =>
    sendTestNow(
      { db: ctx.db, clock: ctx.clock, settings: ctx.config.notify },
      typeof args.channel === 'string'
        ? { channelId: args.channel }
        : {
            customerCode: String(args.customer),
            type: args.type === 'webhook' ? 'webhook' : 'email',
            target: String(args.target),
          },
    ),
  'ingest.verify': (ctx, args) =>
    verifyCustomer(ctx, {
      customerCode: String(args.customer),
      since: new Date(String(args.since)),
      until: isoOrUndefined(args.until),
    }),
  ...ALARM_OPS,
  ...AUDIT_OPS,
  ...REPORT_OPS,
  ...RETENTION_OPS,
  ...REPORT_SCHEDULE_OPS,
};

/**
 * Runs an operation and returns its result as plain JSON, exactly as the control socket would. The
 * CLI says who runs it (`args.cliUser`, the OS user) and why (`args.reason`): the audit entries the
 * operation writes name `cli:<user>` as the actor.
 */
export const runOpInProcess = async (
  ctx: OpContext,
  name: string,
  args: Record<string, unknown>,
): Promise<unknown> => {
  const op = Object.hasOwn(OPS, name) ? OPS[name] : undefined;
  if (!op) throw notFound(`Operation '${name}'`);
  const user = typeof args.cliUser === 'string' && args.cliUser !== '' ? args.cliUser : 'unknown';
  const reason = typeof args.reason === 'string' && args.reason.trim() !== '' ? args.reason.trim() : undefined;
  // Follow the system setting require_change_reason (a database not migrated yet has none: default).
  await loadReasonSetting(ctx.db).catch(() => undefined);
  const result = await runAs({ actor: cliActor(user), reason }, () => op(ctx, args));
  return JSON.parse(JSON.stringify(result ?? null)) as unknown;
};
