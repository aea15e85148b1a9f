import { COLORS, type Series } from '../lib/data.ts';
import type { Loaded } from '../lib/hooks.ts';
import type { TempUnit } from '../lib/types.ts';
import { TimeChart } from './TimeChart.tsx';
import { Empty, ErrorBox, Loading } from './ui.tsx';

/**
 * A trend from the API's buckets: average line inside the min–max band, with loading, error and
 * empty states. Every trend chart of the app (home, facility, analytics, admin) is this one.
 */
export const TrendChart = ({
  trend,
  label,
  empty,
  unit,
  testid,
}: {
  trend: Loaded<Pick<Series, 'x' | 'avg' | 'min' | 'max'>>;
  /** Accessible description of what the chart shows. */
  label: string;
  /** Text when the range holds no readings. */
  empty: string;
  unit: TempUnit;
  testid: string;
}) => (
  <>
    <ErrorBox error={trend.error} retry={trend.reload} />
    {trend.loading && !trend.data && <Loading what="Loading the trend" />}
    {trend.data &&
      (trend.data.x.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <TimeChart
          x={trend.data.x}
          series={[
            { label: 'Max', color: COLORS.max, values: trend.data.max, width: 1 },
            { label: 'Average', color: COLORS.avg, values: trend.data.avg, width: 2 },
            { label: 'Min', color: COLORS.min, values: trend.data.min, width: 1 },
          ]}
          bands={[{ upper: 'Max', lower: 'Min', fill: COLORS.band }]}
          label={label}
          unit={unit}
          testid={testid}
        />
      ))}
  </>
);
