import { describe, expect, it } from 'vitest';
import { figuresOf, type UnitConventions } from './compliance.ts';
import { complianceOfDeletedHours } from './compliance-rollups.ts';
import { arrheniusTerm, DEFAULT_ACTIVATION_KELVIN } from './mkt.ts';

// The figures of a period whose raw readings retention deleted, from its hourly rollups alone: what
// the rollups hold is exact, what they cannot tell is bounded on the safe side.

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 1);
const fridge: UnitConventions = {
  limits: { lowC: 2, highC: 8 },
  intervalMs: 10 * MIN,
  maxGapMs: 30 * MIN,
  activationK: DEFAULT_ACTIVATION_KELVIN,
};

/** Three full hours of six readings: 5 °C, then one at 12 °C among five at 5 °C, then 5 °C. */
const input = {
  totals: {
    readings: 18,
    celsiusSum: 17 * 5 + 12,
    termSum: 17 * arrheniusTerm(5, DEFAULT_ACTIVATION_KELVIN) + arrheniusTerm(12, DEFAULT_ACTIVATION_KELVIN),
    minC: 5,
    maxC: 12,
  },
  beyond: [{ t: T0 + HOUR, n: 6, mn: 5, mx: 12 }],
  firstHourMs: T0,
  lastHourMs: T0 + 2 * HOUR,
  maxStepMs: HOUR,
  startMs: T0,
  untilMs: T0 + 3 * HOUR,
};

describe('complianceOfDeletedHours', () => {
  it('keeps what the rollups hold exactly: readings, mean, min, max, MKT, completeness', () => {
    const f = figuresOf(complianceOfDeletedHours(input, fridge), DEFAULT_ACTIVATION_KELVIN);
    expect(f).toMatchObject({
      readings: 18,
      expected_readings: 18,
      completeness_pct: 100,
      min_c: 5,
      max_c: 12,
      mean_c: 5.389,
      monitored_minutes: 180,
      longest_gap_minutes: 10,
    });
    expect(f.mkt_c).toBeGreaterThan(f.mean_c!);
  });

  it('counts every reading of an hour beyond the limits as outside them, by its largest excess', () => {
    const f = figuresOf(complianceOfDeletedHours(input, fridge), DEFAULT_ACTIVATION_KELVIN);
    // The truth is 1 excursion of 10 min and 40 °C·min: these are upper bounds of the minutes.
    expect(f).toMatchObject({ excursions: 1, excursion_minutes: 60, degree_minutes: 240 });
    expect(f.time_in_range_pct).toBeCloseTo((120 / 180) * 100, 2);
  });

  it('joins consecutive hours beyond the limits into one excursion, and measures gaps in hours', () => {
    const s = complianceOfDeletedHours(
      {
        ...input,
        beyond: [
          { t: T0, n: 6, mn: 1, mx: 5 },
          { t: T0 + HOUR, n: 6, mn: 5, mx: 12 },
          { t: T0 + 5 * HOUR, n: 6, mn: 0, mx: 5 },
        ],
        lastHourMs: T0 + 5 * HOUR,
        maxStepMs: 4 * HOUR,
        untilMs: T0 + 8 * HOUR,
      },
      fridge,
    );
    expect(s.excursions).toBe(2);
    expect(s.longestGapMs).toBe(3 * HOUR);
  });

  it('reports an empty period as one gap, without figures', () => {
    const f = figuresOf(
      complianceOfDeletedHours(
        {
          ...input,
          totals: { readings: 0, celsiusSum: 0, termSum: 0, minC: null, maxC: null },
          beyond: [],
          firstHourMs: null,
          lastHourMs: null,
          maxStepMs: 0,
        },
        fridge,
      ),
      DEFAULT_ACTIVATION_KELVIN,
    );
    expect(f).toMatchObject({
      readings: 0,
      mkt_c: null,
      mean_c: null,
      completeness_pct: 0,
      longest_gap_minutes: 180,
    });
  });

  it('refuses another activation energy (the rollups keep only the default terms)', () => {
    expect(() => complianceOfDeletedHours(input, { ...fridge, activationK: 9000 })).toThrow(
      /default activation/,
    );
  });
});
