import { TrendChart } from '../components/TrendChart.tsx';
import { useState } from 'preact/hooks';
import { RangeBars, ShareBar } from '../components/Bars.tsx';
import { Card, Empty, ErrorBox, Kpi, Loading, Pager, StatusBadge, TableWrap } from '../components/ui.tsx';
import { TempKpis } from '../components/TempKpis.tsx';
import { api } from '../lib/api.ts';
import { loadTrend } from '../lib/data.ts';
import {
  dayEnd,
  dayStart,
  fmtDateTime,
  fmtInt,
  fmtNum,
  fmtPct,
  fmtTemp,
  intervalAdjective,
  isoDay,
  toUnit,
} from '../lib/format.ts';
import { useApi, useTitle, useUnit } from '../lib/hooks.ts';
import { href, replaceQuery, type Route } from '../lib/router.ts';
import type { AggregationResult, Alarm, Page, Performance, TemperatureStats } from '../lib/types.ts';

const DAY = 86400_000;

export const AnalyticsPage = ({ route }: { route: Route }) => {
  useTitle('Analytics');
  const unit = useUnit();
  const today = isoDay(new Date());
  const from = route.query.get('from') ?? isoDay(new Date(Date.now() - 6 * DAY));
  const to = route.query.get('to') ?? today;
  const [draft, setDraft] = useState({ from, to });
  const [formError, setFormError] = useState<string | null>(null);
  const [alarmOffset, setAlarmOffset] = useState(0);
  const start = dayStart(from);
  const end = dayEnd(to);
  const spanDays = (Date.parse(end) - Date.parse(start)) / DAY;
  const interval = spanDays <= 3 ? 'hour' : 'day';

  const summary = useApi(
    (signal) =>
      api<TemperatureStats>('/analytics/temperature/summary', {
        query: { start_date: start, end_date: end, unit },
        signal,
      }),
    [start, end, unit],
  );
  const trend = useApi(
    (signal) => loadTrend({ interval, start: new Date(start), end: new Date(end), unit }, signal),
    [start, end, unit, interval],
  );
  const comparison = useApi(
    (signal) =>
      api<AggregationResult[]>('/temperature/aggregate', {
        method: 'POST',
        query: { unit },
        body: {
          group_by: ['facility'],
          aggregations: ['avg', 'min', 'max', 'count'],
          start_date: start,
          end_date: end,
        },
        signal,
      }),
    [start, end, unit],
  );
  const perf = useApi(
    (signal) =>
      api<Performance>('/analytics/performance', {
        query: { start_date: start, end_date: end, unit },
        signal,
      }),
    [start, end, unit],
  );
  const alarms = useApi(
    (signal) =>
      api<Page<Alarm>>('/analytics/alarms/history', {
        query: { start_date: start, end_date: end, limit: 20, offset: alarmOffset, unit },
        signal,
      }),
    [start, end, alarmOffset, unit],
  );

  const apply = (e: Event) => {
    e.preventDefault();
    if (!draft.from || !draft.to) return setFormError('Choose both dates.');
    if (draft.from > draft.to) return setFormError('The start date must not be after the end date.');
    setFormError(null);
    setAlarmOffset(0);
    replaceQuery(route, { from: draft.from, to: draft.to });
  };

  const s = summary.data;
  const p = perf.data;

  return (
    <div class="page">
      <h1>Analytics</h1>
      <Card>
        <form class="filters" onSubmit={apply} aria-label="Date range">
          <div class="field">
            <label for="an-from">From</label>
            <input
              id="an-from"
              type="date"
              value={draft.from}
              max={today}
              onInput={(e) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })}
            />
          </div>
          <div class="field">
            <label for="an-to">To</label>
            <input
              id="an-to"
              type="date"
              value={draft.to}
              max={today}
              onInput={(e) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })}
            />
          </div>
          <button type="submit" class="btn btn-primary" data-testid="apply-range">
            Apply
          </button>
          {[7, 30, 90].map((d) => (
            <a
              key={d}
              class="btn btn-small"
              href={href('/analytics', { from: isoDay(new Date(Date.now() - (d - 1) * DAY)), to: today })}
              onClick={() => setDraft({ from: isoDay(new Date(Date.now() - (d - 1) * DAY)), to: today })}
            >
              Last {d} days
            </a>
          ))}
        </form>
        <ErrorBox error={formError ?? undefined} />
        <p class="muted small" data-testid="range-shown" data-start={start} data-end={end}>
          {fmtDateTime(start)} – {fmtDateTime(end)}
        </p>
      </Card>

      <Card title={`Summary (°${unit})`} id="an-summary">
        <ErrorBox error={summary.error} retry={summary.reload} />
        {summary.loading && !s && <Loading />}
        {s && (
          <TempKpis stats={s} unit={unit} testid="an">
            <Kpi
              label="Readings"
              value={fmtInt(s.reading_count)}
              testid="an-count"
              sub={`${fmtInt(s.unit_count)} units`}
            />
          </TempKpis>
        )}
      </Card>

      <Card title={`Trend (${intervalAdjective(interval)}, °${unit})`} id="an-trend">
        <TrendChart
          trend={trend}
          label={`${interval === 'hour' ? 'Hourly' : 'Daily'} average, minimum and maximum over all units`}
          empty="No readings in this range."
          unit={unit}
          testid="an-trend-chart"
        />
      </Card>

      <div class="grid-2">
        <Card title={`Facility comparison (°${unit})`} id="an-comparison">
          <ErrorBox error={comparison.error} retry={comparison.reload} />
          {comparison.loading && !comparison.data && <Loading />}
          {comparison.data &&
            (comparison.data.length === 0 ? (
              <Empty>No readings in this range.</Empty>
            ) : (
              <RangeBars
                testid="an-comparison-chart"
                label="Average, minimum and maximum per facility"
                unit={unit}
                rows={comparison.data.map((r) => {
                  const c = (v: number | null) => (v === null ? null : toUnit(v, r.temperature_unit, unit));
                  const id = r.group_key.facility_id ?? '';
                  return {
                    key: id,
                    label: r.group_key.facility_name ?? id,
                    href: href(`/facilities/${id}`),
                    avg: c(r.metrics.avg_temperature),
                    min: c(r.metrics.min_temperature),
                    max: c(r.metrics.max_temperature),
                  };
                })}
              />
            ))}
        </Card>
        <Card title="Equipment status of readings" id="an-status">
          <ErrorBox error={perf.error} retry={perf.reload} />
          {perf.loading && !p && <Loading />}
          {p &&
            (p.status_distribution.length === 0 ? (
              <Empty>No readings in this range.</Empty>
            ) : (
              <ShareBar
                testid="an-status-dist"
                label="Readings by equipment status"
                items={p.status_distribution.map((d) => ({
                  key: d.equipment_status,
                  label: d.equipment_status,
                  count: d.count,
                }))}
              />
            ))}
        </Card>
      </div>

      <Card title="Performance" id="an-performance">
        {p && (
          <div class="kpis">
            <Kpi
              label="Uptime"
              value={fmtPct(p.uptime.uptime_percentage)}
              sub={`${fmtInt(p.uptime.covered_hours)} of ${fmtInt(p.uptime.expected_hours)} unit-hours with readings, ${p.uptime.uptime_basis} (${fmtInt(p.uptime.units_measured)} unit${p.uptime.units_measured === 1 ? '' : 's'})`}
              testid="an-uptime"
            />
            <Kpi
              label="Data quality"
              value={fmtPct(p.data_quality.quality_percentage)}
              sub={`${fmtInt(p.data_quality.good_readings)} of ${fmtInt(p.data_quality.total_readings)} readings of good quality (score ≥ ${fmtNum(p.data_quality.good_quality_threshold, 2)}, not failed)`}
              testid="an-quality"
            />
            <Kpi
              label="Failed reads"
              value={fmtInt(p.data_quality.failed_reads)}
              sub={`${fmtPct(p.data_quality.failed_reads_percentage)} of readings had no temperature (sensor failure)`}
              testid="an-failed-reads"
            />
            <Kpi
              label="Max deviation from set point"
              value={`${fmtNum(p.temperature_deviation.max_deviation, 2)} °${unit}`}
              sub="exact: from the readings' lowest and highest values"
              testid="an-max-deviation"
            />
            <Kpi
              label={`Average deviation${p.temperature_deviation.approximate ? ' (approximate)' : ''}`}
              value={`${p.temperature_deviation.approximate ? '≈ ' : ''}${fmtNum(p.temperature_deviation.avg_deviation, 2)} °${unit}`}
              sub={`min ${p.temperature_deviation.approximate ? '≈ ' : ''}${fmtNum(p.temperature_deviation.min_deviation, 2)} °${unit}; ${p.temperature_deviation.basis === 'hourly_means' ? 'from hourly means' : 'from every reading'}`}
              testid="an-deviation"
            />
          </div>
        )}
        {p?.temperature_deviation.approximate && (
          <p class="muted small" data-testid="an-deviation-note" role="note">
            {p.temperature_deviation.note}
          </p>
        )}
        {p && (
          <div class="meters">
            <label>
              Uptime <meter min={0} max={100} value={p.uptime.uptime_percentage} />
            </label>
            <label>
              Data quality <meter min={0} max={100} value={p.data_quality.quality_percentage} />
            </label>
          </div>
        )}
      </Card>

      <Card title="Alarm history" id="an-alarms">
        <ErrorBox error={alarms.error} retry={alarms.reload} />
        {alarms.loading && !alarms.data && <Loading />}
        {alarms.data && alarms.data.items.length === 0 && <Empty>No alarms in this range.</Empty>}
        {alarms.data && alarms.data.items.length > 0 && (
          <>
            <TableWrap label="Alarm history">
              <table data-testid="alarms-table">
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Unit</th>
                    <th scope="col">Type</th>
                    <th scope="col">Severity</th>
                    <th scope="col">State</th>
                    <th scope="col" class="num">
                      Peak
                    </th>
                    <th scope="col">Cleared</th>
                    <th scope="col">Acknowledged</th>
                  </tr>
                </thead>
                <tbody>
                  {alarms.data.items.map((a) => (
                    <tr key={a.id}>
                      <td>
                        <a href={href(`/alarms/${a.id}`)}>{fmtDateTime(a.started_at)}</a>
                      </td>
                      <td>
                        {a.storage_unit_id ? (
                          <a href={href(`/units/${a.storage_unit_id}`)}>{a.unit_name ?? a.storage_unit_id}</a>
                        ) : (
                          '—'
                        )}
                        {a.facility_name && <div class="muted small">{a.facility_name}</div>}
                      </td>
                      <td>{a.type ?? a.alarm_type ?? '—'}</td>
                      <td>
                        <StatusBadge status={a.severity ?? 'unknown'} />
                      </td>
                      <td>{a.state ?? '—'}</td>
                      <td class="num">{fmtTemp(a.peak_temperature, a.temperature_unit ?? unit, unit)}</td>
                      <td>{fmtDateTime(a.cleared_at)}</td>
                      <td>
                        {a.acknowledged_at
                          ? `${a.acknowledged_by ?? ''} ${fmtDateTime(a.acknowledged_at)}`
                          : '—'}
                        {a.comment && <div class="muted small">{a.comment}</div>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <Pager
              offset={alarmOffset}
              limit={20}
              total={alarms.data.total}
              onChange={setAlarmOffset}
              label="Alarms"
            />
          </>
        )}
      </Card>
    </div>
  );
};
