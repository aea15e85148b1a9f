import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkNoData } from './data-loss.ts';
import { evaluate, initialAlarmState, openAlarm } from './evaluate.ts';
import { evaluateSeries } from './reference.ts';
import type { AlarmEvent, AlarmReading, AlarmRule, AlarmStats } from './types.ts';

// For random series and rules, the incremental path over any chunking — each chunk shuffled, the
// state round-tripped through JSON between chunks (as a database would store it), and earlier chunks
// redelivered after later ones, with the no-data sweep between batches — gives exactly the reference's
// events (times equal, figures equal to 1e-9: sums are added in a different grouping) and the same open
// alarm. predicted_breach's sliding lookback window is held to the reference's window chosen afresh.

const T0 = Date.UTC(2026, 0, 1);

const ruleArb: fc.Arbitrary<AlarmRule> = fc
  .record({
    kind: fc.constantFrom(
      'high',
      'low',
      'high',
      'low',
      'sensor_failure',
      'no_data',
      'predicted_breach',
      'predicted_breach',
    ),
    direction: fc.constantFrom('high', 'low'),
    horizon_seconds: fc.constantFrom(600, 1800, 3600),
    lookback_seconds: fc.constantFrom(900, 1800, 3600),
    severity: fc.constantFrom('warning', 'critical'),
    threshold_c: fc.integer({ min: -4, max: 4 }).map((x) => x / 2),
    delay_seconds: fc.constantFrom(0, 60, 300, 600, 900, 1800),
    deadband_c: fc.constantFrom(0, 0.5, 1, 2),
    clear_delay_seconds: fc.constantFrom(0, 60, 300, 900),
    cumulative: fc.option(
      fc.record({
        cumulative_seconds: fc.constantFrom(600, 1800, 3600),
        extra: fc.constantFrom(0, 1800, 7200),
      }),
      { freq: 3 },
    ),
    max_gap_seconds: fc.constantFrom(600, 1800, 3600),
    failures_in_row: fc.integer({ min: 1, max: 4 }),
    no_data_seconds: fc.constantFrom(600, 1800, 3600),
    enabled: fc.integer({ min: 0, max: 9 }).map((x) => x > 0),
  })
  .map(({ cumulative, direction, horizon_seconds, lookback_seconds, ...r }) => ({
    id: 'r1',
    ...r,
    ...(r.kind === 'predicted_breach' ? { direction, horizon_seconds, lookback_seconds } : {}),
    ...(cumulative && r.kind !== 'predicted_breach'
      ? {
          cumulative_seconds: cumulative.cumulative_seconds,
          window_seconds: cumulative.cumulative_seconds + cumulative.extra,
        }
      : {}),
  })) as fc.Arbitrary<AlarmRule>;

/** Readings with unique times: gaps from 30 s to 2 h, values on a 0.5 °C grid so ties with thresholds are common. */
const noiseArb: fc.Arbitrary<AlarmReading[]> = fc
  .array(
    fc.record({
      gapS: fc.oneof(fc.integer({ min: 30, max: 600 }), fc.constantFrom(60, 300, 3600, 7200)),
      value: fc.option(
        fc.integer({ min: -10, max: 10 }).map((x) => x / 2),
        { freq: 9 },
      ),
    }),
    { minLength: 0, maxLength: 120 },
  )
  .map((steps) => {
    let t = T0;
    return steps.map(({ gapS, value }) => {
      t += gapS * 1000;
      return { recordedAtMs: t, temperatureC: value };
    });
  });

/**
 * Longer series that trend (for predicted_breach): the slope wanders, the value follows it on the
 * 0.5 °C grid; mostly short gaps, now and then a long one or a failed read.
 */
const trendArb: fc.Arbitrary<AlarmReading[]> = fc
  .array(
    fc.record({
      gapS: fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 30, max: 600 }) },
        { weight: 1, arbitrary: fc.constantFrom(3600, 7200) },
      ),
      turn: fc.option(fc.integer({ min: -2, max: 2 }), { freq: 19 }),
    }),
    { minLength: 10, maxLength: 150, size: 'max' },
  )
  .map((steps) => {
    let t = T0;
    let level = 0;
    let slope = 0;
    return steps.map(({ gapS, turn }) => {
      t += gapS * 1000;
      if (turn === null) return { recordedAtMs: t, temperatureC: null };
      slope = Math.max(-0.5, Math.min(0.5, slope + turn * 0.1 - 0.02 * level));
      level = Math.max(-8, Math.min(8, level + slope));
      // `|| 0`: JSON (the stored state) has no -0.
      return { recordedAtMs: t, temperatureC: Math.round(level * 2) / 2 || 0 };
    });
  });

const seriesArb: fc.Arbitrary<AlarmReading[]> = fc.oneof(noiseArb, trendArb);

interface Delivery {
  chunks: AlarmReading[][];
}

/** Cuts the series into chunks, shuffles each, and redelivers some earlier chunks later on. */
const deliveryArb = (series: AlarmReading[]): fc.Arbitrary<Delivery> =>
  fc
    .record({
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, series.length - 1) }), { maxLength: 12 }),
      seeds: fc.array(fc.integer(), { minLength: 30, maxLength: 30 }),
      redeliveries: fc.array(fc.nat(), { maxLength: 4 }),
    })
    .map(({ cuts, seeds, redeliveries }) => {
      const bounds = [0, ...cuts.filter((c) => c < series.length).sort((a, b) => a - b), series.length];
      const chunks: AlarmReading[][] = [];
      for (let k = 0; k + 1 < bounds.length; k++) {
        const chunk = series.slice(bounds[k], bounds[k + 1]);
        const seed = seeds[k % seeds.length] as number;
        chunks.push(
          chunk
            .map((r, i) => ({ r, key: (i * 2654435761 + seed) >>> 0 }))
            .sort((a, b) => a.key - b.key)
            .map((x) => x.r),
        );
      }
      for (const pick of redeliveries) {
        if (chunks.length === 0) break;
        const from = pick % chunks.length;
        const at = from + 1 + (pick % (chunks.length - from));
        chunks.splice(at, 0, [...(chunks[from] as AlarmReading[])]);
      }
      return { chunks };
    });

