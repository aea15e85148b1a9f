import { useMemo } from 'preact/hooks';
import { AckForm, ShelveForm } from '../components/AckDialog.tsx';
import { AlarmStateBadges, SeverityBadge } from '../components/AlarmBadge.tsx';
import { AlarmPlace, PeakVsThreshold } from '../components/AlarmTable.tsx';
import { TimeChart, type ChartSeries } from '../components/TimeChart.tsx';
import { Card, Empty, ErrorBox, Kpi, Loading } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { alarmDurationMs, fmtDuration, kindLabel } from '../lib/alarms.ts';
import { fmtDateTime, fmtNum, fmtTemp, deltaToUnit, toUnit } from '../lib/format.ts';
import { useApi, useTicker, useTitle, useUnit } from '../lib/hooks.ts';
import { loadChart } from '../lib/unit-chart.ts';
import type { AlarmDetail, AlarmEventItem, StorageUnit, TempUnit } from '../lib/types.ts';

const MIN = 60_000;
const H = 60 * MIN;

/** Context around the excursion: a quarter of its length either side, at least 30 min, at most 12 h. */
export const chartWindow = (startMs: number, endMs: number): { start: Date; end: Date } => {
  const margin = Math.min(12 * H, Math.max(30 * MIN, (endMs - startMs) / 4));
  return { start: new Date(startMs - margin), end: new Date(endMs + margin) };
};

const EVENT_LABEL: Record<string, string> = {
  started: 'Started',
  notified: 'Notified',
  escalated: 'Escalated',
  repeated: 'Notified again',
  notify_failed: 'Notification failed',
  acknowledged: 'Acknowledged',
  shelved: 'Shelved',
  unshelved: 'Unshelved',
  cleared: 'Cleared',
};

/** The details an event carries besides its type and time ("by: Night shift, comment: …"). */
const eventDetails = (e: AlarmEventItem): string =>
  Object.entries(e)
    // Ids (token, channel) mean nothing to a reader; the names beside them do.
    .filter(
      ([k, v]) =>
        k !== 'type' && k !== 'at' && !k.endsWith('_id') && v !== null && v !== undefined && v !== '',
    )
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');

/** The threshold the alarm crossed and the value it clears at (threshold ∓ deadband), in `unit`. */
const limitsOf = (a: AlarmDetail, unit: TempUnit) => {
  if (a.threshold === null) return null;
  const threshold = toUnit(a.threshold, a.temperature_unit, unit);
  const band = a.rule.deadband ? deltaToUnit(a.rule.deadband, a.temperature_unit, unit) : 0;
  const clearsAt = band > 0 ? (a.kind === 'low' ? threshold + band : threshold - band) : null;
  return { threshold, clearsAt };
};

const loadAlarmChart = async (a: AlarmDetail, u: StorageUnit, unit: TempUnit, signal: AbortSignal) => {
  const startMs = Date.parse(a.started_at);
  const endMs = a.cleared_at ? Date.parse(a.cleared_at) : Date.now();
  const win = chartWindow(startMs, endMs);
  const chart = await loadChart(u, win.start, win.end, unit, signal);
  const limits = limitsOf(a, unit);
  const series: ChartSeries[] = [...chart.series];
  if (limits && chart.x.length > 0) {
    series.push({
      label: `Threshold (${a.severity} ${a.kind})`,
      color: '#b91c1c',
      values: chart.x.map(() => limits.threshold),
      width: 2,
      dash: [6, 3],
      points: false,
    });
    if (limits.clearsAt !== null)
      series.push({
        label: 'Clears at (deadband)',
        color: '#f59e0b',
        values: chart.x.map(() => limits.clearsAt),
        width: 1,
        dash: [2, 3],
        points: false,
      });
  }
  return { ...chart, series, win, startMs, endMs, limits };
};

/**
 * One alarm: the excursion on the unit's chart with its threshold and the alarm's span shaded, its
 * figures, its events in order, and acknowledging or shelving it.
 */
