import { describe, expect, it } from 'vitest';
import {
  activationKelvin,
  DEFAULT_ACTIVATION_ENERGY_KJ_MOL,
  DEFAULT_ACTIVATION_KELVIN,
  meanKineticTemperature,
} from './mkt.ts';

const hours = (n: number, celsius: number) => Array.from({ length: n }, () => ({ celsius, weight: 1 }));
const mean = (s: ReadonlyArray<{ celsius: number; weight: number }>) =>
  s.reduce((a, x) => a + x.celsius * x.weight, 0) / s.reduce((a, x) => a + x.weight, 0);

// domain.md §2.1, "Test vectors [computed here]" with ΔH/R = 10,000 K: series, arithmetic mean, MKT.
const VECTORS: Array<{
  name: string;
  series: Array<{ celsius: number; weight: number }>;
  mean: number;
  mkt: number;
}> = [
  { name: '24 × 5 °C', series: hours(24, 5), mean: 5.0, mkt: 5.0 },
  { name: '12 × 2 °C + 12 × 8 °C', series: [...hours(12, 2), ...hours(12, 8)], mean: 5.0, mkt: 5.536 },
  {
    name: '23 h @ 5 °C + 1 h @ 15 °C (24 h controlled-cold window)',
    series: [...hours(23, 5), ...hours(1, 15)],
    mean: 5.417,
    mkt: 5.764,
  },
  {
    name: '12 monthly means 20,21,…,26,…,21',
    series: [20, 21, 22, 23, 24, 25, 26, 25, 24, 23, 22, 21].map((celsius) => ({ celsius, weight: 1 })),
    mean: 23.0,
    mkt: 23.169,
  },
  {
    name: '29 d @ 22 °C + 1 d @ 40 °C (30 d CRT window)',
    series: [...hours(29 * 24, 22), ...hours(24, 40)],
    mean: 22.6,
    mkt: 23.6,
  },
  {
    name: '23 h @ −80 °C + 1 h @ −60 °C',
    series: [...hours(23, -80), ...hours(1, -60)],
    mean: -79.167,
    mkt: -72.866,
  },
];

describe('meanKineticTemperature (domain.md §2.1 test vectors, ΔH/R = 10,000 K)', () => {
  for (const v of VECTORS) {
    it(v.name, () => {
      expect(mean(v.series)).toBeCloseTo(v.mean, 3);
      expect(meanKineticTemperature(v.series)).toBeCloseTo(v.mkt, 3);
    });
  }

  it('weights by duration: one 23 h sample and one 1 h sample equal 24 hourly samples', () => {
    const weighted = [
      { celsius: 5, weight: 23 * 3600 },
      { celsius: 15, weight: 3600 },
    ];
    expect(meanKineticTemperature(weighted)).toBeCloseTo(5.764, 3);
  });

  it('uses ΔH = 83.144 kJ/mol with R = 8.3144 J/(mol·K) by default: ΔH/R = 10,000 K', () => {
    expect(activationKelvin(DEFAULT_ACTIVATION_ENERGY_KJ_MOL)).toBeCloseTo(DEFAULT_ACTIVATION_KELVIN, 9);
  });

  it('lies between the mean and the maximum, and rises with ΔH', () => {
    const s = [...hours(12, 2), ...hours(12, 8)];
    const low = meanKineticTemperature(s, activationKelvin(40))!;
    const high = meanKineticTemperature(s, activationKelvin(120))!;
    expect(low).toBeGreaterThan(5);
    expect(high).toBeGreaterThan(low);
    expect(high).toBeLessThan(8);
  });

  it('is null without weight', () => {
    expect(meanKineticTemperature([])).toBeNull();
    expect(meanKineticTemperature([{ celsius: 5, weight: 0 }])).toBeNull();
  });
});
