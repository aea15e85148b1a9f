import type { TemperatureUnit } from './units.ts';

// A fleet: customers, their facilities and storage units, as the simulator serves them and the
// seeder stores them. Plain data, read from a fleet file by simulation/fleet.ts.

export type DataSharingMethod = 'api' | 'csv';
export type SizeUnit = 'sqm' | 'sqft';
export type Reliability = 'high' | 'medium' | 'low' | 'faulty';

export interface DataQuality {
  nullReadingProbability: number;
  nullNameProbability: number;
  nullLocationProbability: number;
  sensorDriftFactor: number;
  equipmentReliability: Reliability;
  timestampJitterSeconds: number;
}

export interface FleetUnit {
  code: string;
  name: string | null;
  size: number;
  sizeUnit: SizeUnit;
  setTemperature: number;
  temperatureUnit: TemperatureUnit;
  /** Seconds between two readings of this unit. */
  dataFrequencySeconds: number;
  dataQuality: DataQuality;
  /** Optional in the file (the prototype's units have none): default 'freezer'. */
  equipmentType?: string;
  /** Allowed band in the unit's own scale, when the file states it (default: set point ± 5 °C / 9 °F). */
  alarmLowLimit?: number;
  alarmHighLimit?: number;
}

export interface FleetFacility {
  code: string;
  name: string | null;
  city: string | null;
  country: string | null;
  units: FleetUnit[];
}

export interface FleetCustomer {
  code: string;
  name: string;
  method: DataSharingMethod;
  /** How often our ingestion collects this customer: the API polling period or the CSV update period. */
  collectEverySeconds: number;
  dataConfig: Record<string, number | string>;
  dataQuality: DataQuality;
  facilities: FleetFacility[];
}

export interface Fleet {
  customers: FleetCustomer[];
}

/** The path at which a customer of the prototype serves its readings: JSON for api, CSV for csv. */
export const sourcePath = (method: DataSharingMethod): string =>
  method === 'api' ? '/temperature/current' : '/data/download.csv';

/**
 * Where a fleet customer serves its readings: its source path on the port of its position in the
 * fleet (ports from SIM_PORT_START, in fleet order). The simulator serves them there and the seeder
 * stores them as the customers' source URLs.
 */
export const simulatorUrl = (host: string, port: number, method: DataSharingMethod): string =>
  `http://${host}:${port}${sourcePath(method)}`;
