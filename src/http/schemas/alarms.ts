import { Type, type Static } from 'typebox';
import { DateTime, DateTimeInput, Nullable, Pagination, StringEnum, TempUnit, Uuid } from './common.ts';

// The alarm API (issue 11): alarms with their record, a unit's rules in its own °C/°F, the
// equipment-type defaults, and the prototype's /analytics/alarms/history. Paths and the first fields of
// AlarmItem are fixed by an outside compatibility test; the rest is ours.

const NNum = Nullable(Type.Number());
const NStr = Nullable(Type.String());
const NDate = Nullable(DateTime);

export const ALARM_STATES = ['active', 'acknowledged', 'cleared', 'closed'] as const;
/** `open` = every state but closed (still active, or still to be acknowledged). */
export const ALARM_STATE_FILTERS = [...ALARM_STATES, 'open'] as const;
export const ALARM_SEVERITIES = ['warning', 'critical'] as const;
export const ALARM_KINDS = [
  'high',
  'low',
  'no_data',
  'sensor_failure',
  'predicted_breach',
  'source_down',
] as const;
export const ALARM_SORTS = ['started_at', 'priority'] as const;

export const AlarmState = StringEnum(ALARM_STATES);
export const AlarmSeverity = StringEnum(ALARM_SEVERITIES);
export const AlarmKind = StringEnum(ALARM_KINDS);

/** One alarm in a list. Temperatures are in `temperature_unit`: the unit's own unless `unit` was asked. */
export const AlarmItem = Type.Object({
  id: Uuid,
  customer_id: Uuid,
  storage_unit_id: Nullable(Uuid),
  facility_id: Nullable(Uuid),
  kind: AlarmKind,
  severity: AlarmSeverity,
  state: AlarmState,
  rule_id: Type.String(),
  started_at: DateTime,
  /** When the delay, cumulative total or count was met (event time). */
  confirmed_at: DateTime,
  /** When tms raised it (wall clock). */
  detected_at: DateTime,
  cleared_at: NDate,
  acknowledged_at: NDate,
  acknowledged_by: NStr,
  comment: NStr,
  shelved_until: NDate,
  shelved_reason: NStr,
  peak_temperature: Nullable(
    Type.Number({ description: 'Highest for high, lowest for low; null for the other kinds' }),
  ),
  threshold: Nullable(Type.Number({ description: "The rule's threshold when it started" })),
  temperature_unit: TempUnit,
  late: Type.Boolean({ description: 'Raised well after it was confirmed (readings arrived late)' }),
  duration_seconds: Type.Number({
    description: 'From started_at to cleared_at, or to now while not cleared',
  }),
  unit_code: NStr,
  unit_name: NStr,
  facility_code: NStr,
  facility_name: NStr,
});

export const AdminAlarmItem = Type.Object({
  ...AlarmItem.properties,
  customer_code: Type.String(),
  customer_name: Type.String(),
});

export const AlarmEventItem = Type.Object(
  {
    type: Type.String({
      description:
        'started, notified, escalated, repeated, notify_failed, acknowledged, shelved, unshelved, cleared',
    }),
    at: DateTime,
  },
  { additionalProperties: true, description: 'Plus the details of the event (by, comment, channel, …)' },
);

/** A rule as the API shows and takes it: temperatures in the unit's own °C/°F. */
export const AlarmRuleItem = Type.Object({
  id: Type.String(),
  kind: StringEnum(['high', 'low', 'no_data', 'sensor_failure', 'predicted_breach'] as const),
  severity: AlarmSeverity,
  threshold: NNum,
  delay_seconds: Type.Number(),
  deadband: Type.Number({ description: 'A temperature difference in the same unit' }),
  clear_delay_seconds: Type.Number(),
  cumulative_seconds: NNum,
  window_seconds: NNum,
  max_gap_seconds: NNum,
  failures_in_row: Nullable(Type.Integer()),
  no_data_seconds: NNum,
  enabled: Type.Boolean(),
  direction: Type.Optional(
    StringEnum(['high', 'low'] as const, { description: 'predicted_breach: a forecast rise or fall' }),
  ),
  horizon_seconds: Type.Optional(Type.Number({ description: 'predicted_breach: how far ahead' })),
  lookback_seconds: Type.Optional(Type.Number({ description: 'predicted_breach: the trend window' })),
});

export const AlarmDetail = Type.Object({
  ...AlarmItem.properties,
  acknowledged_by_token_id: Nullable(Uuid),
  shelved_by: NStr,
  rule: Type.Object({ ...AlarmRuleItem.properties }, { additionalProperties: true }),
  min_temperature: NNum,
  max_temperature: NNum,
  mean_temperature: NNum,
  time_beyond_seconds: Type.Number(),
  degree_minutes: Type.Number({ description: 'Degrees (of temperature_unit) beyond × minutes' }),
  reading_count: Type.Integer(),
  failed_reads: Type.Integer(),
  events: Type.Array(AlarmEventItem),
});

