import {
  complianceUnits,
  deletedHours,
  hoursToRead,
  nextReadingAt,
  readingPoints,
  readingPointsInHours,
  type ComplianceUnitRow,
  type HoursToRead,
  type ReadingPoint,
} from '../db/compliance-repo.ts';
import type { ReadingScope } from '../db/readings-query-repo.ts';
import { defaultNoDataSeconds } from '../domain/alarms/default-rules.ts';
import {
  complianceOfSeries,
  figuresOf,
  mergeSums,
  type ComplianceFigures,
  type ComplianceSums,
  type SeriesReading,
  type UnitConventions,
} from '../domain/compliance.ts';
import {
  complianceOfDeletedHours,
  complianceOfRollups,
  fullHourCount,
  HOUR_MS,
  type ReadBlock,
} from '../domain/compliance-rollups.ts';
import {
  activationKelvin,
  DEFAULT_ACTIVATION_ENERGY_KJ_MOL,
  DEFAULT_ACTIVATION_KELVIN,
} from '../domain/mkt.ts';
import { toCelsius } from '../domain/units.ts';
import { unitPeriodSeconds } from '../fleet/feed.ts';
import { deviationLimits } from '../fleet/fleet.ts';
import { AppError } from '../lib/errors.ts';
import type { FeatureContext } from './context.ts';
import { checkOrder, MAX_RAW_RANGE_DAYS } from './time.ts';

// Compliance figures (issue 12): MKT, time in range, excursions, degree-minutes, completeness, for a
// unit, a facility or a customer over any window [start, end). The definition and its conventions are
// in domain/compliance.ts; the fast rollup path and what it approximates in domain/compliance-rollups.ts.
// Windows up to 31 days, and any window with a non-default activation energy, are computed from every
// reading (exact); longer ones from the hourly rollups (basis 'rollups', approximate, said so).

const DAY_MS = 86_400_000;
const MAX_DAYS = 3660;
/** A custom ΔH reads every reading: as long as a CSV export may be. */
const MAX_RAW_DAYS = 366;

/** The USP <1079.2> windows, rolling back from end_date (or now): 24 h for controlled cold, 30 days for CRT. */
export const COMPLIANCE_WINDOWS = { '24h': DAY_MS, '30d': 30 * DAY_MS } as const;
export type ComplianceWindow = keyof typeof COMPLIANCE_WINDOWS;
export type ComplianceBasis = 'readings' | 'rollups';

export interface ComplianceInput {
  start?: Date;
  end?: Date;
  window?: ComplianceWindow;
  /** Overrides every unit's own ΔH (kJ/mol): for a product of known activation energy. */
  activationEnergyKjMol?: number;
}

/**
 * How often a unit's readings arrive: a CSV file carries every reading the unit takes, so its own
 * period; an API poll returns the current reading, so the longer of the poll and the unit's period
 * (fleet/feed.ts unitPeriodSeconds).
 */
const readingIntervalSeconds = (u: ComplianceUnitRow): number =>
  u.data_sharing_method === 'csv'
    ? (u.unit_frequency_seconds ?? u.customer_frequency_seconds)
    : unitPeriodSeconds(u.customer_frequency_seconds, u.unit_frequency_seconds);

const conventionsOf = (
  u: ComplianceUnitRow,
  criticalDeviationC: number,
  overrideKjMol: number | undefined,
): UnitConventions & { kjPerMol: number } => {
  const setC = toCelsius(u.set_temperature, u.temperature_unit);
  const own = (v: number | null) => (v === null ? null : toCelsius(v, u.temperature_unit));
  const kjPerMol = overrideKjMol ?? u.mkt_activation_energy_kj_mol ?? DEFAULT_ACTIVATION_ENERGY_KJ_MOL;
  return {
    // The unit's alarm band, else set point ∓ the critical deviation: the default alarm rules' band.
    limits: {
      lowC: own(u.alarm_low_limit) ?? setC - criticalDeviationC,
      highC: own(u.alarm_high_limit) ?? setC + criticalDeviationC,
    },
    intervalMs: readingIntervalSeconds(u) * 1000,
    // How long a reading vouches for its value: the default rules' max_gap_seconds (no-data limit).
    maxGapMs:
      defaultNoDataSeconds(unitPeriodSeconds(u.customer_frequency_seconds, u.unit_frequency_seconds)) * 1000,
    activationK:
      kjPerMol === DEFAULT_ACTIVATION_ENERGY_KJ_MOL ? DEFAULT_ACTIVATION_KELVIN : activationKelvin(kjPerMol),
    kjPerMol,
  };
};

