import { useMemo, useState } from 'preact/hooks';
import { RangePicker, type DayRange } from '../components/RangePicker.tsx';
import { ReportDownload } from '../components/ReportDownload.tsx';
import { TimeChart } from '../components/TimeChart.tsx';
import { UnitAlarms } from '../components/UnitAlarms.tsx';
import { Card, Empty, ErrorBox, Kpi, Loading, Pager, StatusBadge } from '../components/ui.tsx';
import { api, apiBlob } from '../lib/api.ts';
import { currentOf, facilityLabel, shownStatus, unitLabel } from '../lib/data.ts';
import { exportFileName, saveBlob } from '../lib/download.ts';
import {
  dayEnd,
  dayStart,
  deltaToUnit,
  fmtAgo,
  fmtDate,
  fmtDateTime,
  fmtInt,
  fmtTemp,
  intervalAdjective,
  TIME_ZONE,
} from '../lib/format.ts';
import { useApi, useTicker, useTitle, useUnit } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import { href, replaceQuery, type Route } from '../lib/router.ts';
import type { Facility, Page, Reading, StorageUnit, TemperatureStats } from '../lib/types.ts';
import { DEFAULT_BAND_C, loadChart, RANGES, type RangeKey } from '../lib/unit-chart.ts';
import { ReadingsTable } from './Facilities.tsx';

const H = 3600_000;
const PAGE = 25;
const RAW_TABLE_DAYS = 31;

