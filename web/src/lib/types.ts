// Response shapes of the REST API, derived from the server's TypeBox schemas (src/http/schemas), so a
// field added or changed there reaches the dashboard's types. The imports are type-only: nothing of
// the schemas is bundled. Shapes the server describes without a schema are written out at the end.

import type { Static, TSchema } from 'typebox';
import type { Page as ServerPage } from '../../../src/http/schemas/common.ts';
import type {
  Feed as FeedSchema,
  Performance as PerformanceSchema,
} from '../../../src/http/schemas/figures.ts';
import type {
  AdminFacility,
  AggregationResult as AggregationResultSchema,
  ConfigRow,
  CustomerDetail as CustomerDetailSchema,
  CustomerProfile as CustomerProfileSchema,
  FacilityWithUnits as FacilityWithUnitsSchema,
  IssuedToken,
  LatestReading as LatestReadingSchema,
  Reading as ReadingSchema,
  Stats,
  Unit,
} from '../../../src/http/schemas/resources.ts';
import type {
  AdminAlarmItem as AdminAlarmItemSchema,
  AlarmDetail as AlarmDetailSchema,
  AlarmItem as AlarmItemSchema,
  AlarmRuleItem as AlarmRuleSchema,
  UnitAlarmRules as UnitAlarmRulesSchema,
} from '../../../src/http/schemas/alarms.ts';
import type {
  Channel as ChannelSchema,
  Delivery as DeliverySchema,
} from '../../../src/http/schemas/notifications.ts';
import type { ReportSchedule as ReportScheduleSchema } from '../../../src/http/schemas/report-schedules.ts';

/** What a schema's value looks like after JSON: the server's `Date`s arrive as ISO strings. */
type Json<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;
export type Api<S extends TSchema> = Json<Static<S>>;

export type Page<T> = ServerPage<T>;
export type Reading = Api<typeof ReadingSchema>;
/** A row of `/temperature/latest`: the newest reading of a unit, with its state. */
export type LatestReading = Api<typeof LatestReadingSchema>;
export type TemperatureStats = Api<typeof Stats>;
export type TempUnit = Reading['temperature_unit'];
/** A facility; the admin listing adds its customer's code and name. */
export type Facility = Api<typeof AdminFacility>;
export type StorageUnit = Api<typeof Unit>;
export type UnitStatus = StorageUnit['temperature_status'];
export type FacilityWithUnits = Api<typeof FacilityWithUnitsSchema>;
/**
 * The server's `metrics` is a record of the aggregations asked for (its schema cannot name them);
 * the dashboard always asks for avg, min, max and count, so it reads these four.
 */
export type AggregationResult = Omit<Api<typeof AggregationResultSchema>, 'metrics'> & {
  metrics: {
    avg_temperature: number | null;
    min_temperature: number | null;
    max_temperature: number | null;
    reading_count: number;
  };
};
export type CustomerProfile = Api<typeof CustomerProfileSchema>;
export type Feed = Api<typeof FeedSchema>;
export type FeedStatus = Feed['status'];
export type CustomerDetail = Api<typeof CustomerDetailSchema>;
/** A token as listed; `token` (the plaintext) only in the answer that created it. */
export type ApiToken = Omit<Api<typeof IssuedToken>, 'token'> & { token?: string };
/** GET /analytics/performance: every figure says how it was obtained. */
export type Performance = Api<typeof PerformanceSchema>;
export type ConfigEntry = Api<typeof ConfigRow>;

export const UNIT_STATUSES: readonly UnitStatus[] = ['normal', 'warning', 'critical', 'offline', 'unknown'];

// ---------- described by the server without a response schema ----------

export interface Alarm {
  id: string;
  storage_unit_id?: string;
  unit_name?: string | null;
  facility_id?: string;
  facility_name?: string | null;
  type?: string;
  alarm_type?: string;
  severity?: string;
  state?: string;
  started_at?: string;
  cleared_at?: string | null;
  acknowledged_by?: string | null;
  acknowledged_at?: string | null;
  comment?: string | null;
  peak_temperature?: number | null;
  temperature_unit?: TempUnit;
}

export interface Health {
  status: string;
  version: string;
  timestamp: string;
  database: string;
  database_backend?: string;
  rabbitmq: string;
  uptime_seconds: number;
}

export interface IngestionLog {
  id: string;
  customer_id: string | null;
  customer_code?: string | null;
  customer_name?: string | null;
  ingestion_type: string;
  status: string;
  records_processed: number;
  records_succeeded: number;
  records_duplicate?: number;
  records_failed: number;
  start_time: string;
  end_time: string | null;
  duration_ms?: number | null;
  error_message: string | null;
}

// ---------- alarms and notifications (issue 11) ----------

/** An alarm as listed; temperatures in its `temperature_unit` (the display unit when asked with `unit`). */
export type AlarmItem = Api<typeof AlarmItemSchema> &
  Partial<Pick<AdminAlarmItem, 'customer_code' | 'customer_name'>>;
/** /admin/alarms adds the customer. */
export type AdminAlarmItem = Api<typeof AdminAlarmItemSchema>;
export type AlarmDetail = Api<typeof AlarmDetailSchema>;
export type AlarmEventItem = AlarmDetail['events'][number] & Record<string, unknown>;
export type AlarmSeverity = AlarmItem['severity'];
export type AlarmState = AlarmItem['state'];
/** A rule of GET/PUT /units/{id}/alarm-rules, in the unit's own temperature unit. */
export type AlarmRuleItem = Api<typeof AlarmRuleSchema>;
export type UnitAlarmRules = Api<typeof UnitAlarmRulesSchema>;

/** A notification channel; `secret` (a webhook's signing key) only in the answer that created it. */
export type NotificationChannel = Api<typeof ChannelSchema> & { secret?: string };
/** A row of the delivery log (GET /notifications); a test send answers with one too. */
export type Delivery = Api<typeof DeliverySchema>;
/** A scheduled facility report (GET /report-schedules). */
export type ReportSchedule = Api<typeof ReportScheduleSchema>;
