import type { AlarmDirection, AlarmKind, AlarmStats, StatsAccumulator } from './types.ts';

// An alarm's figures as sums, so a pending run's figures can join the alarm's (merge) and the whole
// thing survives a JSON round trip (min/max are null, never ±Infinity, while empty).

export const emptyStats = (): StatsAccumulator => ({
  readings: 0,
  sumC: 0,
  minC: null,
  maxC: null,
  failedReads: 0,
  beyondMs: 0,
  degreeMinutes: 0,
});

/** Counts one good reading (a failed read when temperatureC is null) into `acc`, in place. */
export const addReading = (acc: StatsAccumulator, temperatureC: number | null): void => {
  if (temperatureC === null) {
    acc.failedReads += 1;
    return;
  }
  acc.readings += 1;
  acc.sumC += temperatureC;
  acc.minC = acc.minC === null ? temperatureC : Math.min(acc.minC, temperatureC);
  acc.maxC = acc.maxC === null ? temperatureC : Math.max(acc.maxC, temperatureC);
};

/** Adds an interval of `heldMs` spent `excessC` degrees beyond the threshold (excessC ≥ 0), in place. */
export const addBeyondInterval = (acc: StatsAccumulator, heldMs: number, excessC: number): void => {
  acc.beyondMs += heldMs;
  acc.degreeMinutes += (excessC * heldMs) / 60_000;
};

/** Folds `from` into `into`, in place (a broken clear run's readings belong to the alarm). */
export const mergeStats = (into: StatsAccumulator, from: StatsAccumulator): void => {
  into.readings += from.readings;
  into.sumC += from.sumC;
  into.failedReads += from.failedReads;
  into.beyondMs += from.beyondMs;
  into.degreeMinutes += from.degreeMinutes;
  if (from.minC !== null) into.minC = into.minC === null ? from.minC : Math.min(into.minC, from.minC);
  if (from.maxC !== null) into.maxC = into.maxC === null ? from.maxC : Math.max(into.maxC, from.maxC);
};

/**
 * The record's figures: peak is the max for a high alarm, the min for a low one; a predicted_breach
 * alarm's peak follows its `direction`.
 */
export const summarizeStats = (
  kind: AlarmKind,
  acc: StatsAccumulator,
  direction?: AlarmDirection,
): AlarmStats => {
  const side = kind === 'predicted_breach' ? direction : kind;
  return {
    peakC: side === 'high' ? acc.maxC : side === 'low' ? acc.minC : null,
    minC: acc.minC,
    maxC: acc.maxC,
    meanC: acc.readings > 0 ? acc.sumC / acc.readings : null,
    readings: acc.readings,
    failedReads: acc.failedReads,
    timeBeyondSeconds: acc.beyondMs / 1000,
    degreeMinutes: acc.degreeMinutes,
  };
};
