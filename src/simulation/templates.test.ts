import { describe, expect, it } from 'vitest';
import { DEFAULT_DISTRIBUTION, TEMPLATE_NAMES, TEMPLATES } from './templates.ts';

// The prototype's Python values (seed-system.md §4.1), written out independently of templates.ts.
const expected = {
  pharmaceutical: {
    method: 'api',
    facilities: [1, 2],
    units: [2, 8],
    size: [50, 500, 'sqm'],
    setPoint: [-80, -60, 'C'],
    frequency: [60, 300],
    nullP: 0.0001,
    reliability: 'high',
    names: ['Pharma Corp {id}', 'Pharma Facility {id}', 'Ultra-Low Freezer {id}'],
    cities: ['London', 'Cambridge', 'Oxford'],
  },
  food_storage: {
    method: 'csv',
    facilities: [1, 3],
    units: [1, 4],
    size: [1000, 10000, 'sqft'],
    setPoint: [-25, 5, 'F'],
    frequency: [300, 900],
    nullP: 0.002,
    reliability: 'medium',
    names: ['Food Storage Ltd {id}', 'Cold Storage {id}', 'Freezer Unit {id}'],
    cities: ['Manchester', 'Birmingham', null],
  },
  small_business: {
    method: 'csv',
    facilities: [1, 1],
    units: [1, 2],
    size: [100, 1000, 'sqm'],
    setPoint: [-20, 0, 'C'],
    frequency: [600, 1800],
    nullP: 0.01,
    reliability: 'low',
    names: ['Local Business {id}', null, null],
    cities: [null, 'Leeds', 'Sheffield'],
  },
  industrial: {
    method: 'api',
    facilities: [2, 5],
    units: [3, 10],
    size: [5000, 50000, 'sqft'],
    setPoint: [-30, 10, 'F'],
    frequency: [300, 600],
    nullP: 0.005,
    reliability: 'medium',
    names: ['Industrial Corp {id}', 'Plant {id}', 'Industrial Freezer {id}'],
    cities: ['Newcastle', 'Liverpool', 'Glasgow', 'Cardiff'],
  },
} as const;

describe('templates', () => {
  it('has exactly the four prototype templates', () => {
    expect([...TEMPLATE_NAMES].sort()).toEqual(Object.keys(expected).sort());
    expect(DEFAULT_DISTRIBUTION).toEqual({
      pharmaceutical: 0.1,
      food_storage: 0.4,
      small_business: 0.3,
      industrial: 0.2,
    });
  });

  it.each(TEMPLATE_NAMES)('%s carries the prototype parameters', (name) => {
    const t = TEMPLATES[name];
    const e = expected[name];
    expect(t.method).toBe(e.method);
    expect(t.facilitiesRange).toEqual(e.facilities);
    expect(t.unitsPerFacilityRange).toEqual(e.units);
    expect([...t.unit.sizeRange, t.unit.sizeUnit]).toEqual(e.size);
    expect([...t.unit.setPointRange, t.unit.temperatureUnit]).toEqual(e.setPoint);
    expect(t.unit.dataFrequencySecondsRange).toEqual(e.frequency);
    expect(t.unit.dataQuality.nullReadingProbability).toBe(e.nullP);
    expect(t.unit.dataQuality.equipmentReliability).toBe(e.reliability);
    expect([t.namePattern, t.facilityNamePattern, t.unit.namePattern]).toEqual(e.names);
    expect(t.locationPool.map((l) => l.city)).toEqual(e.cities);
  });

  it('gives small businesses unnamed, often unlocated units and the other templates none', () => {
    expect(TEMPLATES.small_business.unit.dataQuality.nullNameProbability).toBe(0.8);
    expect(TEMPLATES.small_business.unit.dataQuality.nullLocationProbability).toBe(0.5);
    expect(TEMPLATES.small_business.dataQuality).toMatchObject({
      nullNameProbability: 0.6,
      nullLocationProbability: 0.4,
    });
    for (const n of ['pharmaceutical', 'food_storage', 'industrial'] as const) {
      expect(TEMPLATES[n].unit.dataQuality.nullNameProbability).toBe(0);
    }
    expect(TEMPLATES.industrial.locationPool.find((l) => l.city === 'Glasgow')?.country).toBe('Scotland');
    expect(TEMPLATES.industrial.apiPollingFrequencyMinutes).toEqual([10, 20]);
    expect(TEMPLATES.small_business.csvDownloadFrequencyHours).toEqual([24, 72]);
  });
});