const toSeries = (rows: readonly ReadingPoint[]): SeriesReading[] =>
  rows.map((r) => ({ atMs: r.t, celsius: r.c }));

const fromReadings = async (
  ctx: FeatureContext,
  unitId: string,
  start: Date,
  end: Date,
  u: UnitConventions,
): Promise<ComplianceSums> => {
  const [points, nextAtMs] = await Promise.all([
    readingPoints(ctx.db, unitId, start, end),
    nextReadingAt(ctx.db, unitId, end),
  ]);
  return complianceOfSeries(
    {
      readings: toSeries(points),
      nextAtMs,
      startMs: start.getTime(),
      endMs: end.getTime(),
      nowMs: ctx.clock.now().getTime(),
    },
    u,
  );
};

const fromRollups = async (
  ctx: FeatureContext,
  unitId: string,
  start: Date,
  end: Date,
  u: UnitConventions,
): Promise<ComplianceSums> => {
  const s = start.getTime();
  const e = end.getTime();
  const a = Math.min(Math.ceil(s / HOUR_MS) * HOUR_MS, e);
  const b = Math.max(Math.floor(e / HOUR_MS) * HOUR_MS, a);
  // Whole UTC hours [a, b) from the rollups, the partial hours at each edge from readings.
  const edge = async (from: number, to: number): Promise<ReadBlock[]> =>
    to > from
      ? [
          {
            readings: toSeries(await readingPoints(ctx.db, unitId, new Date(from), new Date(to))),
            inTotals: false,
            afterUnread: false,
          },
        ]
      : [];
  const plan: HoursToRead =
    b > a
      ? await hoursToRead(ctx.db, unitId, new Date(a), new Date(b), {
          lowC: u.limits.lowC,
          highC: u.limits.highC,
          fullCount: fullHourCount(u.intervalMs),
        })
      : { totals: { n: 0, s: 0, e: 0, mn: null, mx: null }, filled: 0, hours: [] };
  const [head, points, tail] = await Promise.all([
    edge(s, a),
    readingPointsInHours(
      ctx.db,
      unitId,
      plan.hours.map((h) => h.t),
    ),
    edge(b, e),
  ]);
  const byHour = new Map<number, SeriesReading[]>(plan.hours.map((h) => [h.t, []]));
  for (const p of points) byHour.get(Math.floor(p.t / HOUR_MS) * HOUR_MS)!.push({ atMs: p.t, celsius: p.c });
  const whole = plan.hours.map((h, k): ReadBlock => ({
    readings: byHour.get(h.t)!,
    inTotals: true,
    afterUnread: h.i - (plan.hours[k - 1]?.i ?? 0) > 1,
  }));
  const t = plan.totals;
  return complianceOfRollups(
    {
      totals: { readings: t.n, celsiusSum: t.s, termSum: t.e, minC: t.mn, maxC: t.mx },
      blocks: [...head, ...whole, ...tail],
      anyUnread: plan.hours.length < plan.filled,
      startMs: s,
      endMs: e,
      nowMs: ctx.clock.now().getTime(),
    },
    u,
  );
};

/**
 * The whole UTC hours of [start, end) whose raw readings retention deleted (they all lie before the
 * customer's `deleted_before`), from the hourly rollups (domain/compliance-rollups.ts
 * complianceOfDeletedHours: upper bounds for excursions).
 */
