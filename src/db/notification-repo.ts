import { unitKeySql } from './reading-keys.ts';
import type { Sql } from './types.ts';

// Notification channels and the outbox (which is also the delivery log). The statements that queue
// alarm notifications live beside their callers in alarms/outbox.ts; this file reads and writes rows.

export type ChannelType = 'email' | 'webhook';
export type Severity = 'warning' | 'critical';

/** A channel as the API shows it: never its secret. */
export interface ChannelRow {
  id: string;
  customer_id: string;
  name: string | null;
  type: ChannelType;
  target: string;
  min_severity: Severity;
  escalate_after_seconds: number;
  repeat_seconds: number | null;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

const CHANNEL_COLUMNS = `id, customer_id, name, type, target, min_severity, escalate_after_seconds, repeat_seconds,
  is_active, created_at, updated_at`;

export interface ChannelFields {
  name?: string | null;
  target?: string;
  min_severity?: Severity;
  escalate_after_seconds?: number;
  repeat_seconds?: number | null;
  is_active?: boolean;
}

/** A customer's channels, oldest first. */
export const listChannels = (q: Sql, customerId: string): Promise<ChannelRow[]> =>
  q.query<ChannelRow>(
    `SELECT ${CHANNEL_COLUMNS} FROM notification_channels WHERE customer_id = $1 ORDER BY created_at, id`,
    [customerId],
  );

/** One channel of a customer; another customer's id is as absent as a missing one. */
export const findChannel = async (q: Sql, customerId: string, id: string): Promise<ChannelRow | undefined> =>
  (
    await q.query<ChannelRow>(
      `SELECT ${CHANNEL_COLUMNS} FROM notification_channels WHERE customer_id = $1 AND id = $2`,
      [customerId, id],
    )
  )[0];

export const insertChannel = async (
  q: Sql,
  customerId: string,
  c: Required<Pick<ChannelFields, 'target'>> & ChannelFields & { type: ChannelType; secret: string | null },
): Promise<ChannelRow> =>
  (
    await q.query<ChannelRow>(
      `INSERT INTO notification_channels
         (customer_id, name, type, target, secret, min_severity, escalate_after_seconds, repeat_seconds, is_active)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${CHANNEL_COLUMNS}`,
      [
        customerId,
        c.name ?? null,
        c.type,
        c.target,
        c.secret,
        c.min_severity ?? 'warning',
        c.escalate_after_seconds ?? 0,
        c.repeat_seconds ?? null,
        c.is_active ?? true,
      ],
    )
  )[0]!;

/** Changes the given fields (undefined = unchanged; repeat_seconds null = no repeat). */
export const updateChannel = async (
  q: Sql,
  customerId: string,
  id: string,
  c: ChannelFields,
): Promise<ChannelRow | undefined> =>
  (
    await q.query<ChannelRow>(
      `UPDATE notification_channels SET
         name = CASE WHEN $3::boolean THEN $4 ELSE name END,
         target = COALESCE($5, target),
         min_severity = COALESCE($6, min_severity),
         escalate_after_seconds = COALESCE($7, escalate_after_seconds),
         repeat_seconds = CASE WHEN $8::boolean THEN $9::integer ELSE repeat_seconds END,
         is_active = COALESCE($10, is_active),
         updated_at = now()
       WHERE customer_id = $1 AND id = $2 RETURNING ${CHANNEL_COLUMNS}`,
      [
        customerId,
        id,
        c.name !== undefined,
        c.name ?? null,
        c.target ?? null,
        c.min_severity ?? null,
        c.escalate_after_seconds ?? null,
        c.repeat_seconds !== undefined,
        c.repeat_seconds ?? null,
        c.is_active ?? null,
      ],
    )
  )[0];

/**
 * Deletes a channel (call inside a transaction). Its delivery log stays (channel_id becomes null);
 * messages still waiting for it are given up first, since nobody wants mail from a channel they removed.
 */
export const deleteChannel = async (q: Sql, customerId: string, id: string): Promise<boolean> => {
  await q.query(
    `UPDATE notification_outbox SET status = 'failed', last_error = 'channel deleted before delivery',
            locked_until = NULL
     WHERE channel_id = $2 AND customer_id = $1 AND status = 'pending'`,
    [customerId, id],
  );
  const rows = await q.query(
    'DELETE FROM notification_channels WHERE customer_id = $1 AND id = $2 RETURNING 1',
    [customerId, id],
  );
  return rows.length > 0;
};

/** A channel by id, whoever owns it (the CLI acts for the operator, not for a customer). */
export const findChannelById = async (q: Sql, id: string): Promise<ChannelRow | undefined> =>
  (await q.query<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM notification_channels WHERE id = $1`, [id]))[0];

/** The secret of a webhook channel (HMAC key), for signing only. */
export const findChannelSecret = async (q: Sql, id: string): Promise<string | null> =>
  (
    await q.query<{ secret: string | null }>('SELECT secret FROM notification_channels WHERE id = $1', [id])
  )[0]?.secret ?? null;

// ---------- the outbox / delivery log ----------

export type OutboxStatus = 'pending' | 'sent' | 'failed';
export type OutboxEventName = 'started' | 'escalated' | 'repeat' | 'cleared' | 'test';

export interface OutboxRow {
  id: number;
  idempotency_key: string;
  customer_id: string;
  channel_id: string | null;
  alarm_id: string | null;
  event: OutboxEventName;
  channel_type: ChannelType;
  target: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const OUTBOX_FIELDS = [
  'id',
  'idempotency_key',
  'customer_id',
  'channel_id',
  'alarm_id',
  'event',
  'channel_type',
  'target',
  'status',
  'attempts',
  'next_attempt_at',
  'last_error',
  'created_at',
  'sent_at',
];
const OUTBOX_COLUMNS = OUTBOX_FIELDS.join(', ');

export interface DeliveryFilter {
  customerId: string;
  /** A token limited to some units sees deliveries about those units' alarms, and none about others. */
  unitIds: readonly string[];
  status?: OutboxStatus;
  channelId?: string;
  alarmId?: string;
  limit: number;
  offset: number;
}

/** A customer's delivery log, newest first. */
export const listDeliveries = async (
  q: Sql,
  f: DeliveryFilter,
): Promise<{ rows: OutboxRow[]; total: number }> => {
  const where = `o.customer_id = $1
    AND ($2::text IS NULL OR o.status = $2) AND ($3::uuid IS NULL OR o.channel_id = $3)
    AND ($4::uuid IS NULL OR o.alarm_id = $4)
    AND (cardinality($5::uuid[]) = 0 OR o.alarm_id IS NULL
         OR EXISTS (SELECT 1 FROM alarms a WHERE a.id = o.alarm_id AND a.storage_unit_id = ANY($5::uuid[])))`;
  const params = [f.customerId, f.status ?? null, f.channelId ?? null, f.alarmId ?? null, f.unitIds];
  const rows = await q.query<OutboxRow>(
    `SELECT ${OUTBOX_FIELDS.map((c) => `o.${c}`).join(', ')} FROM notification_outbox o WHERE ${where}
     ORDER BY o.created_at DESC, o.id DESC LIMIT $6 OFFSET $7`,
    [...params, f.limit, f.offset],
  );
  const [count] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM notification_outbox o WHERE ${where}`,
    params,
  );
  return { rows, total: count?.n ?? 0 };
};

