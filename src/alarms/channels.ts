import { randomBytes, randomUUID } from 'node:crypto';
import dns from 'node:dns/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordAudit, requireReason } from '../audit/record.ts';
import * as repo from '../db/notification-repo.ts';
import type {
  ChannelFields,
  ChannelRow,
  ChannelType,
  OutboxRow,
  OutboxStatus,
} from '../db/notification-repo.ts';
import { assertFetchableUrl, isForbiddenAddress } from '../ingestion/address-guard.ts';
import { findCustomerByCode } from '../db/customers-repo.ts';
import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import type { FeatureContext } from '../readings/context.ts';
import { createMailer } from './deliver-email.ts';
import { DEFAULT_TUNING, deliverDue, type NotifierSettings } from './notifier.ts';

// Notification channels of a customer and their delivery log: the verbs behind the API (and the
// dashboard's settings page). Channels act for the whole customer, so a token limited to some units
// may read them but not change them, like the profile and tokens. Creating, changing and deleting a
// channel is audited (entity notification_channel) in the same transaction, never with a webhook's
// signing secret; a deletion needs a reason. A test send changes no record and is not audited.

export interface ChannelCaller {
  customerId: string;
  /** Empty: every unit of the customer. */
  accessibleUnits: readonly string[];
}

const requireWholeCustomer = (caller: ChannelCaller): void => {
  if (caller.accessibleUnits.length > 0)
    throw new AppError(
      'FORBIDDEN',
      'A token limited to some storage units cannot change notification channels; use a token without accessible_units',
    );
};

/** One address, no display name: what SMTP's RCPT TO takes. */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** @throws AppError VALIDATION when the address is not one plain e-mail address. */
export const assertEmailAddress = (target: string): string => {
  const t = target.trim();
  if (t.length > 254 || !EMAIL.test(t) || t.includes('..'))
    throw new AppError('VALIDATION', `'${target}' is not an e-mail address (name@example.com)`);
  return t;
};

/**
 * A webhook URL must pass the source URLs' guard (http/https, no credentials, no link-local or
 * metadata host in any notation), and a name must not resolve to such an address now either; the
 * notifier checks the resolved address again on every connection (DNS can change).
 * @throws AppError VALIDATION naming the problem.
 */
