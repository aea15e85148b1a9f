import { Type } from 'typebox';
import { DateTime, DateTimeInput, Nullable, Pagination, StringEnum, TempUnit, Uuid } from './common.ts';
import { Feed } from './figures.ts';

const Str = (max = 255) => Type.String({ maxLength: max });
const NStr = (max = 255) => Nullable(Str(max));
const NNum = Nullable(Type.Number());
const NDate = Nullable(DateTime);

export const EQUIPMENT_STATUSES = ['normal', 'warning', 'error', 'failure', 'maintenance'] as const;

// ---------- readings ----------
export const Reading = Type.Object({
  id: Type.String(),
  customer_id: Uuid,
  facility_id: Uuid,
  storage_unit_id: Uuid,
  temperature: NNum,
  temperature_unit: TempUnit,
  temperature_c: NNum,
  recorded_at: DateTime,
  sensor_id: NStr(),
  quality_score: Type.Number(),
  equipment_status: Type.String(),
  created_at: DateTime,
  facility_name: Type.String({ description: "The facility's name, else its code" }),
  facility_code: Type.String(),
  unit_name: Type.String({ description: "The storage unit's name, else its code" }),
  unit_code: Type.String(),
});

/** A unit's newest reading, judged against its customer's collection period and its alarm band. */
export const LatestReading = Type.Object({
  ...Reading.properties,
  overdue: Type.Boolean({
    description:
      "Older than 2 × the longer of the customer's collection period and the unit's reading period, + 5 min: show the unit as offline",
  }),
  excursion: Type.Boolean({ description: "Outside the unit's alarm_low_limit / alarm_high_limit" }),
});

export const RangeQuery = {
  start_date: Type.Optional(DateTimeInput),
  end_date: Type.Optional(DateTimeInput),
};

export const ReadingFilters = {
  ...RangeQuery,
  min_temperature: Type.Optional(Type.Number({ minimum: -1000, maximum: 2000 })),
  max_temperature: Type.Optional(Type.Number({ minimum: -1000, maximum: 2000 })),
  equipment_status: Type.Optional(StringEnum(EQUIPMENT_STATUSES)),
  quality_score: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'exact quality score' })),
  min_quality: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  sensor_id: Type.Optional(Type.String({ maxLength: 255 })),
  unit: Type.Optional(TempUnit),
};

export const ReadingListQuery = Type.Object({ ...Pagination, ...ReadingFilters });
export const AdminReadingListQuery = Type.Object({
  ...Pagination,
  ...ReadingFilters,
  customer_id: Type.Optional(Uuid),
});
export const ExportQuery = Type.Object({
  ...ReadingFilters,
  facility_id: Type.Optional(Uuid),
  storage_unit_id: Type.Optional(Uuid),
});

export const ReadingCreate = Type.Object({
  storage_unit_id: Uuid,
  temperature: Nullable(Type.Number({ minimum: -500, maximum: 2000 })),
  temperature_unit: TempUnit,
  recorded_at: DateTimeInput,
  sensor_id: Type.String({ minLength: 1, maxLength: 255 }),
  quality_score: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
  equipment_status: StringEnum(EQUIPMENT_STATUSES, { default: 'normal' }),
});

export const Stats = Type.Object({
  min_temperature: NNum,
  max_temperature: NNum,
  avg_temperature: NNum,
  reading_count: Type.Integer(),
  normal_count: Type.Integer(),
  warning_count: Type.Integer(),
  error_count: Type.Integer(),
  failure_count: Type.Integer(),
  maintenance_count: Type.Integer(),
  unit_count: Type.Integer(),
  time_range_start: NDate,
  time_range_end: NDate,
  temperature_unit: TempUnit,
});

export const StatsQuery = Type.Object({ ...RangeQuery, unit: Type.Optional(TempUnit) });

export const GROUP_KEYS = ['hour', 'day', 'week', 'month', 'facility', 'unit', 'sensor'] as const;
export const AGGREGATIONS = ['avg', 'min', 'max', 'count'] as const;

export const AggregationResult = Type.Object({
  group_key: Type.Record(Type.String(), Nullable(Type.String())),
  metrics: Type.Record(Type.String(), NNum),
  temperature_unit: TempUnit,
});

export const AggregateBody = Type.Object({
  group_by: Type.Array(StringEnum(GROUP_KEYS), { minItems: 1, maxItems: 7 }),
  aggregations: Type.Array(StringEnum(AGGREGATIONS), { minItems: 1, maxItems: 4 }),
  start_date: Type.Optional(Nullable(DateTimeInput)),
  end_date: Type.Optional(Nullable(DateTimeInput)),
  facility_id: Type.Optional(Nullable(Uuid)),
  storage_unit_id: Type.Optional(Nullable(Uuid)),
  tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA zone for time buckets (default UTC)' })),
  unit: Type.Optional(TempUnit),
});

