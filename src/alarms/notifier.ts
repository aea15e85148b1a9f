import { appendAlarmEvent } from '../db/alarm-store-repo.ts';
import {
  claimDueDeliveries,
  findAlarmMessage,
  findCustomerMessage,
  recordDeliveryOutcome,
  type OutboxRow,
} from '../db/notification-repo.ts';
import type { Db, Sql } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { notificationSendsTotal } from '../lib/metrics.ts';
import { createMailer, type Mailer } from './deliver-email.ts';
import { postWebhook } from './deliver-webhook.ts';
import { renderAlarmMessage, renderTestMessage, type RenderedMessage } from './messages.ts';
import { queueDueEscalations, queueDueRepeats } from './outbox.ts';

// Delivers notification_outbox. Each pass claims due rows with a lease and counts the attempt
// before sending (claimDueDeliveries), sends, then stores the outcome: sent, or a retry after
// backoff, or given up after MAX_ATTEMPTS. Any number of notifiers may share one database: SKIP
// LOCKED and the lease give every row to one of them at a time. Delivery is at least once: a
// notifier that dies between the send and storing the outcome leaves the row to be sent again when
// its lease ends, with the same idempotency key (Message-ID, Idempotency-Key) for the receiver.

export interface NotifierSettings {
  /** SMTP_URL; undefined: e-mail rows fail with that reason. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Dashboard base URL for links (TMS_PUBLIC_URL). */
  publicUrl: string;
}

export interface NotifierDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** From config.notify; absent: no SMTP, links to http://127.0.0.1:8000. */
  settings?: NotifierSettings;
  /** Tuning, for tests mostly. */
  tuning?: Partial<NotifierTuning>;
}

export interface NotifierTuning {
  /** How often the outbox is polled (wake() also starts a pass at once). */
  pollMs: number;
  /** How often escalations and repeats are queued. */
  sweepMs: number;
  /** A claimed row is someone else's for this long: longer than any send may take. */
  leaseMs: number;
  /** Backoff after the n-th failed attempt: base·2^(n−1), capped. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts before a row is given up (status failed). Test sends get one. */
  maxAttempts: number;
  /** Rows sent at once by one notifier. */
  batchSize: number;
}

export const DEFAULT_TUNING: NotifierTuning = {
  pollMs: 500,
  sweepMs: 5_000,
  leaseMs: 60_000,
  retryBaseMs: 30_000,
  retryMaxMs: 3_600_000,
  // 30 s, 1, 2, 4, 8, 16, 32 min: the last attempt about an hour after the first.
  maxAttempts: 8,
  batchSize: 16,
};

export const DEFAULT_SETTINGS: NotifierSettings = {
  smtpUrl: undefined,
  mailFrom: 'tms@localhost',
  publicUrl: 'http://127.0.0.1:8000',
};

export interface Notifier {
  /** Delivers due outbox rows now (the loop also polls). */
  wake(): void;
  stop(): Promise<void>;
}

