/** Response shapes of the REST API (shared/spec api-contract.md, seed-system.md §3.1). */

export type TempUnit = 'C' | 'F';
export type UnitStatus = 'normal' | 'warning' | 'critical' | 'offline' | 'unknown';
export const UNIT_STATUSES: UnitStatus[] = ['normal', 'warning', 'critical', 'offline', 'unknown'];

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
  pages: number;
}

export interface Reading {
  id: string;
  customer_id: string;
  facility_id: string;
  storage_unit_id: string;
  temperature: number | null;
  temperature_unit: TempUnit;
  recorded_at: string;
  sensor_id: string | null;
  quality_score: number;
  equipment_status: string;
  created_at?: string;
  facility_name?: string | null;
  unit_name?: string | null;
}

/** A row of `/temperature/latest`: the newest reading of a unit, with its state. */
export interface LatestReading extends Reading {
  unit_name: string;
  facility_name: string;
  /** No reading within the customer's overdue limit: the unit counts as offline. */
  overdue?: boolean;
  /** The reading lies outside the unit's alarm limits (false without limits or for a failed read). */
  excursion?: boolean;
}

export interface TemperatureStats {
  min_temperature: number | null;
  max_temperature: number | null;
  avg_temperature: number | null;
  reading_count: number;
  normal_count: number;
  warning_count: number;
  error_count: number;
  unit_count: number;
  time_range_start: string | null;
  time_range_end: string | null;
  temperature_unit: TempUnit | null;
}

export interface Facility {
  id: string;
  customer_id: string;
  facility_code: string;
  name: string | null;
  city: string | null;
  country: string | null;
  latitude: number | null;
  longitude: number | null;
  created_at: string;
  customer_code?: string;
  customer_name?: string;
  unit_count?: number;
}

export interface StorageUnit {
  id: string;
  facility_id: string;
  unit_code: string;
  name: string | null;
  size_value: number;
  size_unit: string;
  set_temperature: number;
  temperature_unit: TempUnit;
  equipment_type: string;
  created_at: string;
  current_temperature: number | null;
  current_temperature_unit: TempUnit | null;
  temperature_status: UnitStatus | null;
  last_reading_time: string | null;
  alarm_low_limit?: number | null;
  alarm_high_limit?: number | null;
}

export interface FacilityWithUnits extends Facility {
  units: StorageUnit[];
  unit_count: number;
  average_temperature: number | null;
  min_temperature: number | null;
  max_temperature: number | null;
  temperature_unit?: TempUnit;
}

export interface AggregationResult {
  group_key: Record<string, string | null>;
  metrics: {
    avg_temperature: number | null;
    min_temperature: number | null;
    max_temperature: number | null;
    reading_count: number;
  };
  temperature_unit?: TempUnit;
}

export interface CustomerProfile {
  id: string;
  customer_code: string;
  name: string;
  data_sharing_method: string;
  data_frequency_seconds: number;
  api_url?: string | null;
  is_active: boolean;
  timezone?: string;
  created_at: string;
  updated_at: string;
}

export type FeedStatus = 'live' | 'stale' | 'failing' | 'unknown';

/** Health of a customer's data feed (GET /customers/profile `feed`). */
export interface Feed {
  status: FeedStatus;
  newest_reading_at: string | null;
  collection_period_minutes: number;
  overdue_after_minutes: number;
  last_run_at: string | null;
  last_run_status: string | null;
  last_error: string | null;
}

export interface CustomerDetail extends CustomerProfile {
  facility_count: number;
  unit_count: number;
  active_readings_count: number;
  last_reading_time: string | null;
  /** Absent on an API older than issue 10. */
  feed?: Feed;
}

export interface ApiToken {
  id: string;
  token_name: string;
  permissions: string[];
  rate_limit_per_hour: number;
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
  is_active: boolean;
  token_prefix?: string;
  accessible_units?: string[];
  token?: string;
}

/** GET /analytics/performance: every figure says how it was obtained (see docs of the endpoint). */
export interface Performance {
  uptime: {
    uptime_percentage: number;
    covered_hours: number;
    expected_hours: number;
    hours_with_readings: number;
    total_hours: number;
    units_measured: number;
    uptime_basis: string;
  };
  data_quality: {
    total_readings: number;
    good_readings: number;
    quality_percentage: number;
    good_quality_threshold: number;
    failed_reads: number;
    failed_reads_percentage: number;
  };
  temperature_deviation: {
    avg_deviation: number | null;
    max_deviation: number | null;
    min_deviation: number | null;
    temperature_unit: TempUnit;
    max_deviation_basis: 'readings_extremes';
    basis: 'readings' | 'hourly_means';
    approximate: boolean;
    note: string;
  };
  status_distribution: { equipment_status: string; count: number; percentage: number }[];
  time_range: { start_date: string; end_date: string };
}

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

export interface ConfigEntry {
  value: unknown;
  description: string | null;
  updated_at: string;
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
