import { describe, expect, it } from 'vitest';
import {
  EXACT_MAX_PAGES,
  formatEstimate,
  planRowCount,
  planRowCounts,
  SAMPLE_RANGE_PAGES,
  SAMPLE_RANGES,
  sampleOf,
  type LeafStats,
} from './row-estimate.ts';

const leaf = (name: string, reltuples: number, relpages: number, pages: number): LeafStats => ({
  name,
  reltuples,
  relpages,
  pages,
});

describe('planRowCount', () => {
  it('counts a small table exactly, analyzed or not', () => {
    expect(planRowCount([leaf('t', -1, 0, 3)])).toEqual({ kind: 'exact' });
    expect(planRowCount([leaf('t', 5, 1, 1)])).toEqual({ kind: 'exact' });
    expect(planRowCount([leaf('t', 400_000, EXACT_MAX_PAGES, EXACT_MAX_PAGES)])).toEqual({ kind: 'exact' });
    expect(planRowCount([])).toEqual({ kind: 'exact' });
  });

  it('counts exactly by the size on disk now, not by stale statistics that claim millions', () => {
    expect(planRowCount([leaf('t', 12_000_000, 200_000, 10)])).toEqual({ kind: 'exact' });
  });

  it('estimates a large analyzed table from its density scaled to its pages now', () => {
    // Analyzed at 1M rows on 20k pages; the table has grown to 30k pages since.
    expect(planRowCount([leaf('t', 1_000_000, 20_000, 30_000)])).toEqual({
      kind: 'estimate',
      fromStatistics: 1_500_000,
      sample: [],
    });
  });

  it('sums partitions, and samples the large ones never analyzed', () => {
    const plan = planRowCount([
      leaf('p_2026_01', 2_000_000, 40_000, 40_000),
      leaf('p_2026_02', -1, 0, 8_000),
      leaf('p_2026_03', 0, 0, 1_000),
      leaf('p_2026_04', -1, 0, 0),
    ]);
    expect(plan).toEqual({
      kind: 'estimate',
      fromStatistics: 2_000_000,
      sample: [
        sampleOf('p_2026_02', 8_000),
        // Analyzed while empty: no density known, so sampled too.
        { name: 'p_2026_03', pages: 1_000, ranges: expect.any(Array), sampledPages: 512 },
      ],
    });
  });

  it('decides on the sum over partitions: many small partitions of a large table are estimated', () => {
    const parts = Array.from({ length: 24 }, (_, i) => leaf(`p${i}`, 50_000, 1_000, 1_000));
    expect(planRowCount(parts)).toMatchObject({ kind: 'estimate', fromStatistics: 1_200_000 });
  });

  it('takes the threshold as a parameter', () => {
    expect(planRowCount([leaf('t', 10, 1, 2)], 1)).toMatchObject({ kind: 'estimate', fromStatistics: 20 });
  });
});

describe('sampleOf', () => {
  it('spreads runs of contiguous pages evenly over a large leaf, inside it', () => {
    const s = sampleOf('t', 80_000);
    expect(s.sampledPages).toBe(SAMPLE_RANGES * SAMPLE_RANGE_PAGES);
    expect(s.ranges).toHaveLength(SAMPLE_RANGES);
    expect(s.ranges![0]).toEqual({ from: 0, to: SAMPLE_RANGE_PAGES });
    expect(s.ranges![1]!.from).toBe(10_000);
    expect(s.ranges!.at(-1)!.to).toBeLessThanOrEqual(80_000);
  });

  it('counts a leaf of at most that many pages whole', () => {
    expect(sampleOf('t', SAMPLE_RANGES * SAMPLE_RANGE_PAGES)).toEqual({
      name: 't',
      pages: SAMPLE_RANGES * SAMPLE_RANGE_PAGES,
      sampledPages: SAMPLE_RANGES * SAMPLE_RANGE_PAGES,
    });
  });
});

describe('planRowCounts', () => {
  const table = (pages: number, reltuples = pages * 50): LeafStats[] => [leaf('t', reltuples, pages, pages)];

  it('counts every table exactly while together they fit the budget', () => {
    const plans = planRowCounts(
      new Map([
        ['a', table(3000)],
        ['b', table(5000)],
        ['c', table(0)],
      ]),
      8_192,
    );
    expect([...plans.values()].every((p) => p.kind === 'exact')).toBe(true);
  });

  it('spends the budget on the smallest tables first and estimates the rest', () => {
    const plans = planRowCounts(
      new Map([
        ['readings', table(6_000)],
        ['rollups', table(3_000)],
        ['audit', table(2_000)],
        ['alarms', table(0)],
      ]),
      8_192,
    );
    expect(Object.fromEntries([...plans].map(([t, p]) => [t, p.kind]))).toEqual({
      readings: 'estimate',
      rollups: 'exact',
      audit: 'exact',
      alarms: 'exact',
    });
    expect(plans.get('readings')).toEqual({ kind: 'estimate', fromStatistics: 300_000, sample: [] });
  });

  it('defaults to EXACT_MAX_PAGES in all', () => {
    const plans = planRowCounts(
      new Map([
        ['a', table(EXACT_MAX_PAGES / 2)],
        ['b', table(EXACT_MAX_PAGES / 2 + 1)],
      ]),
    );
    expect(plans.get('a')!.kind).toBe('exact');
    expect(plans.get('b')!.kind).toBe('estimate');
  });
});

describe('formatEstimate', () => {
  it('says the figure is approximate, with three significant figures', () => {
    expect(formatEstimate(12_345_678)).toBe('≈ 12.3M');
    expect(formatEstimate(1_234_567_890)).toBe('≈ 1.23G');
    expect(formatEstimate(850_000)).toBe('≈ 850k');
    expect(formatEstimate(999_950)).toBe('≈ 1M');
    expect(formatEstimate(987)).toBe('≈ 987');
  });
});
