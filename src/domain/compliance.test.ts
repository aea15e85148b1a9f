import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { complianceOfSeries, figuresOf, type SeriesReading, type UnitConventions } from './compliance.ts';
import {
  complianceOfRollups,
  fullHourCount,
  type ReadBlock,
  type RollupTotals,
} from './compliance-rollups.ts';
import { arrheniusTerm, DEFAULT_ACTIVATION_KELVIN } from './mkt.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 1);

const fridge = (intervalMs = 10 * MIN, maxGapMs = 30 * MIN): UnitConventions => ({
  limits: { lowC: 2, highC: 8 },
  intervalMs,
  maxGapMs,
  activationK: DEFAULT_ACTIVATION_KELVIN,
});

const series = (values: number[], stepMs: number, fromMs = T0): SeriesReading[] =>
  values.map((celsius, i) => ({ atMs: fromMs + i * stepMs, celsius }));

describe('complianceOfSeries (the definition)', () => {
  it('weighs each reading by its hold: an excursion of one 10-min reading at 12 °C', () => {
    const readings = series([5, 5, 12, 5, 5, 5], 10 * MIN);
    const f = figuresOf(
      complianceOfSeries(
        { readings, nextAtMs: T0 + 60 * MIN, startMs: T0, endMs: T0 + HOUR, nowMs: T0 + 2 * HOUR },
        fridge(),
      ),
      DEFAULT_ACTIVATION_KELVIN,
    );
    expect(f).toMatchObject({
      excursions: 1,
      excursion_minutes: 10,
      degree_minutes: 40,
      monitored_minutes: 60,
      time_in_range_minutes: 50,
      time_in_range_pct: 83.33,
      readings: 6,
      expected_readings: 6,
      completeness_pct: 100,
      longest_gap_minutes: 10,
      min_c: 5,
      max_c: 12,
    });
    expect(f.mean_c).toBeCloseTo((5 * 5 + 12) / 6, 3);
  });

  it('caps a hold at the max gap, so a 2 h gap neither stretches the reading before it nor biases MKT', () => {
    const readings = [...series([5, 5, 5], 10 * MIN), ...series([5, 5, 5], 10 * MIN, T0 + 140 * MIN)];
    const s = complianceOfSeries(
      { readings, nextAtMs: null, startMs: T0, endMs: T0 + 3 * HOUR, nowMs: T0 + 3 * HOUR },
      fridge(),
    );
    const f = figuresOf(s, DEFAULT_ACTIVATION_KELVIN);
    // 10 + 10 + 30 (capped) + 10 + 10 + 10 (the newest: one interval)
    expect(f.monitored_minutes).toBe(80);
    expect(f.longest_gap_minutes).toBe(120);
    expect(f.mkt_c).toBe(5);
    expect(f.expected_readings).toBe(18);
    expect(f.completeness_pct).toBe(33.33);
  });

  it('ends an excursion at an in-range reading or at a gap longer than the max gap', () => {
    const readings = [
      ...series([9, 9, 5, 9], 10 * MIN),
      { atMs: T0 + 90 * MIN, celsius: 9 }, // 60 min after the previous one: a new excursion
      { atMs: T0 + 100 * MIN, celsius: 1 }, // below: continues it (outside either side)
    ];
    const s = complianceOfSeries(
      { readings, nextAtMs: T0 + 110 * MIN, startMs: T0, endMs: T0 + 2 * HOUR, nowMs: T0 + 2 * HOUR },
      fridge(),
    );
    expect(s.excursions).toBe(3);
    // holds: 10, 10, (5), 30 (capped), 10, 10 → outside 10+10+30+10+10
    expect(s.excursionMs).toBe(70 * MIN);
    expect(s.degreeMs).toBe((10 + 10 + 30 + 10) * MIN * 1 + 10 * MIN * 1);
  });

  it('counts the gaps at the window edges, and a window without readings as one gap', () => {
    const empty = complianceOfSeries(
      { readings: [], nextAtMs: null, startMs: T0, endMs: T0 + HOUR, nowMs: T0 + 10 * HOUR },
      fridge(),
    );
    expect(figuresOf(empty, DEFAULT_ACTIVATION_KELVIN)).toMatchObject({
      mkt_c: null,
      time_in_range_pct: null,
      longest_gap_minutes: 60,
      completeness_pct: 0,
    });
  });
});

