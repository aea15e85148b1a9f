import type { RejectionReason } from './reading-validation.ts';
import type { TemperatureUnit } from './units.ts';

export type EquipmentStatus = 'normal' | 'failure';

/**
 * A validated reading, ready to store. Plain JSON (it travels in queue messages): times are epoch ms,
 * temperatures in °C with the source value and unit kept.
 */
export interface Reading {
  storageUnitId: string;
  facilityId: string;
  recordedAtMs: number;
  /** Null for a failed sensor read. */
  temperatureC: number | null;
  sourceValue: number | null;
  sourceUnit: TemperatureUnit;
  sensorId: string | null;
  qualityScore: number;
  equipmentStatus: EquipmentStatus;
}

export interface RejectionExample {
  /** 1-based data row of the source (in a CSV file, line = row + 1). */
  row: number;
  reason: RejectionReason;
  detail: string;
}

/** What `ingestion_logs.rejection_reasons` holds: counts per reason plus the first examples. */
export interface RejectionSummary {
  counts: Partial<Record<RejectionReason, number>>;
  examples: RejectionExample[];
}
