import { Type } from 'typebox';
import { DateTime, Nullable, Pagination, StringEnum, Uuid } from './common.ts';

// Notification channels and the delivery log (issue 11). Field names are fixed by the issue.

const ChannelType = StringEnum(['email', 'webhook'] as const, {
  description: 'email: target is one address; webhook: target is an http(s) URL receiving signed JSON POSTs',
});
const Severity = StringEnum(['warning', 'critical'] as const, {
  description: 'The least severe alarm the channel is told about',
});
const Target = Type.String({ minLength: 3, maxLength: 2048 });
const ChannelName = Nullable(Type.String({ maxLength: 255 }));
const EscalateAfter = Type.Integer({
  minimum: 0,
  maximum: 7 * 86_400,
  description:
    '0: told when an alarm starts; N > 0: told only if the alarm is still unacknowledged (and not shelved) N s after it was detected',
});
const Repeat = Nullable(
  Type.Integer({
    minimum: 60,
    maximum: 7 * 86_400,
    description: 'Told again every N s while the alarm is active and unacknowledged; null: never',
  }),
);

export const Channel = Type.Object({
  id: Uuid,
  name: ChannelName,
  type: ChannelType,
  target: Type.String(),
  min_severity: Severity,
  escalate_after_seconds: Type.Integer(),
  repeat_seconds: Nullable(Type.Integer()),
  is_active: Type.Boolean(),
  created_at: DateTime,
  updated_at: DateTime,
});

export const CreatedChannel = Type.Object({
  ...Channel.properties,
  secret: Type.Optional(
    Type.String({
      description:
        'Webhooks only, shown once: the HMAC-SHA256 key of X-TMS-Signature (sha256=<hex> of the raw body)',
    }),
  ),
});

export const ChannelCreate = Type.Object({
  name: Type.Optional(ChannelName),
  type: ChannelType,
  target: Target,
  min_severity: Type.Optional(Severity),
  escalate_after_seconds: Type.Optional(EscalateAfter),
  repeat_seconds: Type.Optional(Repeat),
  is_active: Type.Optional(Type.Boolean()),
});

export const ChannelUpdate = Type.Object({
  name: Type.Optional(ChannelName),
  target: Type.Optional(Target),
  min_severity: Type.Optional(Severity),
  escalate_after_seconds: Type.Optional(EscalateAfter),
  repeat_seconds: Type.Optional(Repeat),
  is_active: Type.Optional(Type.Boolean()),
});

const DeliveryStatus = StringEnum(['pending', 'sent', 'failed'] as const, {
  description: 'pending: queued or waiting for a retry; failed: given up',
});

export const Delivery = Type.Object({
  id: Type.Integer(),
  channel_id: Nullable(Uuid),
  alarm_id: Nullable(Uuid),
  event: StringEnum(['started', 'escalated', 'repeat', 'cleared', 'test'] as const),
  channel_type: Type.String(),
  target: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  last_error: Nullable(Type.String()),
  created_at: DateTime,
  sent_at: Nullable(DateTime),
  next_attempt_at: Nullable(DateTime),
});

export const DeliveryQuery = Type.Object({
  ...Pagination,
  status: Type.Optional(DeliveryStatus),
  channel_id: Type.Optional(Uuid),
  alarm_id: Type.Optional(Uuid),
});
