import type { Sql } from '../db/types.ts';

export type OutboxEvent = 'started' | 'escalated' | 'repeat' | 'cleared' | 'test';

// Every notification is a row of notification_outbox keyed by `${alarm}:${channel}:${event}` (repeats:
// `:repeat:${k}`), inserted with ON CONFLICT DO NOTHING: a replayed evaluation, a second worker or a
// second sweep never queues a message twice. The notifier (notifier.ts) delivers the rows.

/**
 * Queues the notifications an alarm change causes, in the caller's transaction (the same one that
 * stores the change). 'started': one row per active channel of the alarm's customer that takes the
 * alarm's severity and is told at once (escalate_after_seconds = 0). 'cleared': the channels that
 * were told about the alarm, at its start or by an escalation (nobody hears of an end without the
 * beginning), and only while it is unacknowledged: whoever acknowledged it is dealing with it and
 * sees the end on its page, while people paged about an alarm nobody took must learn it is over.
 * The key (alarm, channel, event) makes a repeated call a no-op.
 * @returns the number of rows queued.
 */
export const queueAlarmNotifications = async (
  q: Sql,
  alarmId: string,
  event: 'started' | 'cleared',
): Promise<number> => {
  const rows = await q.query(
    `INSERT INTO notification_outbox (idempotency_key, customer_id, channel_id, alarm_id, event, channel_type, target)
     SELECT a.id || ':' || c.id || ':' || $2, a.customer_id, c.id, a.id, $2, c.type, c.target
     FROM alarms a JOIN notification_channels c ON c.customer_id = a.customer_id
     WHERE a.id = $1 AND c.is_active
       AND (c.min_severity = 'warning' OR a.severity = 'critical')
       AND CASE WHEN $2 = 'started' THEN c.escalate_after_seconds = 0
           ELSE a.acknowledged_at IS NULL AND EXISTS (SELECT 1 FROM notification_outbox o
                        WHERE o.idempotency_key IN (a.id || ':' || c.id || ':started', a.id || ':' || c.id || ':escalated'))
           END
     ORDER BY c.id
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING 1`,
    [alarmId, event],
  );
  return rows.length;
};

/** The alarms that escalation and repeats apply to: active (not acknowledged, not cleared), not shelved. */
const OPEN_UNACKED = `a.state = 'active' AND (a.shelved_until IS NULL OR a.shelved_until <= $1)
  AND c.is_active AND (c.min_severity = 'warning' OR a.severity = 'critical')`;

export interface QueuedNotification {
  alarm_id: string;
  channel_id: string;
}

/**
 * Queues an 'escalated' message to each channel with escalate_after_seconds = N > 0 for every alarm
 * still active and unshelved N s after it was detected (not after it started: nobody could
 * acknowledge a backfilled alarm before tms knew of it), with the alarm event 'escalated', and
 * counts the step in alarms.escalation_level. One statement; only active alarms are read.
 */
export const queueDueEscalations = (q: Sql, now: Date): Promise<QueuedNotification[]> =>
  q.query<QueuedNotification>(
    `WITH due AS (
       SELECT a.id AS alarm_id, a.customer_id, c.id AS channel_id, c.type, c.target, c.escalate_after_seconds
       FROM alarms a JOIN notification_channels c ON c.customer_id = a.customer_id
       WHERE ${OPEN_UNACKED} AND c.escalate_after_seconds > 0
         AND a.detected_at + make_interval(secs => c.escalate_after_seconds) <= $1
     ), queued AS (
       INSERT INTO notification_outbox
         (idempotency_key, customer_id, channel_id, alarm_id, event, channel_type, target, next_attempt_at)
       SELECT alarm_id || ':' || channel_id || ':escalated', customer_id, channel_id, alarm_id, 'escalated', type,
              target, $1
       FROM due ORDER BY alarm_id, channel_id
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING alarm_id, channel_id
     ), events AS (
       INSERT INTO alarm_events (alarm_id, type, at, details)
       SELECT q.alarm_id, 'escalated', $1,
              jsonb_build_object('channel_id', q.channel_id, 'after_seconds', d.escalate_after_seconds)
       FROM queued q JOIN due d USING (alarm_id, channel_id)
     ), levels AS (
       UPDATE alarms a SET escalation_level = a.escalation_level + n.steps, updated_at = now()
       FROM (SELECT alarm_id, count(*)::int AS steps FROM queued GROUP BY alarm_id) n
       WHERE a.id = n.alarm_id
     )
     SELECT alarm_id, channel_id FROM queued`,
    [now],
  );

/**
 * Queues a 'repeat' message to each channel with repeat_seconds = R for every alarm still active and
 * unshelved: the k-th repeat is due R·k s after the channel was first told (detection + its
 * escalate_after_seconds). Only the current k is queued, so a notifier that was away sends one
 * reminder, not a burst. Records the alarm event 'repeated' and alarms.last_repeat_at.
 */
export const queueDueRepeats = (q: Sql, now: Date): Promise<QueuedNotification[]> =>
  q.query<QueuedNotification>(
    `WITH due AS (
       SELECT a.id AS alarm_id, a.customer_id, c.id AS channel_id, c.type, c.target,
              floor((extract(epoch FROM ($1::timestamptz - a.detected_at)) - c.escalate_after_seconds)
                    / c.repeat_seconds)::int AS k
       FROM alarms a JOIN notification_channels c ON c.customer_id = a.customer_id
       WHERE ${OPEN_UNACKED} AND c.repeat_seconds IS NOT NULL
         AND a.detected_at + make_interval(secs => c.escalate_after_seconds + c.repeat_seconds) <= $1
     ), queued AS (
       INSERT INTO notification_outbox
         (idempotency_key, customer_id, channel_id, alarm_id, event, channel_type, target, next_attempt_at)
       SELECT alarm_id || ':' || channel_id || ':repeat:' || k, customer_id, channel_id, alarm_id, 'repeat', type,
              target, $1
       FROM due ORDER BY alarm_id, channel_id
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING alarm_id, channel_id
     ), events AS (
       INSERT INTO alarm_events (alarm_id, type, at, details)
       SELECT q.alarm_id, 'repeated', $1, jsonb_build_object('channel_id', q.channel_id, 'repeat', d.k)
       FROM queued q JOIN due d USING (alarm_id, channel_id)
     ), stamped AS (
       UPDATE alarms a SET last_repeat_at = $1, updated_at = now()
       WHERE a.id IN (SELECT alarm_id FROM queued)
     )
     SELECT alarm_id, channel_id FROM queued`,
    [now],
  );