export const assertWebhookUrl = async (target: string): Promise<string> => {
  let url: URL;
  try {
    url = assertFetchableUrl(target.trim());
  } catch (e) {
    if (e instanceof AppError)
      throw new AppError('VALIDATION', e.message.replace(/^source URL/, 'webhook URL'));
    throw e;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const answers = await dns.lookup(host, { all: true }).catch(() => []);
  const bad = answers.find((a) => isForbiddenAddress(a.address));
  if (bad)
    throw new AppError(
      'VALIDATION',
      `webhook URL host ${url.hostname} resolves to forbidden address ${bad.address}`,
    );
  return url.toString();
};

const checkTarget = (type: ChannelType, target: string): Promise<string> =>
  type === 'email' ? Promise.resolve(assertEmailAddress(target)) : assertWebhookUrl(target);

export const toChannelDto = (c: ChannelRow) => ({
  id: c.id,
  name: c.name,
  type: c.type,
  target: c.target,
  min_severity: c.min_severity,
  escalate_after_seconds: c.escalate_after_seconds,
  repeat_seconds: c.repeat_seconds,
  is_active: c.is_active,
  created_at: c.created_at,
  updated_at: c.updated_at,
});

export const toDeliveryDto = (o: OutboxRow) => ({
  id: o.id,
  channel_id: o.channel_id,
  alarm_id: o.alarm_id,
  event: o.event,
  channel_type: o.channel_type,
  target: o.target,
  status: o.status,
  attempts: o.attempts,
  last_error: o.last_error,
  created_at: o.created_at,
  sent_at: o.sent_at,
  next_attempt_at: o.status === 'pending' ? o.next_attempt_at : null,
});

/** A channel's fields as the audit trail records them (ChannelRow never holds the secret). */
const auditedChannel = (c: ChannelRow) => ({
  name: c.name,
  type: c.type,
  target: c.target,
  min_severity: c.min_severity,
  escalate_after_seconds: c.escalate_after_seconds,
  repeat_seconds: c.repeat_seconds,
  is_active: c.is_active,
});

const channelChange = (c: ChannelRow) => ({
  entityType: 'notification_channel',
  entityId: c.id,
  customerId: c.customer_id,
});

export const listChannelsOf = async (ctx: FeatureContext, caller: ChannelCaller) =>
  (await repo.listChannels(ctx.db, caller.customerId)).map(toChannelDto);

export const getChannel = async (ctx: FeatureContext, caller: ChannelCaller, id: string) => {
  const c = await repo.findChannel(ctx.db, caller.customerId, id);
  if (!c) throw notFound('Notification channel');
  return toChannelDto(c);
};

export interface ChannelInput extends ChannelFields {
  type: ChannelType;
  target: string;
}

/** Creates a channel; a webhook gets a random signing secret, returned here once and never again. */
export const createChannel = async (ctx: FeatureContext, caller: ChannelCaller, input: ChannelInput) => {
  requireWholeCustomer(caller);
  const target = await checkTarget(input.type, input.target);
  const secret = input.type === 'webhook' ? randomBytes(32).toString('hex') : null;
  const row = await ctx.db.transaction(async (tx) => {
    const created = await repo.insertChannel(tx, caller.customerId, { ...input, target, secret });
    await recordAudit(tx, { ...channelChange(created), action: 'create', after: auditedChannel(created) });
    return created;
  });
  return secret ? { ...toChannelDto(row), secret } : toChannelDto(row);
};

/** Changes a channel's settings; its type is fixed (a new target is checked against it). */
export const updateChannel = async (
  ctx: FeatureContext,
  caller: ChannelCaller,
  id: string,
  input: ChannelFields,
) => {
  requireWholeCustomer(caller);
  const current = await repo.findChannel(ctx.db, caller.customerId, id);
  if (!current) throw notFound('Notification channel');
  // The target is checked (a DNS lookup for a webhook) before the transaction, so none waits on it.
  const target = input.target === undefined ? undefined : await checkTarget(current.type, input.target);
  const row = await ctx.db.transaction(async (tx) => {
    const before = await repo.findChannel(tx, caller.customerId, id);
    const after = before && (await repo.updateChannel(tx, caller.customerId, id, { ...input, target }));
    if (!before || !after) throw notFound('Notification channel');
    await recordAudit(tx, {
      ...channelChange(after),
      action: 'update',
      before: auditedChannel(before),
      after: auditedChannel(after),
    });
    return after;
  });
  return toChannelDto(row);
};

/**
 * Deletes a channel, with a reason (422 without); its delivery log stays, and messages still waiting
 * for it are given up.
 */
export const deleteChannel = async (ctx: FeatureContext, caller: ChannelCaller, id: string) => {
  requireWholeCustomer(caller);
  // Another customer's channel is a 404 before a missing reason is a 422.
  if (!(await repo.findChannel(ctx.db, caller.customerId, id))) throw notFound('Notification channel');
  requireReason('deleting a notification channel');
  const current = await ctx.db.transaction(async (tx) => {
    const row = await repo.findChannel(tx, caller.customerId, id);
    if (!row || !(await repo.deleteChannel(tx, caller.customerId, id)))
      throw notFound('Notification channel');
    await recordAudit(tx, {
      ...channelChange(row),
      action: 'delete',
      before: auditedChannel(row),
      reasonRequired: true,
    });
    return row;
  });
  return toChannelDto(current);
};

export interface DeliveryQuery {
  status?: OutboxStatus;
  channel_id?: string;
  alarm_id?: string;
  limit: number;
  offset: number;
}

/** The delivery log (outbox rows), newest first. */
export const listDeliveriesOf = async (ctx: FeatureContext, caller: ChannelCaller, f: DeliveryQuery) => {
  const { rows, total } = await repo.listDeliveries(ctx.db, {
    customerId: caller.customerId,
    unitIds: caller.accessibleUnits,
    status: f.status,
    channelId: f.channel_id,
    alarmId: f.alarm_id,
    limit: f.limit,
    offset: f.offset,
  });
  return { items: rows.map(toDeliveryDto), total };
};

/** The idempotency key of a test send: unique per request, so each test is its own message. */
const testKey = (channelId: string | null) => `test:${channelId ?? 'adhoc'}:${randomUUID()}`;

/**
 * Queues a test message to one of the caller's channels (active or not) and waits up to `waitMs` for
 * a notifier to send it: the answer is the delivery row, `sent`, `failed` with the reason, or still
 * `pending` when no notifier (ingest role) picked it up in time.
 */
export const testChannel = async (
  ctx: FeatureContext,
  caller: ChannelCaller,
  id: string,
  waitMs = 15_000,
) => {
  requireWholeCustomer(caller);
  const channel = await repo.findChannel(ctx.db, caller.customerId, id);
  if (!channel) throw notFound('Notification channel');
  const row = await repo.insertTestDelivery(ctx.db, channel, testKey(channel.id), ctx.clock.now());
  return toDeliveryDto(await awaitDelivery(ctx, row.id, waitMs));
};

/** Polls a delivery until it is no longer pending or `waitMs` has passed. */
export const awaitDelivery = async (ctx: FeatureContext, id: number, waitMs: number): Promise<OutboxRow> => {
  const until = Date.now() + waitMs;
  for (;;) {
    const row = await repo.findDelivery(ctx.db, id);
    if (!row) throw notFound('Delivery');
    if (row.status !== 'pending' || Date.now() >= until) return row;
    await sleep(100);
  }
};

export type TestTarget = { channelId: string } | { customerCode: string; type: ChannelType; target: string };

/**
 * The operator's test send (`tms notify test`): queues a test message to a channel, or to an ad-hoc
 * address or URL for a customer, and sends it at once with the settings given (those of the process
 * running the operation: the CLI's, or `tms up`'s when it owns the embedded store). If a running
 * notifier claimed the row first, waits for that notifier's outcome instead.
 * @throws AppError NOT_FOUND for an unknown channel or customer, VALIDATION for a bad target.
 */
export const sendTestNow = async (
  deps: { db: Db; clock: Clock; settings: NotifierSettings },
  to: TestTarget,
) => {
  const { db, clock } = deps;
  let row: OutboxRow;
  if ('channelId' in to) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(to.channelId))
      throw new AppError('VALIDATION', `'${to.channelId}' is not a channel id (a UUID)`);
    const channel = await repo.findChannelById(db, to.channelId);
    if (!channel) throw notFound(`Notification channel ${to.channelId}`);
    row = await repo.insertTestDelivery(db, channel, testKey(channel.id), clock.now());
  } else {
    const customer = await findCustomerByCode(db, to.customerCode);
    if (!customer) throw notFound(`Customer '${to.customerCode}'`);
    const target = await checkTarget(to.type, to.target);
    row = await repo.insertTestDelivery(
      db,
      { id: null, customer_id: customer.id, type: to.type, target },
      testKey(null),
      clock.now(),
    );
  }
  const mailer = createMailer(deps.settings);
  try {
    await deliverDue(
      {
        db,
        clock,
        log: createLogger('silent', false),
        settings: deps.settings,
        mailer,
        tuning: DEFAULT_TUNING,
      },
      row.id,
    );
  } finally {
    mailer.close();
  }
  return toDeliveryDto(await awaitDelivery({ db, clock }, row.id, 15_000));
};
