import { Type } from 'typebox';
import { DateTime, Nullable, StringEnum, TempUnit } from './common.ts';

/**
 * Schemas of the figures that say how they were obtained: the customer's data feed, the
 * performance report (uptime basis, failed reads, exact or approximate deviations).
 */

export const Feed = Type.Object(
  {
    status: StringEnum(['live', 'stale', 'failing', 'unknown'] as const, {
      description:
        'failing: the latest finished ingestion run failed; unknown: no reading yet; stale: the newest reading is older than overdue_after_minutes; live otherwise',
    }),
    newest_reading_at: Nullable(DateTime),
    collection_period_minutes: Type.Number({ description: 'How often the customer is collected' }),
    overdue_after_minutes: Type.Number({ description: '2 × collection period + 5 min' }),
    last_run_at: Nullable(DateTime),
    last_run_status: Nullable(Type.String()),
    last_error: Nullable(Type.String()),
  },
  { description: "State of the customer's data feed, judged against its collection period" },
);

const Pct = Type.Number({ minimum: 0, maximum: 100 });
const NNum = Nullable(Type.Number());

export const Performance = Type.Object({
  uptime: Type.Object({
    uptime_percentage: Pct,
    covered_hours: Type.Integer({ description: 'Σ per unit: UTC hours of its span holding a valid reading' }),
    expected_hours: Type.Integer({
      description:
        "Σ per unit: UTC hours from the later of the window start and the unit's first reading to the earlier of the window end and now",
    }),
    hours_with_readings: Type.Integer({ description: '= covered_hours' }),
    total_hours: Type.Integer({ description: '= expected_hours' }),
    units_measured: Type.Integer(),
    uptime_basis: Type.String(),
  }),
  data_quality: Type.Object({
    total_readings: Type.Integer(),
    good_readings: Type.Integer({ description: 'quality ≥ threshold and not a failed read' }),
    quality_percentage: Pct,
    good_quality_threshold: Type.Number(),
    failed_reads: Type.Integer({ description: "Readings with equipment_status 'failure' (no temperature)" }),
    failed_reads_percentage: Pct,
  }),
  temperature_deviation: Type.Object({
    avg_deviation: NNum,
    max_deviation: NNum,
    min_deviation: NNum,
    temperature_unit: TempUnit,
    max_deviation_basis: Type.Literal('readings_extremes'),
    basis: StringEnum(['readings', 'hourly_means'] as const, { description: 'Of avg and min deviation' }),
    approximate: Type.Boolean({ description: 'True when avg/min deviation come from hourly means' }),
    note: Type.String(),
  }),
  status_distribution: Type.Array(
    Type.Object({ equipment_status: Type.String(), count: Type.Integer(), percentage: Pct }),
  ),
  time_range: Type.Object({ start_date: DateTime, end_date: DateTime }),
});