const fromDeletedHours = async (
  ctx: FeatureContext,
  unitId: string,
  start: Date,
  end: Date,
  u: UnitConventions,
): Promise<ComplianceSums> => {
  const a = Math.ceil(start.getTime() / HOUR_MS) * HOUR_MS;
  const b = Math.max(Math.floor(end.getTime() / HOUR_MS) * HOUR_MS, a);
  const h = await deletedHours(ctx.db, unitId, new Date(a), new Date(b), u.limits);
  return complianceOfDeletedHours(
    {
      totals: {
        readings: h.totals.n,
        celsiusSum: h.totals.s,
        termSum: h.totals.e,
        minC: h.totals.mn,
        maxC: h.totals.mx,
      },
      beyond: h.beyond,
      firstHourMs: h.first_t,
      lastHourMs: h.last_t,
      maxStepMs: h.max_step_ms,
      startMs: start.getTime(),
      untilMs: Math.min(end.getTime(), ctx.clock.now().getTime()),
    },
    u,
  );
};

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

export interface UnitCompliance extends ComplianceFigures {
  storage_unit_id: string;
  facility_id: string;
  name: string;
  limits: { low_c: number; high_c: number };
  expected_interval_seconds: number;
  max_gap_minutes: number;
  activation_energy_kj_mol: number;
  basis: ComplianceBasis;
}

export interface ComplianceReport extends ComplianceFigures {
  window: { start_date: Date; end_date: Date; window: ComplianceWindow | null };
  /** Null when the units' activation energies differ (no single MKT). */
  activation_energy_kj_mol: number | null;
  basis: ComplianceBasis | 'mixed';
  approximate: boolean;
  note: string;
  /**
   * The latest instant before which retention deleted raw readings of a unit in scope, when the window
   * starts before it (that part is answered from the hourly rollups); null otherwise.
   */
  readings_deleted_before: Date | null;
  units: UnitCompliance[];
}

/** [start, end) of the request: a rolling USP window back from end (or now), else the dates (30 days by default). */
const windowOf = (input: ComplianceInput, now: Date): { start: Date; end: Date } => {
  const end = input.end ?? now;
  if (input.window) return { start: new Date(end.getTime() - COMPLIANCE_WINDOWS[input.window]), end };
  const start = input.start ?? new Date(end.getTime() - 30 * DAY_MS);
  checkOrder({ start, end });
  if (start.getTime() === end.getTime())
    throw new AppError('VALIDATION', 'start_date must be before end_date');
  if (end.getTime() - start.getTime() > MAX_DAYS * DAY_MS)
    throw new AppError('VALIDATION', `At most ${MAX_DAYS} days per request`);
  return { start, end };
};

const NOTES: Record<ComplianceBasis | 'mixed', string> = {
  readings:
    'Computed from every reading: each holds its value until the next one, for at most max_gap_minutes (duration-weighted).',
  rollups: `Over more than ${MAX_RAW_RANGE_DAYS} days, computed from hourly rollups: each reading counts as one expected interval (count-weighted; equal to the duration-weighted figures when readings are regular). Excursions are counted exactly.`,
  mixed: `Units with a custom activation energy are computed from every reading; the others, over more than ${MAX_RAW_RANGE_DAYS} days, from hourly rollups (count-weighted).`,
};

const DELETED_NOTE =
  ' Raw readings before readings_deleted_before were deleted by retention: that part comes from the hourly rollups (count-weighted; every reading of an hour beyond the limits counts as outside them, so excursion and degree-minutes are upper bounds, time in range a lower bound; the partial hour at the start is not counted).';

/**
 * Compliance figures of every unit in the scope (a unit, a facility, a customer; a token's units) over
 * the window, and of all of them together. `opts.basis` forces a path (tests compare them).
 * @throws AppError VALIDATION for a bad window or a custom ΔH over more than 366 days.
 */