/**
 * The rollup path's input built from readings as the database would: sums over the whole hours, the
 * partial edge hours read, and the whole hours read by the rule in compliance-rollups.ts.
 */
const rollupInput = (readings: SeriesReading[], startMs: number, endMs: number, u: UnitConventions) => {
  const a = Math.min(Math.ceil(startMs / HOUR) * HOUR, endMs);
  const b = Math.max(Math.floor(endMs / HOUR) * HOUR, a);
  const within = (x: number, y: number) => readings.filter((r) => r.atMs >= x && r.atMs < y);
  const edge = (x: number, y: number): ReadBlock[] =>
    y > x ? [{ readings: within(x, y), inTotals: false, afterUnread: false }] : [];
  const byHour = new Map<number, SeriesReading[]>();
  for (const r of within(a, b)) {
    const h = Math.floor(r.atMs / HOUR) * HOUR;
    byHour.set(h, [...(byHour.get(h) ?? []), r]);
  }
  const filled = [...byHour.entries()].sort(([x], [y]) => x - y);
  const wanted = filled.flatMap(([h, rs], i) => {
    const dirty = rs.some((r) => r.celsius < u.limits.lowC || r.celsius > u.limits.highC);
    const gapBeside =
      (i > 0 && filled[i - 1]![0] < h - HOUR) || (i + 1 < filled.length && filled[i + 1]![0] > h + HOUR);
    const keep =
      dirty || rs.length < fullHourCount(u.intervalMs) || i === 0 || i === filled.length - 1 || gapBeside;
    return keep ? [i] : [];
  });
  const whole = within(a, b);
  const totals: RollupTotals = {
    readings: whole.length,
    celsiusSum: whole.reduce((x, r) => x + r.celsius, 0),
    termSum: whole.reduce((x, r) => x + arrheniusTerm(r.celsius, DEFAULT_ACTIVATION_KELVIN), 0),
    minC: whole.length ? Math.min(...whole.map((r) => r.celsius)) : null,
    maxC: whole.length ? Math.max(...whole.map((r) => r.celsius)) : null,
  };
  const blocks = wanted.map((i, k): ReadBlock => ({
    readings: filled[i]![1],
    inTotals: true,
    afterUnread: i - (wanted[k - 1] ?? -1) > 1,
  }));
  return {
    totals,
    blocks: [...edge(startMs, a), ...blocks, ...edge(b, endMs)],
    anyUnread: wanted.length < filled.length,
    startMs,
    endMs,
    nowMs: endMs + HOUR,
    wanted: wanted.map((i) => filled[i]![0]),
  };
};

describe('complianceOfRollups (count-weighted) equals the definition for regular readings', () => {
  it('holds for random regular series with excursions, any phase and interval', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(60_000, 229_000, 600_000, 1_800_000),
        fc.integer({ min: 0, max: 59 }),
        fc.array(
          fc.oneof(fc.double({ min: 3, max: 7, noNaN: true }), fc.double({ min: -5, max: 20, noNaN: true })),
          {
            minLength: 1,
            maxLength: 400,
          },
        ),
        (intervalMs, phaseMin, values) => {
          const u = fridge(intervalMs, Math.max(15 * MIN, 3 * intervalMs));
          const startMs = T0;
          const readings = series(values, intervalMs, startMs + phaseMin * MIN);
          const endMs = readings.at(-1)!.atMs + 1;
          const raw = complianceOfSeries(
            { readings, nextAtMs: readings.at(-1)!.atMs + intervalMs, startMs, endMs, nowMs: endMs + HOUR },
            u,
          );
          const fast = complianceOfRollups(rollupInput(readings, startMs, endMs, u), u);
          const a = figuresOf(raw, DEFAULT_ACTIVATION_KELVIN);
          const b = figuresOf(fast, DEFAULT_ACTIVATION_KELVIN);
          expect(b.mkt_c).toBeCloseTo(a.mkt_c!, 6);
          expect(b.mean_c).toBeCloseTo(a.mean_c!, 6);
          expect({ ...b, mkt_c: 0, mean_c: 0 }).toEqual({ ...a, mkt_c: 0, mean_c: 0 });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads raw only the hours that need it: none of a clean, complete day but its first and last', () => {
    const u = fridge();
    const readings = series(
      Array.from({ length: 144 }, () => 5),
      10 * MIN,
    );
    const input = rollupInput(readings, T0, T0 + 24 * HOUR, u);
    expect(input.wanted).toEqual([T0, T0 + 23 * HOUR]);
  });
});