const roundStats = (s: AlarmStats): AlarmStats =>
  Object.fromEntries(
    Object.entries(s).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v]),
  ) as unknown as AlarmStats;

const comparable = (events: AlarmEvent[]): unknown[] =>
  events.map((e) => (e.type === 'cleared' ? { ...e, stats: roundStats(e.stats) } : e));

describe('alarm evaluation: incremental equals reference', () => {
  it('gives the reference events and open alarm for any chunking, shuffle and redelivery', () => {
    // The random series must actually exercise predicted_breach (a trend that forecasts, then clears).
    let predictedCleared = 0;
    fc.assert(
      fc.property(
        ruleArb,
        seriesArb.chain((series) => fc.tuple(fc.constant(series), deliveryArb(series))),
        (rule, [series, delivery]) => {
          let state = initialAlarmState();
          const events: AlarmEvent[] = [];
          let skipped = 0;
          for (const chunk of delivery.chunks) {
            // The no-data sweep runs between batches, at the wall-clock time the next new reading arrives.
            const arrivesMs = Math.min(
              ...chunk.map((r) => r.recordedAtMs).filter((t) => t > (state.watermarkMs ?? -Infinity)),
            );
            if (rule.kind === 'no_data' && Number.isFinite(arrivesMs)) {
              const swept = checkNoData(rule, state, arrivesMs);
              events.push(...swept.events);
              state = swept.state;
            }
            const result = evaluate(rule, state, chunk);
            events.push(...result.events);
            skipped += result.skipped;
            state = JSON.parse(JSON.stringify(result.state)) as typeof state;
          }
          const expected = evaluateSeries(rule, series);
          if (rule.kind === 'predicted_breach' && expected.events.some((e) => e.type === 'cleared'))
            predictedCleared++;
          expect(comparable(events)).toEqual(comparable(expected.events));
          const open = openAlarm(rule, state);
          expect(open && { ...open, stats: roundStats(open.stats) }).toEqual(
            expected.open && { ...expected.open, stats: roundStats(expected.open.stats) },
          );
          // Every redelivered reading was skipped, and nothing else was.
          const delivered = delivery.chunks.reduce((n, c) => n + c.length, 0);
          expect(skipped).toBe(delivered - series.length);
        },
      ),
      { numRuns: 1500 },
    );
    expect(predictedCleared).toBeGreaterThan(5);
  });

  it('keeps predicted_breach equal to the reference over a long oscillating series, one reading per call', () => {
    const rule: AlarmRule = {
      id: 'trend',
      kind: 'predicted_breach',
      severity: 'warning',
      threshold_c: 8,
      direction: 'high',
      horizon_seconds: 3600,
      lookback_seconds: 1800,
      delay_seconds: 300,
      deadband_c: 0,
      clear_delay_seconds: 600,
      enabled: true,
    };
    // Slow swings between 2 and 10 °C (period 8 h) with a little jitter and a failed read now and then.
    const series: AlarmReading[] = Array.from({ length: 3000 }, (_, i) => ({
      recordedAtMs: T0 + i * 300_000,
      temperatureC:
        i % 89 === 0 ? null : Math.round((6 + 4 * Math.sin(i / 15.3) + 0.3 * Math.sin(i * 7.1)) * 100) / 100,
    }));
    let state = initialAlarmState();
    const events: AlarmEvent[] = [];
    for (const r of series) {
      const result = evaluate(rule, state, [r]);
      events.push(...result.events);
      state = JSON.parse(JSON.stringify(result.state)) as typeof state;
    }
    const expected = evaluateSeries(rule, series);
    expect(expected.events.length).toBeGreaterThan(20);
    expect(comparable(events)).toEqual(comparable(expected.events));
    // Bounded state: only the readings inside the 30 min lookback are kept.
    expect(state.recent?.length).toBeLessThanOrEqual(7);
  });

  it('does not depend on chunking for a long excursion-heavy series (one reading per call)', () => {
    const rule: AlarmRule = {
      id: 'cum',
      kind: 'high',
      severity: 'critical',
      threshold_c: 8,
      delay_seconds: 0,
      deadband_c: 0.5,
      clear_delay_seconds: 600,
      cumulative_seconds: 3600,
      window_seconds: 4 * 3600,
      enabled: true,
    };
    const series: AlarmReading[] = Array.from({ length: 2000 }, (_, i) => ({
      recordedAtMs: T0 + i * 300_000,
      temperatureC: (8 + 2 * Math.sin(i / 7)) as number | null,
    })).map((r, i) => (i % 97 === 0 ? { ...r, temperatureC: null } : r));
    let state = initialAlarmState();
    const events: AlarmEvent[] = [];
    for (const r of series) {
      const result = evaluate(rule, state, [r]);
      events.push(...result.events);
      state = result.state;
    }
    const expected = evaluateSeries(rule, series);
    expect(expected.events.length).toBeGreaterThan(10);
    expect(comparable(events)).toEqual(comparable(expected.events));
  });
});
