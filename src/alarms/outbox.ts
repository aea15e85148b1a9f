import type { Sql } from '../db/types.ts';

export type OutboxEvent = 'started' | 'escalated' | 'repeat' | 'cleared' | 'test';

/**
 * Queues the notifications an alarm change causes, in the caller's transaction (the same one that
 * stores the change): one outbox row per active channel of the alarm's customer that takes the alarm's
 * severity and is told at once (escalate_after_seconds = 0). The key (alarm, channel, event) makes a
 * repeated call a no-op, so a replayed evaluation never queues a second message.
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
     WHERE a.id = $1 AND c.is_active AND c.escalate_after_seconds = 0
       AND (c.min_severity = 'warning' OR a.severity = 'critical')
     ORDER BY c.id
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING 1`,
    [alarmId, event],
  );
  return rows.length;
};
