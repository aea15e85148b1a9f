import { describe, expect, it } from 'vitest';
import { ROW_CAP_FLOOR, rowCapFor } from './row-cap.ts';

const HOUR = 3_600_000;

describe('rowCapFor', () => {
  it('allows three times the expected rows of the window plus a floor', () => {
    // 10 units every 60 s over 48 h: 28,800 expected rows.
    expect(rowCapFor({ readingsPerSecond: 10 / 60, windowMs: 48 * HOUR, ceiling: 1e9 })).toBe(
      ROW_CAP_FLOOR + 3 * 28_800,
    );
  });

  it('counts at least a day, for sources that ignore since/until and serve the last 24 h', () => {
    const day = rowCapFor({ readingsPerSecond: 1, windowMs: 24 * HOUR, ceiling: 1e9 });
    expect(rowCapFor({ readingsPerSecond: 1, windowMs: 5 * 60_000, ceiling: 1e9 })).toBe(day);
    expect(day).toBe(ROW_CAP_FLOOR + 3 * 86_400);
  });

  it('gives a customer without units the floor, and never exceeds the configured ceiling', () => {
    expect(rowCapFor({ readingsPerSecond: 0, windowMs: HOUR, ceiling: 1e9 })).toBe(ROW_CAP_FLOOR);
    expect(rowCapFor({ readingsPerSecond: 1000, windowMs: 168 * HOUR, ceiling: 250_000 })).toBe(250_000);
  });
});