export const findDelivery = async (q: Sql, id: number): Promise<OutboxRow | undefined> =>
  (await q.query<OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM notification_outbox WHERE id = $1`, [id]))[0];

/** Queues a test message to a channel, or an ad-hoc target when id is null (due at once); returns its row. */
export const insertTestDelivery = async (
  q: Sql,
  channel: { id: string | null; customer_id: string; type: ChannelType; target: string },
  key: string,
  now: Date,
): Promise<OutboxRow> =>
  (
    await q.query<OutboxRow>(
      `INSERT INTO notification_outbox
         (idempotency_key, customer_id, channel_id, alarm_id, event, channel_type, target, next_attempt_at)
       VALUES ($1, $2, $3, NULL, 'test', $4, $5, $6) RETURNING ${OUTBOX_COLUMNS}`,
      [key, channel.customer_id, channel.id, channel.type, channel.target, now],
    )
  )[0]!;

/**
 * Claims due rows for sending: each gets a lease (locked_until) and its attempt counted before any
 * message leaves, in one short statement, so a second notifier skips them (SKIP LOCKED) and a crashed
 * one's rows come back when the lease ends. `onlyId` claims one given row (a test send).
 */
export const claimDueDeliveries = (
  q: Sql,
  now: Date,
  leaseMs: number,
  limit: number,
  onlyId?: number,
): Promise<OutboxRow[]> =>
  q.query<OutboxRow>(
    `UPDATE notification_outbox SET locked_until = $1::timestamptz + make_interval(secs => $2::double precision / 1000),
            attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM notification_outbox
       WHERE status = 'pending' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
         AND ($4::bigint IS NULL OR id = $4)
       ORDER BY next_attempt_at, id LIMIT $3
       FOR UPDATE SKIP LOCKED)
     RETURNING ${OUTBOX_COLUMNS}`,
    [now, leaseMs, limit, onlyId ?? null],
  );

/**
 * Records the outcome of the attempt `attempts` of row `id`. A result of an older attempt (the lease
 * ran out and another notifier took the row over) does not overwrite the newer one.
 * `retryAt` null with an error: given up (status failed).
 */
export const recordDeliveryOutcome = async (
  q: Sql,
  id: number,
  attempts: number,
  outcome: { ok: true; at: Date } | { ok: false; error: string; retryAt: Date | null },
): Promise<boolean> => {
  const rows = outcome.ok
    ? await q.query(
        `UPDATE notification_outbox SET status = 'sent', sent_at = $3, locked_until = NULL, last_error = NULL
         WHERE id = $1 AND attempts = $2 AND status = 'pending' RETURNING 1`,
        [id, attempts, outcome.at],
      )
    : await q.query(
        `UPDATE notification_outbox SET status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = COALESCE($4, next_attempt_at), locked_until = NULL, last_error = $3
         WHERE id = $1 AND attempts = $2 AND status = 'pending' RETURNING 1`,
        [id, attempts, outcome.error.slice(0, 2000), outcome.retryAt],
      );
  return rows.length > 0;
};

// ---------- what a message says ----------

/** Everything a message about an alarm names, in one row. */
export interface AlarmMessageRow {
  id: string;
  kind: string;
  severity: Severity;
  state: string;
  rule_snapshot: Record<string, unknown>;
  threshold_c: number | null;
  peak_c: number | null;
  started_at: Date;
  confirmed_at: Date;
  detected_at: Date;
  late: boolean;
  cleared_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  comment: string | null;
  customer_name: string;
  customer_code: string;
  timezone: string;
  facility_name: string | null;
  facility_code: string | null;
  unit_name: string | null;
  unit_code: string | null;
  temperature_unit: 'C' | 'F' | null;
  latest_c: number | null;
  latest_at: Date | null;
}

export const findAlarmMessage = async (q: Sql, alarmId: string): Promise<AlarmMessageRow | undefined> =>
  (
    await q.query<AlarmMessageRow>(
      `SELECT a.id, a.kind, a.severity, a.state, a.rule_snapshot, a.threshold_c, a.peak_c, a.started_at,
              a.confirmed_at, a.detected_at, a.late, a.cleared_at, a.acknowledged_at, a.acknowledged_by, a.comment,
              c.name AS customer_name, c.customer_code, c.timezone,
              f.name AS facility_name, f.facility_code, u.name AS unit_name, u.unit_code, u.temperature_unit,
              r.temperature_c AS latest_c, r.recorded_at AS latest_at
       FROM alarms a JOIN customers c ON c.id = a.customer_id
       LEFT JOIN facilities f ON f.id = a.facility_id
       LEFT JOIN storage_units u ON u.id = a.storage_unit_id
       LEFT JOIN LATERAL (
         SELECT t.temperature_c, t.recorded_at FROM temperature_readings t
         WHERE t.unit_key = ${unitKeySql('a.storage_unit_id')} ORDER BY t.recorded_at DESC LIMIT 1) r ON true
       WHERE a.id = $1`,
      [alarmId],
    )
  )[0];

export interface CustomerMessageRow {
  customer_name: string;
  customer_code: string;
  timezone: string;
}

export const findCustomerMessage = async (
  q: Sql,
  customerId: string,
): Promise<CustomerMessageRow | undefined> =>
  (
    await q.query<CustomerMessageRow>(
      'SELECT name AS customer_name, customer_code, timezone FROM customers WHERE id = $1',
      [customerId],
    )
  )[0];
