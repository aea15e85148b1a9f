import type { TemperatureUnit } from '../domain/units.ts';
import type { DataQuality, DataSharingMethod, Reliability, SizeUnit } from '../domain/fleet.ts';

// The prototype's four customer templates (seed-system.md §4.1, the Python values, not the unused YAML copy).

export type TemplateName = 'pharmaceutical' | 'food_storage' | 'small_business' | 'industrial';
export const TEMPLATE_NAMES: readonly TemplateName[] = [
  'pharmaceutical',
  'food_storage',
  'small_business',
  'industrial',
];

/** Inclusive [min, max]. */
export type Range = readonly [number, number];

export interface Location {
  city: string | null;
  country: string;
}

export interface UnitTemplate {
  /** `{id}` is replaced by the unit's number within its facility; null = units are unnamed. */
  namePattern: string | null;
  sizeRange: Range;
  sizeUnit: SizeUnit;
  /** Set-point range in the unit's own temperature unit (°F ranges are not converted, as in the prototype). */
  setPointRange: Range;
  temperatureUnit: TemperatureUnit;
  dataFrequencySecondsRange: Range;
  dataQuality: DataQuality;
}

export interface CustomerTemplate {
  name: TemplateName;
  namePattern: string;
  method: DataSharingMethod;
  facilitiesRange: Range;
  facilityNamePattern: string | null;
  locationPool: readonly Location[];
  unitsPerFacilityRange: Range;
  unit: UnitTemplate;
  csvDownloadFrequencyHours: Range;
  csvUpdateFrequencyMinutes: Range;
  apiPollingFrequencyMinutes: Range;
  /** Customer-level profile; only its reliability label and name/location probabilities differ. */
  dataQuality: DataQuality;
}

export const DEFAULT_DATA_QUALITY: DataQuality = Object.freeze({
  nullReadingProbability: 0.001,
  nullNameProbability: 0,
  nullLocationProbability: 0,
  sensorDriftFactor: 1,
  equipmentReliability: 'high',
  timestampJitterSeconds: 0,
});

const quality = (equipmentReliability: Reliability, over: Partial<DataQuality> = {}): DataQuality =>
  Object.freeze({ ...DEFAULT_DATA_QUALITY, equipmentReliability, ...over });

export const TEMPLATES: Readonly<Record<TemplateName, CustomerTemplate>> = Object.freeze({
  pharmaceutical: {
    name: 'pharmaceutical',
    namePattern: 'Pharma Corp {id}',
    method: 'api',
    facilitiesRange: [1, 2],
    facilityNamePattern: 'Pharma Facility {id}',
    locationPool: [
      { city: 'London', country: 'England' },
      { city: 'Cambridge', country: 'England' },
      { city: 'Oxford', country: 'England' },
    ],
    unitsPerFacilityRange: [2, 8],
    unit: {
      namePattern: 'Ultra-Low Freezer {id}',
      sizeRange: [50, 500],
      sizeUnit: 'sqm',
      setPointRange: [-80, -60],
      temperatureUnit: 'C',
      dataFrequencySecondsRange: [60, 300],
      dataQuality: quality('high', { nullReadingProbability: 0.0001 }),
    },
    csvDownloadFrequencyHours: [12, 48],
    csvUpdateFrequencyMinutes: [5, 15],
    apiPollingFrequencyMinutes: [1, 5],
    dataQuality: quality('high'),
  },
  food_storage: {
    name: 'food_storage',
    namePattern: 'Food Storage Ltd {id}',
    method: 'csv',
    facilitiesRange: [1, 3],
    facilityNamePattern: 'Cold Storage {id}',
    locationPool: [
      { city: 'Manchester', country: 'England' },
      { city: 'Birmingham', country: 'England' },
      { city: null, country: 'England' },
    ],
    unitsPerFacilityRange: [1, 4],
    unit: {
      namePattern: 'Freezer Unit {id}',
      sizeRange: [1000, 10000],
      sizeUnit: 'sqft',
      setPointRange: [-25, 5],
      temperatureUnit: 'F',
      dataFrequencySecondsRange: [300, 900],
      dataQuality: quality('medium', { nullReadingProbability: 0.002 }),
    },
    csvDownloadFrequencyHours: [24, 24],
    csvUpdateFrequencyMinutes: [5, 5],
    apiPollingFrequencyMinutes: [5, 30],
    dataQuality: quality('medium'),
  },
  small_business: {
    name: 'small_business',
    namePattern: 'Local Business {id}',
    method: 'csv',
    facilitiesRange: [1, 1],
    facilityNamePattern: null,
    locationPool: [
      { city: null, country: 'England' },
      { city: 'Leeds', country: 'England' },
      { city: 'Sheffield', country: 'England' },
    ],
    unitsPerFacilityRange: [1, 2],
    unit: {
      namePattern: null,
      sizeRange: [100, 1000],
      sizeUnit: 'sqm',
      setPointRange: [-20, 0],
      temperatureUnit: 'C',
      dataFrequencySecondsRange: [600, 1800],
      dataQuality: quality('low', {
        nullReadingProbability: 0.01,
        nullNameProbability: 0.8,
        nullLocationProbability: 0.5,
      }),
    },
    csvDownloadFrequencyHours: [24, 72],
    csvUpdateFrequencyMinutes: [15, 30],
    apiPollingFrequencyMinutes: [5, 30],
    dataQuality: quality('low', { nullNameProbability: 0.6, nullLocationProbability: 0.4 }),
  },
  industrial: {
    name: 'industrial',
    namePattern: 'Industrial Corp {id}',
    method: 'api',
    facilitiesRange: [2, 5],
    facilityNamePattern: 'Plant {id}',
    locationPool: [
      { city: 'Newcastle', country: 'England' },
      { city: 'Liverpool', country: 'England' },
      { city: 'Glasgow', country: 'Scotland' },
      { city: 'Cardiff', country: 'Wales' },
    ],
    unitsPerFacilityRange: [3, 10],
    unit: {
      namePattern: 'Industrial Freezer {id}',
      sizeRange: [5000, 50000],
      sizeUnit: 'sqft',
      setPointRange: [-30, 10],
      temperatureUnit: 'F',
      dataFrequencySecondsRange: [300, 600],
      dataQuality: quality('medium', { nullReadingProbability: 0.005 }),
    },
    csvDownloadFrequencyHours: [12, 48],
    csvUpdateFrequencyMinutes: [5, 15],
    apiPollingFrequencyMinutes: [10, 20],
    dataQuality: quality('medium'),
  },
});

/** The prototype's template mix for bulk generation. */
export const DEFAULT_DISTRIBUTION: Readonly<Record<TemplateName, number>> = Object.freeze({
  pharmaceutical: 0.1,
  food_storage: 0.4,
  small_business: 0.3,
  industrial: 0.2,
});

export const isTemplateName = (s: string): s is TemplateName =>
  (TEMPLATE_NAMES as readonly string[]).includes(s);