export interface DeliveryContext {
  db: Db;
  clock: Clock;
  log: Logger;
  settings: NotifierSettings;
  mailer: Mailer;
  tuning: NotifierTuning;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The channel's name, secret and escalation delay (it may have been deleted: null). */
const channelOf = async (q: Sql, id: string | null) =>
  id === null
    ? undefined
    : (
        await q.query<{
          name: string | null;
          secret: string | null;
          escalate_after_seconds: number;
          is_active: boolean;
        }>(
          'SELECT name, secret, escalate_after_seconds, is_active FROM notification_channels WHERE id = $1',
          [id],
        )
      )[0];

/** Why a row cannot be sent at all (retrying will not help), or its message. */
const prepare = async (
  c: DeliveryContext,
  row: OutboxRow,
  now: Date,
): Promise<{ message: RenderedMessage; secret: string | null } | { fatal: string }> => {
  const channel = await channelOf(c.db, row.channel_id);
  if (row.channel_id !== null && !channel) return { fatal: 'channel deleted before delivery' };
  if (channel && !channel.is_active && row.event !== 'test')
    return { fatal: 'channel deactivated before delivery' };
  const opts = {
    event: row.event,
    publicUrl: c.settings.publicUrl,
    idempotencyKey: row.idempotency_key,
    now,
    channel: {
      id: row.channel_id,
      name: channel?.name ?? null,
      escalateAfterSeconds: channel?.escalate_after_seconds,
    },
  };
  if (row.alarm_id === null) {
    const customer = await findCustomerMessage(c.db, row.customer_id);
    if (!customer) return { fatal: 'customer deleted before delivery' };
    return { message: renderTestMessage(customer, opts), secret: channel?.secret ?? null };
  }
  const alarm = await findAlarmMessage(c.db, row.alarm_id);
  if (!alarm) return { fatal: 'alarm deleted before delivery' };
  return { message: renderAlarmMessage(alarm, opts), secret: channel?.secret ?? null };
};

const send = (c: DeliveryContext, row: OutboxRow, m: RenderedMessage, secret: string | null, now: Date) =>
  row.channel_type === 'email'
    ? c.mailer.send(row.target, m, row.idempotency_key)
    : postWebhook(row.target, secret, m, row.idempotency_key, now);

/** Backoff after the `attempts`-th failure; null when that was the last attempt allowed. */
export const retryDelayMs = (
  t: NotifierTuning,
  row: Pick<OutboxRow, 'attempts' | 'event'>,
): number | null => {
  const max = row.event === 'test' ? 1 : t.maxAttempts;
  if (row.attempts >= max) return null;
  return Math.min(t.retryBaseMs * 2 ** (row.attempts - 1), t.retryMaxMs);
};

/** Sends one claimed row and stores the outcome (with the alarm event, in one transaction). */
export const deliverClaimed = async (
  c: DeliveryContext,
  row: OutboxRow,
): Promise<'sent' | 'retry' | 'failed'> => {
  const now = c.clock.now();
  let error: string | undefined;
  let fatal = false;
  try {
    const prepared = await prepare(c, row, now);
    if ('fatal' in prepared) {
      error = prepared.fatal;
      fatal = true;
    } else await send(c, row, prepared.message, prepared.secret, now);
  } catch (e) {
    error = errorText(e);
  }
  const at = c.clock.now();
  const delay = error === undefined || fatal ? null : retryDelayMs(c.tuning, row);
  const result = error === undefined ? 'sent' : delay === null ? 'failed' : 'retry';
  await c.db.transaction(async (tx) => {
    const stored = await recordDeliveryOutcome(
      tx,
      row.id,
      row.attempts,
      error === undefined
        ? { ok: true, at }
        : { ok: false, error, retryAt: delay === null ? null : new Date(at.getTime() + delay) },
    );
    if (!stored || row.alarm_id === null || result === 'retry') return;
    await appendAlarmEvent(tx, row.alarm_id, result === 'sent' ? 'notified' : 'notify_failed', at, {
      channel_id: row.channel_id,
      channel_type: row.channel_type,
      event: row.event,
      attempts: row.attempts,
      ...(error === undefined ? {} : { error }),
    });
  });
  notificationSendsTotal.inc({
    channel: row.channel_type,
    result: result === 'retry' ? 'failed' : result === 'failed' ? 'gave_up' : 'sent',
  });
  if (error !== undefined)
    c.log.warn(
      { outboxId: row.id, channel: row.channel_type, attempts: row.attempts, result, err: error },
      'notification not delivered',
    );
  return result;
};

/** One pass: claims due rows in batches and delivers them until none is due. Returns how many were handled. */
export const deliverDue = async (c: DeliveryContext, onlyId?: number): Promise<number> => {
  let handled = 0;
  for (;;) {
    const rows = await claimDueDeliveries(c.db, c.clock.now(), c.tuning.leaseMs, c.tuning.batchSize, onlyId);
    await Promise.all(rows.map((r) => deliverClaimed(c, r)));
    handled += rows.length;
    if (rows.length < c.tuning.batchSize || onlyId !== undefined) return handled;
  }
};

/** Queues escalations and repeats that are due now (one transaction). */
export const sweepEscalations = async (db: Db, now: Date): Promise<{ escalated: number; repeated: number }> =>
  db.transaction(async (tx) => ({
    escalated: (await queueDueEscalations(tx, now)).length,
    repeated: (await queueDueRepeats(tx, now)).length,
  }));

/** Starts delivering the notification outbox (and the escalation/repeat sweep) in this ingest process. */
export const startNotifier = (deps: NotifierDeps): Notifier => {
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const settings = deps.settings ?? DEFAULT_SETTINGS;
  const log = deps.log.child({ module: 'notifier' });
  const c: DeliveryContext = {
    db: deps.db,
    clock: deps.clock,
    log,
    settings,
    mailer: createMailer(settings),
    tuning,
  };
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let lastSweepMs = 0;

  const pass = async () => {
    const nowMs = c.clock.now().getTime();
    if (nowMs - lastSweepMs >= tuning.sweepMs || nowMs < lastSweepMs) {
      lastSweepMs = nowMs;
      const s = await sweepEscalations(c.db, c.clock.now());
      if (s.escalated + s.repeated > 0) log.info(s, 'escalations and repeats queued');
    }
    await deliverDue(c);
  };

  const run = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = pass()
      .catch((e: unknown) => log.error({ err: e }, 'notifier pass failed'))
      .finally(() => {
        running = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          setImmediate(run);
        } else timer = setTimeout(run, tuning.pollMs);
      });
  };
  timer = setTimeout(run, 0);

  return {
    wake: run,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
      c.mailer.close();
    },
  };
};