// ---------- facilities and units ----------
export const Facility = Type.Object({
  id: Uuid,
  customer_id: Uuid,
  facility_code: Type.String(),
  name: NStr(),
  city: NStr(),
  country: NStr(),
  latitude: NNum,
  longitude: NNum,
  created_at: DateTime,
  updated_at: DateTime,
  unit_count: Type.Integer(),
});
export const AdminFacility = Type.Object({
  ...Facility.properties,
  customer_code: Type.Optional(Type.String()),
  customer_name: Type.Optional(Type.String()),
});

export const Unit = Type.Object({
  id: Uuid,
  facility_id: Uuid,
  customer_id: Uuid,
  unit_code: Type.String(),
  name: NStr(),
  size_value: Type.Number(),
  size_unit: Type.String(),
  set_temperature: Type.Number(),
  temperature_unit: TempUnit,
  equipment_type: Type.String(),
  alarm_low_limit: NNum,
  alarm_high_limit: NNum,
  data_frequency_seconds: Nullable(Type.Integer()),
  is_active: Type.Boolean(),
  created_at: DateTime,
  updated_at: DateTime,
  current_temperature: NNum,
  current_temperature_unit: Nullable(TempUnit),
  current_equipment_status: NStr(),
  temperature_status: StringEnum(['normal', 'warning', 'critical', 'offline', 'unknown'] as const),
  last_reading_time: NDate,
  overdue: Type.Boolean({
    description: 'The newest reading is overdue (as on /temperature/latest): offline',
  }),
  open_alarms: Type.Integer({ description: 'Alarms not closed (active, or not yet acknowledged)' }),
  alarm_severity: Nullable(
    StringEnum(['warning', 'critical'] as const, {
      description: 'The worst alarm whose condition still holds; it raises temperature_status',
    }),
  ),
});

export const FacilityWithUnits = Type.Object({
  ...Facility.properties,
  units: Type.Array(Unit),
  average_temperature: NNum,
  min_temperature: NNum,
  max_temperature: NNum,
  temperature_unit: TempUnit,
});

const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lon = Type.Number({ minimum: -180, maximum: 180 });
const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });

export const FacilityCreate = Type.Object({
  facility_code: Code,
  name: Type.Optional(NStr()),
  city: Type.Optional(NStr(100)),
  country: Type.Optional(NStr(100)),
  latitude: Type.Optional(Nullable(Lat)),
  longitude: Type.Optional(Nullable(Lon)),
  customer_id: Type.Optional(
    Nullable(Type.String({ description: 'Ignored: the customer comes from the token' })),
  ),
});
export const FacilityUpdate = Type.Object({
  name: Type.Optional(NStr()),
  city: Type.Optional(NStr(100)),
  country: Type.Optional(NStr(100)),
  latitude: Type.Optional(Nullable(Lat)),
  longitude: Type.Optional(Nullable(Lon)),
});

const SizeUnit = StringEnum(['sqm', 'sqft', 'm2', 'ft2'] as const);
const Temp = Type.Number({ minimum: -300, maximum: 1000 });
export const UnitCreate = Type.Object({
  unit_code: Code,
  name: Type.Optional(NStr()),
  size_value: Type.Number({ exclusiveMinimum: 0, maximum: 1e9 }),
  size_unit: SizeUnit,
  set_temperature: Temp,
  temperature_unit: TempUnit,
  equipment_type: Type.String({ minLength: 1, maxLength: 100 }),
  alarm_low_limit: Type.Optional(Nullable(Temp)),
  alarm_high_limit: Type.Optional(Nullable(Temp)),
  data_frequency_seconds: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 86_400 }))),
  facility_id: Type.Optional(
    Nullable(Type.String({ description: 'Ignored: the facility comes from the path' })),
  ),
});
export const UnitUpdate = Type.Object({
  name: Type.Optional(NStr()),
  size_value: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1e9 }))),
  size_unit: Type.Optional(Nullable(SizeUnit)),
  set_temperature: Type.Optional(Nullable(Temp)),
  temperature_unit: Type.Optional(Nullable(TempUnit)),
  equipment_type: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
  alarm_low_limit: Type.Optional(Nullable(Temp)),
  alarm_high_limit: Type.Optional(Nullable(Temp)),
  data_frequency_seconds: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 86_400 }))),
});

// ---------- customers and tokens ----------
export const CustomerProfile = Type.Object({
  id: Uuid,
  customer_code: Type.String(),
  name: Type.String(),
  data_sharing_method: Type.String(),
  data_frequency_seconds: Type.Integer(),
  api_url: NStr(2048),
  timezone: Type.String(),
  data_retention_days: Nullable(
    Type.Integer({
      minimum: 1,
      description:
        "Days raw readings are kept (rollups and the audit trail stay); null: the system's data_retention_days",
    }),
  ),
  is_active: Type.Boolean(),
  created_at: DateTime,
  updated_at: DateTime,
});
export const CustomerDetail = Type.Object({
  ...CustomerProfile.properties,
  facility_count: Type.Integer(),
  unit_count: Type.Integer(),
  active_readings_count: Type.Integer(),
  last_reading_time: NDate,
  feed: Type.Optional(Feed),
});

/**
 * A new name, or null for "unchanged". The null branch is `enum: [null]`, not `type: null`, and
 * comes first: with type coercion on, `type: null` would turn "" into null (an empty name silently
 * ignored), and a string branch tried first would turn null into "".
 */