export const complianceReport = async (
  ctx: FeatureContext,
  scope: ReadingScope,
  input: ComplianceInput,
  opts: { basis?: ComplianceBasis } = {},
): Promise<ComplianceReport> => {
  const { start, end } = windowOf(input, ctx.clock.now());
  const spanDays = (end.getTime() - start.getTime()) / DAY_MS;
  const [units, deviation] = await Promise.all([complianceUnits(ctx.db, scope), deviationLimits(ctx)]);
  const perUnit: Array<{ figures: UnitCompliance; sums: ComplianceSums; activationK: number }> = [];
  let deletedBefore: number | null = null;
  // One unit after the other: each is a few statements, and a facility should not take the whole pool.
  for (const row of units) {
    const u = conventionsOf(row, deviation.critical, input.activationEnergyKjMol);
    const custom = u.activationK !== DEFAULT_ACTIVATION_KELVIN;
    if (custom && spanDays > MAX_RAW_DAYS)
      throw new AppError(
        'VALIDATION',
        `With a custom activation energy MKT is computed from every reading: at most ${MAX_RAW_DAYS} days per request`,
      );
    // Retention deleted the raw readings before deleted_before: that part comes from the rollups.
    const splitMs = Math.min(row.deleted_before?.getTime() ?? -Infinity, end.getTime());
    const pruned = splitMs > start.getTime();
    if (pruned) {
      deletedBefore = Math.max(deletedBefore ?? -Infinity, row.deleted_before!.getTime());
      if (custom)
        throw new AppError(
          'VALIDATION',
          `Raw readings before ${row.deleted_before!.toISOString()} were deleted by retention; MKT with a custom activation energy needs them: start the window at or after it`,
        );
    }
    const from = pruned ? new Date(splitMs) : start;
    const restDays = (end.getTime() - from.getTime()) / DAY_MS;
    const basis: ComplianceBasis = pruned
      ? 'rollups'
      : (opts.basis ?? (custom || spanDays <= MAX_RAW_RANGE_DAYS ? 'readings' : 'rollups'));
    const restBasis = opts.basis ?? (custom || restDays <= MAX_RAW_RANGE_DAYS ? 'readings' : 'rollups');
    const parts: ComplianceSums[] = [];
    if (pruned) parts.push(await fromDeletedHours(ctx, row.id, start, new Date(splitMs), u));
    if (end.getTime() > from.getTime())
      parts.push(
        restBasis === 'readings'
          ? await fromReadings(ctx, row.id, from, end, u)
          : await fromRollups(ctx, row.id, from, end, u),
      );
    const sums = parts.length === 1 ? parts[0]! : mergeSums(parts);
    perUnit.push({
      sums,
      activationK: u.activationK,
      figures: {
        storage_unit_id: row.id,
        facility_id: row.facility_id,
        name: row.name,
        limits: { low_c: round(u.limits.lowC, 3), high_c: round(u.limits.highC, 3) },
        expected_interval_seconds: u.intervalMs / 1000,
        max_gap_minutes: round(u.maxGapMs / 60_000, 2),
        activation_energy_kj_mol: u.kjPerMol,
        basis,
        ...figuresOf(sums, u.activationK),
      },
    });
  }
  const ks = new Set(perUnit.map((p) => p.activationK));
  const bases = new Set(perUnit.map((p) => p.figures.basis));
  const basis = bases.size > 1 ? 'mixed' : ([...bases][0] ?? 'readings');
  const kj = new Set(perUnit.map((p) => p.figures.activation_energy_kj_mol));
  return {
    window: { start_date: start, end_date: end, window: input.window ?? null },
    ...figuresOf(
      mergeSums(perUnit.map((p) => p.sums)),
      ks.size === 1 ? [...ks][0]! : ks.size === 0 ? DEFAULT_ACTIVATION_KELVIN : null,
    ),
    activation_energy_kj_mol:
      kj.size === 1 ? [...kj][0]! : kj.size === 0 ? DEFAULT_ACTIVATION_ENERGY_KJ_MOL : null,
    basis,
    approximate: basis !== 'readings',
    note: deletedBefore === null ? NOTES[basis] : NOTES[basis] + DELETED_NOTE,
    readings_deleted_before: deletedBefore === null ? null : new Date(deletedBefore),
    units: perUnit.map((p) => p.figures),
  };
};
