import { fmtNum } from '../lib/format.ts';

export interface RangeBar {
  key: string;
  label: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  count?: number;
  href?: string;
}

/**
 * Facility comparison: per row a bar from min to max with a mark at the average, on one shared
 * scale (plain CSS, no canvas). `data-points` counts the rows with data.
 */
export const RangeBars = ({
  rows,
  unit,
  label,
  testid,
}: {
  rows: RangeBar[];
  unit: string;
  label: string;
  testid?: string;
}) => {
  const withData = rows.filter((r) => r.min !== null && r.max !== null);
  const lo = Math.min(...withData.map((r) => r.min!));
  const hi = Math.max(...withData.map((r) => r.max!));
  const span = hi - lo || 1;
  const pct = (v: number) => `${(((v - lo) / span) * 100).toFixed(2)}%`;
  return (
    <figure class="rangebars" data-testid={testid} data-points={withData.length} aria-label={label}>
      <div class="table-wrap">
        <table class="rangebars-table">
          <caption class="sr-only">{label}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" class="rb-track-col">
                Range (min – avg – max)
              </th>
              <th scope="col" class="num">
                Avg °{unit}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <th scope="row">{r.href ? <a href={r.href}>{r.label}</a> : r.label}</th>
                <td class="rb-track-col">
                  {r.min !== null && r.max !== null ? (
                    <div
                      class="rb-track"
                      title={`min ${fmtNum(r.min)} · avg ${fmtNum(r.avg)} · max ${fmtNum(r.max)} °${unit}`}
                    >
                      <div
                        class="rb-range"
                        style={{ left: pct(r.min), width: `calc(${pct(r.max)} - ${pct(r.min)})` }}
                      />
                      {r.avg !== null && <div class="rb-avg" style={{ left: pct(r.avg) }} />}
                    </div>
                  ) : (
                    <span class="muted">no data</span>
                  )}
                </td>
                <td class="num">
                  {fmtNum(r.avg)}
                  <span class="muted small">
                    {' '}
                    ({fmtNum(r.min)} … {fmtNum(r.max)})
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <figcaption class="chart-caption">
        {label}; scale {fmtNum(lo)} to {fmtNum(hi)} °{unit}
      </figcaption>
    </figure>
  );
};

export interface Share {
  key: string;
  label: string;
  count: number;
  tone?: string;
}

/** Counts as a stacked bar plus a legend with numbers and percentages. */
export const ShareBar = ({ items, label, testid }: { items: Share[]; label: string; testid?: string }) => {
  const total = items.reduce((n, i) => n + i.count, 0);
  return (
    <figure
      class="sharebar"
      data-testid={testid}
      data-points={items.filter((i) => i.count > 0).length}
      aria-label={label}
    >
      <div class="sharebar-track" aria-hidden="true">
        {total > 0 &&
          items
            .filter((i) => i.count > 0)
            .map((i) => (
              <div
                key={i.key}
                class={`sharebar-seg tone-bg-${i.tone ?? i.key}`}
                style={{ width: `${(i.count / total) * 100}%` }}
              />
            ))}
      </div>
      <ul class="sharebar-legend">
        {items.map((i) => (
          <li key={i.key} data-status={i.key}>
            <span class={`dot tone-bg-${i.tone ?? i.key}`} aria-hidden="true" />
            {i.label}:{' '}
            <strong data-testid={testid ? `${testid}-${i.key}` : undefined}>
              {i.count.toLocaleString()}
            </strong>
            <span class="muted"> ({total ? ((i.count / total) * 100).toFixed(1) : '0.0'} %)</span>
          </li>
        ))}
      </ul>
    </figure>
  );
};
