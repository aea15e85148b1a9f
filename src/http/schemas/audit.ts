import { Type } from 'typebox';
import { DateTime, DateTimeInput, Nullable, Pagination, StringEnum, Uuid } from './common.ts';

// The audit trail's API (issue 12): entries newest first, and the admin's chain check. The dashboard's
// audit page reads exactly these shapes.

const NStr = Nullable(Type.String());

export const AuditActor = Type.Object({
  kind: StringEnum(['token', 'cli', 'system'] as const, {
    description: 'token: an API token; cli: `cli:<os user>`; system: a background job',
  }),
  token_id: Nullable(Uuid),
  name: Type.String({ description: "The token's name, `cli:<os user>` or `system:<job>`" }),
});

export const AuditEntry = Type.Object({
  id: Uuid,
  seq: Type.Integer({ description: 'Position in the hash chain (gapless from 1)' }),
  at: DateTime,
  actor: AuditActor,
  customer_id: Nullable(Uuid),
  entity_type: Type.String(),
  entity_id: NStr,
  action: Type.String(),
  changes: Type.Object(
    {},
    {
      additionalProperties: true,
      description: '{field: {old, new}} for the fields that changed; `_details` holds counts and ranges',
    },
  ),
  reason: NStr,
  hash: Type.String({ description: 'SHA-256 over prev_hash and the entry' }),
  prev_hash: Type.String(),
});

const AuditFilters = {
  entity_type: Type.Optional(Type.String({ maxLength: 100 })),
  entity_id: Type.Optional(Type.String({ maxLength: 200 })),
  action: Type.Optional(Type.String({ maxLength: 100 })),
  actor: Type.Optional(
    Type.String({ maxLength: 200, description: "Part of the actor's name (any case), or its token id" }),
  ),
  start_date: Type.Optional(DateTimeInput),
  end_date: Type.Optional(DateTimeInput),
};

export const AuditListQuery = Type.Object({ ...Pagination, ...AuditFilters });
export const AdminAuditListQuery = Type.Object({
  ...Pagination,
  ...AuditFilters,
  customer_id: Type.Optional(Uuid),
});

export const AuditChainReport = Type.Object({
  ok: Type.Boolean(),
  verified: Type.Integer({ description: 'Entries that fit the chain before the first break' }),
  head: Nullable(Type.Object({ seq: Type.Integer(), hash: Type.String() })),
  broken: Type.Optional(Type.Object({ seq: Type.Integer(), id: Uuid, at: DateTime, problem: Type.String() })),
});
