import type { ComponentChildren } from 'preact';
import { fmtTemp } from '../lib/format.ts';
import type { TempUnit } from '../lib/types.ts';
import { Kpi } from './ui.tsx';

interface TempStats {
  avg_temperature: number | null;
  min_temperature: number | null;
  max_temperature: number | null;
  temperature_unit?: TempUnit | null;
}

/**
 * Average, minimum and maximum of a stats response, in the unit the user chose; `testid` prefixes
 * the figures (`${testid}-avg` …) so browser tests can compare them with the API. Extra KPIs follow.
 */
export const TempKpis = ({
  stats,
  unit,
  testid,
  children,
}: {
  stats: TempStats;
  unit: TempUnit;
  testid: string;
  children?: ComponentChildren;
}) => (
  <div class="kpis">
    <Kpi
      label="Average"
      value={fmtTemp(stats.avg_temperature, stats.temperature_unit, unit, 2)}
      testid={`${testid}-avg`}
    />
    <Kpi
      label="Minimum"
      value={fmtTemp(stats.min_temperature, stats.temperature_unit, unit, 2)}
      testid={`${testid}-min`}
    />
    <Kpi
      label="Maximum"
      value={fmtTemp(stats.max_temperature, stats.temperature_unit, unit, 2)}
      testid={`${testid}-max`}
    />
    {children}
  </div>
);
