import { Type } from 'typebox';
import { RangeQuery } from './resources.ts';
import { DateTime, Nullable, StringEnum, Uuid } from './common.ts';

/** Query and response of GET /api/v1/analytics/compliance (src/readings/compliance.ts). */

export const ComplianceQuery = Type.Object({
  ...RangeQuery,
  storage_unit_id: Type.Optional(Uuid),
  facility_id: Type.Optional(Uuid),
  window: Type.Optional(
    StringEnum(['24h', '30d'] as const, {
      description:
        'USP <1079.2> rolling window back from end_date (or now): 24h for controlled cold, 30d for controlled room temperature. Excludes start_date.',
    }),
  ),
  activation_energy_kj_mol: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: 1000,
      description: "ΔH for MKT, kJ/mol, instead of each unit's own (default 83.144: ΔH/R = 10,000 K)",
    }),
  ),
});

/** The admin's query: any customer's units. */
export const AdminComplianceQuery = Type.Object({ ...ComplianceQuery.properties, customer_id: Uuid });

const NNum = Nullable(Type.Number());
const Pct = Nullable(Type.Number({ minimum: 0, maximum: 100 }));
const Basis = StringEnum(['readings', 'rollups'] as const, {
  description:
    'readings: every reading, duration-weighted (exact); rollups: hourly rollups, count-weighted (beyond 31 days)',
});

const figures = {
  mkt_c: Nullable(Type.Number({ description: 'Mean kinetic temperature, °C' })),
  mean_c: Nullable(Type.Number({ description: 'Mean temperature, °C, weighted like MKT' })),
  min_c: NNum,
  max_c: NNum,
  time_in_range_pct: Nullable(
    Type.Number({ minimum: 0, maximum: 100, description: 'Of the monitored time, within the limits' }),
  ),
  time_in_range_minutes: Type.Number(),
  monitored_minutes: Type.Number({
    description: 'Time the readings vouch for: each holds its value until the next, at most max_gap_minutes',
  }),
  excursions: Type.Integer({ description: 'Runs of consecutive readings outside the limits' }),
  excursion_minutes: Type.Number(),
  degree_minutes: Type.Number({ description: '°C × minutes beyond the limit crossed' }),
  readings: Type.Integer({ description: 'Readings with a temperature (failed reads excluded)' }),
  expected_readings: Type.Integer({
    description: 'One per expected interval, up to the earlier of end and now',
  }),
  completeness_pct: Pct,
  longest_gap_minutes: Type.Number({ description: 'Between readings, or from the window edges' }),
};

export const UnitComplianceItem = Type.Object({
  storage_unit_id: Uuid,
  facility_id: Uuid,
  name: Type.String(),
  limits: Type.Object(
    { low_c: Type.Number(), high_c: Type.Number() },
    { description: "The unit's alarm limits, else set point ∓ max_temperature_deviation.critical" },
  ),
  expected_interval_seconds: Type.Number(),
  max_gap_minutes: Type.Number({ description: 'How long one reading vouches for its value at most' }),
  activation_energy_kj_mol: Type.Number(),
  basis: Basis,
  ...figures,
});

export const Compliance = Type.Object({
  window: Type.Object({
    start_date: DateTime,
    end_date: DateTime,
    window: Nullable(StringEnum(['24h', '30d'] as const)),
  }),
  ...figures,
  activation_energy_kj_mol: Nullable(
    Type.Number({ description: "Null when the units' ΔH differ (no MKT then)" }),
  ),
  basis: StringEnum(['readings', 'rollups', 'mixed'] as const),
  approximate: Type.Boolean({ description: 'True when some figures come from rollups (count-weighted)' }),
  note: Type.String(),
  readings_deleted_before: Nullable(
    Type.Unsafe<Date | string>({
      type: 'string',
      format: 'date-time',
      description:
        'Retention deleted the raw readings before this instant and the window starts earlier: that part is answered from the hourly rollups (see note); null otherwise',
    }),
  ),
  units: Type.Array(UnitComplianceItem),
});