const AlarmFilters = {
  state: Type.Optional(StringEnum(ALARM_STATE_FILTERS)),
  severity: Type.Optional(AlarmSeverity),
  kind: Type.Optional(AlarmKind),
  storage_unit_id: Type.Optional(Uuid),
  facility_id: Type.Optional(Uuid),
  start_date: Type.Optional(DateTimeInput),
  end_date: Type.Optional(DateTimeInput),
  unit: Type.Optional(TempUnit),
  sort: Type.Optional(
    StringEnum(ALARM_SORTS, {
      description:
        'started_at (default): newest first. priority: unacknowledged open alarms first, critical before warning, then newest',
    }),
  ),
};

export const AlarmListQuery = Type.Object({ ...Pagination, ...AlarmFilters });
export const AdminAlarmListQuery = Type.Object({
  ...Pagination,
  ...AlarmFilters,
  customer_id: Type.Optional(Uuid),
});

/** The prototype's query (unit_id, not storage_unit_id), plus our filters. */
export const AlarmHistoryQuery = Type.Object({
  ...Pagination,
  start_date: Type.Optional(DateTimeInput),
  end_date: Type.Optional(DateTimeInput),
  facility_id: Type.Optional(Uuid),
  unit_id: Type.Optional(Uuid),
  state: Type.Optional(StringEnum(ALARM_STATE_FILTERS)),
  severity: Type.Optional(AlarmSeverity),
  unit: Type.Optional(TempUnit),
});

/** An alarm under the names the prototype's dashboard expected, besides ours. */
export const AlarmHistoryItem = Type.Object({
  ...AlarmItem.properties,
  alarm_type: AlarmKind,
  is_active: Type.Boolean({ description: 'Not cleared yet' }),
  temperature: NNum,
  recorded_at: DateTime,
});

export const AlarmDetailQuery = Type.Object({ unit: Type.Optional(TempUnit) });

export const AcknowledgeBody = Type.Object({
  comment: Type.String({ maxLength: 2000, description: 'Required: what was found and done' }),
});

/** Longest shelving: a week. */
export const MAX_SHELVE_MINUTES = 7 * 24 * 60;

export const ShelveBody = Type.Object({
  minutes: Type.Optional(
    Type.Integer({ minimum: 0, maximum: MAX_SHELVE_MINUTES, description: '0 unshelves' }),
  ),
  until: Type.Optional(DateTimeInput),
  reason: Type.Optional(Type.String({ maxLength: 1000, description: 'Required when shelving' })),
});
export const UnshelveBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }),
  Type.Null(),
]);

/** A rule as a client sends it; omitted fields take the defaults of its kind and severity. */
export const AlarmRuleInput = Type.Object({
  id: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9_.:-]+$',
      description: 'Kept across edits',
    }),
  ),
  kind: StringEnum(['high', 'low', 'no_data', 'sensor_failure', 'predicted_breach'] as const),
  severity: AlarmSeverity,
  threshold: Type.Optional(Nullable(Type.Number({ minimum: -300, maximum: 1000 }))),
  delay_seconds: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 30 * 86_400 }))),
  deadband: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 100 }))),
  clear_delay_seconds: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 30 * 86_400 }))),
  cumulative_seconds: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 365 * 86_400 }))),
  window_seconds: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 365 * 86_400 }))),
  max_gap_seconds: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 30 * 86_400 }))),
  failures_in_row: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 10_000 }))),
  no_data_seconds: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 30 * 86_400 }))),
  enabled: Type.Optional(Type.Boolean()),
  direction: Type.Optional(Nullable(StringEnum(['high', 'low'] as const))),
  horizon_seconds: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 7 * 86_400 }))),
  lookback_seconds: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 7 * 86_400 }))),
});

const RuleList = Type.Array(AlarmRuleInput, { maxItems: 50 });
/** PUT takes `{"rules": [...]}` or the bare list. */
export const AlarmRulesPut = Type.Union([Type.Object({ rules: RuleList }), RuleList]);

export const UnitAlarmRules = Type.Object({
  storage_unit_id: Uuid,
  temperature_unit: TempUnit,
  source: StringEnum(['unit', 'equipment_type', 'default'] as const, {
    description:
      "The unit's own rules, its customer's default for its equipment type, or computed from the unit",
  }),
  rules: Type.Array(AlarmRuleItem),
});

export const EquipmentTypeParams = Type.Object({
  equipment_type: Type.String({ minLength: 1, maxLength: 100 }),
});
export const EquipmentTypeRulesQuery = Type.Object({ unit: Type.Optional(TempUnit) });
export const EquipmentTypeRulesPut = Type.Union([
  Type.Object({ rules: RuleList, temperature_unit: Type.Optional(TempUnit) }),
  RuleList,
]);
export const EquipmentTypeRules = Type.Object({
  equipment_type: Type.String(),
  temperature_unit: TempUnit,
  stored: Type.Boolean({
    description: 'false: none stored; each unit of this type computes its defaults from its own limits',
  }),
  rules: Type.Array(AlarmRuleItem),
});

export type AlarmItemDto = Static<typeof AlarmItem>;
export type AdminAlarmItemDto = Static<typeof AdminAlarmItem>;
export type AlarmDetailDto = Static<typeof AlarmDetail>;
export type AlarmRuleDto = Static<typeof AlarmRuleItem>;
export type AlarmRuleInputDto = Static<typeof AlarmRuleInput>;
export type UnitAlarmRulesDto = Static<typeof UnitAlarmRules>;
export type EquipmentTypeRulesDto = Static<typeof EquipmentTypeRules>;