const NewName = Type.Union(
  [
    Type.Unsafe<null>({ enum: [null], description: 'null leaves the name unchanged' }),
    Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' }),
  ],
  { description: 'Non-empty' },
);
const Method = StringEnum(['api', 'csv'] as const);
const Frequency = Type.Integer({ minimum: 10, maximum: 86_400 });
const ApiUrl = Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$' });
const Tz = Type.String({ minLength: 1, maxLength: 64 });
const RetentionDays = Type.Integer({
  minimum: 1,
  maximum: 36_600,
  description:
    "Days raw readings are kept before the daily retention job deletes them (hourly and daily rollups and the audit trail stay); null: the system's data_retention_days. A change needs a reason.",
});

export const ProfileUpdate = Type.Object({
  name: Type.Optional(NewName),
  timezone: Type.Optional(Nullable(Tz)),
  data_sharing_method: Type.Optional(Nullable(Type.String({ maxLength: 16 }))),
  data_frequency_seconds: Type.Optional(Nullable(Type.Integer())),
  api_url: Type.Optional(Nullable(Type.String({ maxLength: 2048 }))),
  is_active: Type.Optional(Nullable(Type.Boolean())),
});

export const CustomerCreate = Type.Object({
  customer_code: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$' }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  data_sharing_method: Method,
  data_frequency_seconds: Frequency,
  api_url: Type.Optional(Nullable(ApiUrl)),
  timezone: Type.Optional(Tz),
  is_active: Type.Optional(Type.Boolean({ default: true })),
  data_retention_days: Type.Optional(Nullable(RetentionDays)),
});
export const CustomerUpdate = Type.Object({
  name: Type.Optional(NewName),
  data_sharing_method: Type.Optional(Nullable(Method)),
  data_frequency_seconds: Type.Optional(Nullable(Frequency)),
  api_url: Type.Optional(Nullable(ApiUrl)),
  timezone: Type.Optional(Nullable(Tz)),
  is_active: Type.Optional(Nullable(Type.Boolean())),
  data_retention_days: Type.Optional(Nullable(RetentionDays)),
});

export const Token = Type.Object({
  id: Uuid,
  token_name: Type.String(),
  token_prefix: Type.String(),
  permissions: Type.Array(Type.String()),
  rate_limit_per_hour: Type.Integer(),
  accessible_units: Type.Array(Uuid),
  expires_at: NDate,
  last_used_at: NDate,
  created_at: DateTime,
  is_active: Type.Boolean(),
  revoked_at: NDate,
  customer_id: Nullable(Uuid),
  parent_token_id: Type.Union([Uuid, Type.Null()], {
    description: 'The token that created this one (revoked with it); null when an admin or the CLI did',
  }),
});
export const IssuedToken = Type.Object({
  ...Token.properties,
  token: Type.String({ description: 'Shown once' }),
});

export const TokenCreate = Type.Object({
  token_name: Type.String({ minLength: 1, maxLength: 255 }),
  permissions: Type.Array(StringEnum(['read', 'write', 'admin'] as const), {
    minItems: 1,
    maxItems: 3,
    default: ['read'],
  }),
  // No schema default: an omitted limit is the creating token's (at most 1000), decided in auth/tokens.ts.
  rate_limit_per_hour: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: "Default 1000, or the creating token's limit when lower; above the creating token's: 422",
    }),
  ),
  accessible_units: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
  expires_at: Type.Optional(Nullable(DateTimeInput)),
});

// ---------- admin ----------
export const ConfigPutBody = Type.Object({
  value: Type.Unknown({ description: 'Any JSON value' }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
});
export const ConfigPutQuery = Type.Object({
  value: Type.Optional(Type.String({ maxLength: 65_536, description: 'JSON text (the prototype form)' })),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
});
export const ConfigKey = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
});
export const ConfigRow = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  description: NStr(1000),
  updated_at: DateTime,
});

export const IngestionLogQuery = Type.Object({
  ...Pagination,
  ...RangeQuery,
  customer_id: Type.Optional(Uuid),
  status: Type.Optional(StringEnum(['running', 'success', 'partial', 'warning', 'failure'] as const)),
});

// ---------- analytics ----------
export const TrendsQuery = Type.Object({
  ...RangeQuery,
  interval: Type.Optional(
    Type.String({ maxLength: 16, default: 'day', description: 'hour | day | week | month' }),
  ),
  facility_id: Type.Optional(Uuid),
  unit_id: Type.Optional(Uuid),
  tz: Type.Optional(
    Type.String({ maxLength: 64, description: 'IANA zone; days start at local midnight (default UTC)' }),
  ),
  unit: Type.Optional(TempUnit),
});
export const SummaryQuery = Type.Object({
  ...RangeQuery,
  facility_id: Type.Optional(Uuid),
  unit_id: Type.Optional(Uuid),
  unit: Type.Optional(TempUnit),
});
export const PerformanceQuery = Type.Object({ ...RangeQuery, unit: Type.Optional(TempUnit) });
