import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.ts';
import { backoffSeconds, nextDelaySeconds } from './scheduler.ts';

describe('backoffSeconds (after failed collections, default settings)', () => {
  const { retryBaseSeconds, retryMaxSeconds } = parseConfig({}).ingest;
  // 5 s · 2^(n−1), capped at 10 min.
  const cases: [failures: number, seconds: number][] = [
    [0, 5],
    [1, 5],
    [2, 10],
    [3, 20],
    [4, 40],
    [5, 80],
    [6, 160],
    [7, 320],
    [8, 600],
    [9, 600],
    [50, 600],
    [5_000, 600],
  ];
  it.each(cases)('after %i consecutive failures → %i s', (failures, seconds) => {
    expect(backoffSeconds(failures, retryBaseSeconds, retryMaxSeconds)).toBe(seconds);
  });

  it('follows TMS_RETRY_BASE_SECONDS and TMS_RETRY_MAX_SECONDS', () => {
    const { ingest } = parseConfig({ TMS_RETRY_BASE_SECONDS: '7', TMS_RETRY_MAX_SECONDS: '30' });
    expect(
      [1, 2, 3, 4].map((n) => backoffSeconds(n, ingest.retryBaseSeconds, ingest.retryMaxSeconds)),
    ).toEqual([7, 14, 28, 30]);
  });
});

describe('nextDelaySeconds (after a successful collection)', () => {
  // The period plus a jitter of at most 5 s or 5 % of it, whichever is smaller.
  const cases: [frequency: number, random: number, seconds: number][] = [
    [60, 0, 60],
    [60, 0.5, 61.5],
    [60, 0.999, 62.997],
    [10, 0.999, 10.4995],
    [100, 1, 105],
    [1_560, 0.999, 1_564.995],
    [86_400, 0.5, 86_402.5],
  ];
  it.each(cases)('every %i s, random %d → %d s', (frequency, random, seconds) => {
    expect(nextDelaySeconds(frequency, () => random)).toBeCloseTo(seconds, 9);
  });
});
