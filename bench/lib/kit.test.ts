import { describe, expect, it } from 'vitest';
import { leastSquaresSlope, median, p95, percentile } from './kit.ts';

describe('percentile', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted on purpose

  it('takes the sorted value at ⌊p/100 · n⌋, capped at the last', () => {
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 50)).toBe(51);
    expect(percentile(xs, 99)).toBe(100);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it('agrees with median and p95 and leaves its input alone', () => {
    const copy = [...xs];
    expect(percentile(xs, 95)).toBe(p95(xs));
    expect(percentile(xs, 50)).toBe(median(xs));
    expect(xs).toEqual(copy);
  });

  it('is NaN for no values', () => {
    expect(percentile([], 99)).toBeNaN();
  });
});

describe('leastSquaresSlope', () => {
  it('recovers the slope of a line exactly', () => {
    const hours = [0, 0.25, 0.5, 0.75, 1];
    expect(
      leastSquaresSlope(
        hours,
        hours.map((h) => 400 + 12 * h),
      ),
    ).toBeCloseTo(12, 10);
    expect(
      leastSquaresSlope(
        hours,
        hours.map((h) => 3 - 2 * h),
      ),
    ).toBeCloseTo(-2, 10);
  });

  it('is zero for a flat series with noise symmetric about the middle', () => {
    expect(leastSquaresSlope([0, 1, 2, 3, 4], [5, 6, 4, 6, 5])).toBeCloseTo(0, 10);
  });

  it('fits noisy points by least squares, not end to end', () => {
    // End to end 40/4 = 10; the fit: Σ(x−x̄)(y−ȳ) / Σ(x−x̄)² = 82 / 10.
    expect(leastSquaresSlope([0, 1, 2, 3, 4], [0, 1, 2, 3, 40])).toBeCloseTo(8.2, 10);
    expect(leastSquaresSlope([0, 1, 2, 3, 4], [0, 4, 0, 4, 4])).toBeCloseTo(0.8, 10);
  });

  it('skips pairs that are not finite, and is NaN without two distinct x', () => {
    expect(leastSquaresSlope([0, 1, 2, 3], [0, NaN, 2, 3])).toBeCloseTo(1, 10);
    expect(leastSquaresSlope([0], [1])).toBeNaN();
    expect(leastSquaresSlope([2, 2, 2], [1, 2, 3])).toBeNaN();
    expect(leastSquaresSlope([], [])).toBeNaN();
  });
});