export const AlarmDetailPage = ({ id }: { id: string }) => {
  const unit = useUnit();
  const now = useTicker(15_000);
  const alarm = useApi(
    (signal) => api<AlarmDetail>(`/alarms/${id}`, { query: { unit }, signal }),
    [id, unit],
  );
  const a = alarm.data;
  useTitle(a ? `${kindLabel(a.kind)} alarm` : 'Alarm');
  const storage = useApi(
    (signal) =>
      a?.storage_unit_id
        ? api<StorageUnit>(`/units/${a.storage_unit_id}`, { query: { unit }, signal })
        : Promise.resolve(undefined),
    [a?.storage_unit_id, unit],
  );
  const u = storage.data;
  const chart = useApi(
    (signal) => (a && u ? loadAlarmChart(a, u, unit, signal) : Promise.resolve(undefined)),
    [a, u, unit],
  );
  const shades = useMemo(
    () =>
      chart.data
        ? [{ from: chart.data.startMs / 1000, to: chart.data.endMs / 1000, fill: 'rgba(220, 38, 38, 0.12)' }]
        : [],
    [chart.data],
  );
  const deg = `°${unit}`;

  return (
    <div class="page">
      <p>
        <a href="#/alarms">← All alarms</a>
      </p>
      <ErrorBox error={alarm.error} retry={alarm.reload} />
      {alarm.loading && !a && <Loading what="Loading the alarm" />}
      {a && (
        <>
          <h1>
            {kindLabel(a.kind)} alarm <SeverityBadge severity={a.severity} />
          </h1>
          <div class="alarm-head" data-testid="alarm-head" data-state={a.state}>
            <AlarmStateBadges a={a} now={now} />
            <span>
              <AlarmPlace a={a} />
            </span>
            <span>
              Started <strong data-testid="alarm-started">{fmtDateTime(a.started_at)}</strong>
              {a.cleared_at ? (
                <>
                  , cleared <strong>{fmtDateTime(a.cleared_at)}</strong>
                </>
              ) : (
                ', still going on'
              )}
            </span>
          </div>
          <div class="kpis kpis-compact" data-testid="alarm-figures">
            <Kpi label="Peak vs threshold" value={<PeakVsThreshold a={a} unit={unit} />} testid="fig-peak" />
            <Kpi
              label="Min / mean / max"
              value={`${fmtTemp(a.min_temperature, a.temperature_unit, unit)} / ${fmtTemp(a.mean_temperature, a.temperature_unit, unit)} / ${fmtTemp(a.max_temperature, a.temperature_unit, unit)}`}
              testid="fig-minmax"
            />
            <Kpi label="Duration" value={fmtDuration(alarmDurationMs(a, now))} testid="fig-duration" />
            <Kpi
              label="Time beyond threshold"
              value={fmtDuration(a.time_beyond_seconds * 1000)}
              testid="fig-beyond"
            />
            <Kpi
              label="Degree-minutes beyond"
              value={`${fmtNum(deltaToUnit(a.degree_minutes, a.temperature_unit, unit), 1)} ${deg}·min`}
              testid="fig-degmin"
            />
            <Kpi
              label="Readings"
              value={`${a.reading_count}${a.failed_reads ? ` (+${a.failed_reads} failed)` : ''}`}
              testid="fig-readings"
            />
          </div>
          {a.late && (
            <p class="alert alert-warn" role="note">
              Detected late: raised {fmtDateTime(a.detected_at)}, although the condition was confirmed at{' '}
              {fmtDateTime(a.confirmed_at)} (its readings arrived late, e.g. after a feed outage).
            </p>
          )}
        </>
      )}

      {a?.storage_unit_id && (
        <Card title={`The excursion on the unit's chart (${deg})`} id="alarm-chart-card">
          <ErrorBox error={storage.error ?? chart.error} retry={chart.reload} />
          {chart.loading && <Loading what="Loading the chart" />}
          {chart.data && !chart.loading && chart.data.x.length === 0 && (
            <Empty>No readings around this alarm.</Empty>
          )}
          {chart.data && chart.data.x.length > 0 && (
            <div
              data-testid="alarm-chart-wrap"
              data-start={chart.data.win.start.toISOString()}
              data-end={chart.data.win.end.toISOString()}
              data-threshold={chart.data.limits?.threshold ?? ''}
              data-series={JSON.stringify(chart.data.series.map((s) => s.label))}
            >
              <TimeChart
                x={chart.data.x}
                series={chart.data.series}
                bands={chart.data.bands}
                shades={shades}
                height={300}
                label={`Temperature of ${u?.name ?? u?.unit_code ?? 'the unit'} around the alarm; shaded: the alarm; dashed red: its threshold`}
                unit={unit}
                testid="alarm-chart"
              />
            </div>
          )}
        </Card>
      )}

      {a && !a.acknowledged_at && (
        <Card title="Acknowledge" id="alarm-ack">
          <AckForm alarm={a} onDone={alarm.reload} />
        </Card>
      )}
      {a && !a.acknowledged_at && !a.cleared_at && (
        <Card title="Shelve" id="alarm-shelve">
          <p class="muted small">
            While shelved, no repeat or escalation notifications are sent. The alarm stays open.
          </p>
          <ShelveForm alarm={a} onDone={alarm.reload} />
        </Card>
      )}

      {a && (
        <Card title="Events" id="alarm-events">
          <ol class="alarm-events" data-testid="alarm-events">
            {a.events.map((e, i) => (
              <li key={i} data-type={e.type}>
                <strong>{EVENT_LABEL[e.type] ?? e.type}</strong> <span>{fmtDateTime(e.at)}</span>
                {eventDetails(e) && <div class="muted small">{eventDetails(e)}</div>}
              </li>
            ))}
          </ol>
          <details>
            <summary>Rule when it started</summary>
            <dl class="facts">
              <dt>Threshold</dt>
              <dd>{fmtTemp(a.rule.threshold, a.temperature_unit, unit)}</dd>
              <dt>Delay</dt>
              <dd>{fmtDuration(a.rule.delay_seconds * 1000)}</dd>
              <dt>Deadband</dt>
              <dd>
                {fmtNum(deltaToUnit(a.rule.deadband, a.temperature_unit, unit), 1)} {deg}
              </dd>
              {a.rule.cumulative_seconds ? (
                <>
                  <dt>Cumulative</dt>
                  <dd>
                    {fmtDuration(a.rule.cumulative_seconds * 1000)} within{' '}
                    {fmtDuration((a.rule.window_seconds ?? 0) * 1000)}
                  </dd>
                </>
              ) : null}
            </dl>
          </details>
        </Card>
      )}
    </div>
  );
};