export const UnitDetailPage = ({ id, route }: { id: string; route: Route }) => {
  const unit = useUnit();
  const live = useLive();
  const now = useTicker(15_000);
  const range = (RANGES.find((r) => r.key === route.query.get('range'))?.key ?? '24h') as RangeKey;
  // A custom range of calendar days (`?from=2026-11-01&to=2026-11-08`) wins over the preset.
  const qFrom = route.query.get('from');
  const qTo = route.query.get('to');
  const custom: DayRange | null =
    qFrom && qTo && /^\d{4}-\d{2}-\d{2}$/.test(qFrom) && /^\d{4}-\d{2}-\d{2}$/.test(qTo) && qFrom <= qTo
      ? { from: qFrom, to: qTo }
      : null;
  const [zoom, setZoom] = useState<[number, number] | null>(null);
  const [offset, setOffset] = useState(0);
  const [refresh, setRefresh] = useState(0);
  const [exporting, setExporting] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);

  const detail = useApi(
    (signal) => api<StorageUnit>(`/units/${id}`, { query: { unit }, signal }),
    [id, unit],
  );
  const u = detail.data;
  useTitle(u ? unitLabel(u) : 'Storage unit');
  const facility = useApi(
    (signal) => (u ? api<Facility>(`/facilities/${u.facility_id}`, { signal }) : Promise.resolve(undefined)),
    [u?.facility_id],
  );

  // The window: the preset ending now, the custom days (up to now), or the zoomed part of either.
  // Fixed per (range, days, zoom) choice.
  const win = useMemo(() => {
    if (zoom) return { start: new Date(zoom[0] * 1000), end: new Date(zoom[1] * 1000) };
    const end = new Date();
    if (custom)
      return {
        start: new Date(dayStart(custom.from)),
        end: new Date(Math.min(end.getTime(), Date.parse(dayEnd(custom.to)))),
      };
    const spec = RANGES.find((r) => r.key === range)!;
    return { start: new Date(end.getTime() - spec.ms), end };
  }, [range, custom?.from, custom?.to, zoom, refresh]);

  const chart = useApi(
    (signal) => (u ? loadChart(u, win.start, win.end, unit, signal) : Promise.resolve(undefined)),
    [u, win, unit],
  );
  const stats = useApi(
    (signal) =>
      api<TemperatureStats>('/analytics/temperature/summary', {
        query: { unit_id: id, start_date: win.start.toISOString(), end_date: win.end.toISOString(), unit },
        signal,
      }),
    [id, win, unit],
  );
  // Raw readings are served at most 31 days per request: the table pages through the newest 31 days.
  const tableStart = new Date(Math.max(win.start.getTime(), win.end.getTime() - RAW_TABLE_DAYS * 24 * H));
  const tableClipped = tableStart.getTime() > win.start.getTime();
  const readings = useApi(
    (signal) =>
      api<Page<Reading>>(`/temperature/unit/${id}`, {
        query: {
          start_date: tableStart.toISOString(),
          end_date: win.end.toISOString(),
          limit: PAGE,
          offset,
          unit,
        },
        signal,
      }),
    [id, win, unit, offset],
  );

  // A new window (a preset or custom days) starts unzoomed, on the first page of readings.
  const showWindow = (query: Record<string, string>) => {
    setZoom(null);
    setOffset(0);
    setRefresh((n) => n + 1);
    replaceQuery(route, query);
  };

  const exportCsv = async () => {
    setExportError(null);
    setExporting('Preparing the CSV…');
    try {
      const { blob } = await apiBlob('/temperature/export.csv', {
        query: {
          storage_unit_id: id,
          start_date: win.start.toISOString(),
          end_date: win.end.toISOString(),
          unit,
          tz: TIME_ZONE,
        },
      });
      // Unit names repeat across facilities ("Freezer 1"): the facility's name makes the file's unique.
      const what = [facility.data && facilityLabel(facility.data), u ? unitLabel(u) : id].filter(Boolean);
      const name = exportFileName(what.join(' '), win.start, win.end);
      saveBlob(blob, name);
      setExporting(`Downloaded ${name} (${fmtInt(blob.size)} bytes).`);
    } catch (e) {
      setExporting(null);
      setExportError((e as Error).message);
    }
  };

  const c = u ? currentOf(u, live.byUnit) : null;
  const status = u ? shownStatus(u, live, now) : 'unknown';
  const rangeLabel = zoom
    ? `${fmtDateTime(win.start.toISOString())} – ${fmtDateTime(win.end.toISOString())}`
    : custom
      ? `${fmtDate(win.start.toISOString())} – ${fmtDate(win.end.toISOString())}`
      : `last ${RANGES.find((r) => r.key === range)!.label}`;
  const resolutionLabel =
    chart.data?.resolution === 'raw'
      ? 'every reading'
      : chart.data
        ? `${intervalAdjective(chart.data.resolution)} min/avg/max (server-side)`
        : '';

  return (
    <div class="page">
      <p>
        <a href="#/units">← All units</a>
        {facility.data && (
          <>
            {' · '}
            <a href={href(`/facilities/${facility.data.id}`)}>
              {facility.data.name ?? facility.data.facility_code}
            </a>
          </>
        )}
      </p>
      <ErrorBox error={detail.error} retry={detail.reload} />
      {detail.loading && !u && <Loading what="Loading the unit" />}
      {u && c && (
        <>
          <h1>{unitLabel(u)}</h1>
          <div class="unit-hero">
            <div class={`big tone-${status}`}>
              <div class="big-label">Current</div>
              <div class="big-value" data-testid="current-temp" aria-live="polite">
                {fmtTemp(c.temperature, c.unit, unit)}
              </div>
              <div class="big-sub">
                <StatusBadge status={status} /> <span title={fmtDateTime(c.at)}>{fmtAgo(c.at, now)}</span>
              </div>
            </div>
            <div class="big">
              <div class="big-label">Set point</div>
              <div class="big-value" data-testid="set-temp">
                {fmtTemp(u.set_temperature, u.temperature_unit, unit)}
              </div>
              <div class="big-sub">
                {u.equipment_type} · {u.unit_code} · {u.size_value} {u.size_unit}
              </div>
            </div>
            <div class="kpis kpis-compact">
              <Kpi
                label={`Average (${rangeLabel})`}
                value={fmtTemp(stats.data?.avg_temperature, stats.data?.temperature_unit, unit, 2)}
                testid="range-avg"
              />
              <Kpi
                label="Minimum"
                value={fmtTemp(stats.data?.min_temperature, stats.data?.temperature_unit, unit, 2)}
                testid="range-min"
              />
              <Kpi
                label="Maximum"
                value={fmtTemp(stats.data?.max_temperature, stats.data?.temperature_unit, unit, 2)}
                testid="range-max"
              />
              <Kpi label="Readings" value={fmtInt(stats.data?.reading_count)} testid="range-count" />
            </div>
          </div>
          <ErrorBox error={stats.error} />
        </>
      )}

      <Card title={`Temperature, ${rangeLabel} (°${unit})`} id="unit-chart">
        <RangePicker
          presets={RANGES}
          active={custom ? null : range}
          custom={custom}
          zoomed={zoom !== null}
          onPreset={(key) => showWindow({ range: key })}
          onCustom={(days) => showWindow({ from: days.from, to: days.to })}
          onResetZoom={() => setZoom(null)}
        />
        <ErrorBox error={chart.error} retry={chart.reload} />
        {chart.loading && <Loading what="Loading the chart" />}
        {chart.data && !chart.loading && chart.data.x.length === 0 && (
          <Empty>No readings in this range.</Empty>
        )}
        {chart.data && chart.data.x.length > 0 && (
          <div
            data-resolution={chart.data.resolution}
            data-testid="unit-chart-wrap"
            data-start={win.start.toISOString()}
            data-end={win.end.toISOString()}
          >
            <TimeChart
              x={chart.data.x}
              series={chart.data.series}
              bands={chart.data.bands}
              height={320}
              label={`Temperature of ${u ? unitLabel(u) : 'unit'}, ${rangeLabel}, ${resolutionLabel}; dashed: set point and allowed band`}
              unit={unit}
              testid="unit-chart"
              onZoom={(r) => {
                if (r) {
                  setOffset(0);
                  setZoom([Math.floor(r[0]), Math.ceil(r[1])]);
                }
              }}
            />
          </div>
        )}
        {u &&
          u.alarm_low_limit == null &&
          u.alarm_high_limit == null &&
          chart.data &&
          chart.data.x.length > 0 && (
            <p class="muted small">
              Allowed band: set point ± {deltaToUnit(DEFAULT_BAND_C, 'C', unit).toFixed(1)} °{unit} (warning
              threshold; this unit has no alarm limits of its own).
            </p>
          )}
      </Card>

      <UnitAlarms unitId={id} unit={unit} />

      <Card
        title={
          tableClipped ? `Readings, newest ${RAW_TABLE_DAYS} days of the range` : `Readings, ${rangeLabel}`
        }
        id="unit-readings"
        actions={
          <button type="button" class="btn btn-small" onClick={exportCsv} data-testid="export-csv">
            Export CSV
          </button>
        }
      >
        {exporting && (
          <p class="alert alert-info" role="status" data-testid="export-status">
            {exporting}
          </p>
        )}
        <ErrorBox error={exportError ?? undefined} />
        <ErrorBox error={readings.error} retry={readings.reload} />
        {readings.loading && !readings.data && <Loading what="Loading readings" />}
        {readings.data && readings.data.items.length === 0 && <Empty>No readings in this range.</Empty>}
        {readings.data && readings.data.items.length > 0 && (
          <>
            <ReadingsTable rows={readings.data.items} unit={unit} />
            <Pager
              offset={offset}
              limit={PAGE}
              total={readings.data.total}
              onChange={setOffset}
              label="Readings"
            />
          </>
        )}
      </Card>
      {u && <ReportDownload kind="unit" id={id} what={unitLabel(u)} />}
    </div>
  );
};
