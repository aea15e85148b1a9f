import { useMemo, useState } from 'preact/hooks';
import { TimeChart, type ChartBand, type ChartSeries } from '../components/TimeChart.tsx';
import { Card, Empty, ErrorBox, Kpi, Loading, Pager, StatusBadge } from '../components/ui.tsx';
import { api, apiBlob } from '../lib/api.ts';
import { COLORS, currentOf, loadTrend, unitLabel, type Interval } from '../lib/data.ts';
import { deltaToUnit, fmtAgo, fmtDateTime, fmtInt, fmtTemp, toUnit, TIME_ZONE } from '../lib/format.ts';
import { useApi, useTicker, useTitle, useUnit } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import { href, replaceQuery, type Route } from '../lib/router.ts';
import type { Facility, Page, Reading, StorageUnit, TempUnit, TemperatureStats } from '../lib/types.ts';
import { ReadingsTable } from './Facilities.tsx';

const H = 3600_000;
export const RANGES = [
  { key: '1h', label: '1 h', ms: H },
  { key: '24h', label: '24 h', ms: 24 * H },
  { key: '7d', label: '7 d', ms: 7 * 24 * H },
  { key: '30d', label: '30 d', ms: 30 * 24 * H },
  { key: '1y', label: '1 y', ms: 365 * 24 * H },
] as const;
type RangeKey = (typeof RANGES)[number]['key'];

/**
 * Raw readings up to 36 h (≤ 2,160 rows of minute data); beyond that the server's hourly or daily
 * buckets (min/avg/max per bucket), so a year is 365 points, never 525,600.
 */
export const resolutionFor = (spanMs: number): 'raw' | Interval =>
  spanMs <= 36 * H ? 'raw' : spanMs <= 62 * 24 * H ? 'hour' : 'day';

/** Warning deviation from the set point when the unit has no alarm limits (system_config default, °C). */
const DEFAULT_BAND_C = 2;
const PAGE = 25;
const RAW_TABLE_DAYS = 31;

interface ChartData {
  resolution: 'raw' | Interval;
  x: number[];
  series: ChartSeries[];
  bands: ChartBand[];
}

const loadRaw = async (unitId: string, start: Date, end: Date, unit: TempUnit, signal: AbortSignal) => {
  const rows: Reading[] = [];
  for (let offset = 0; offset < 10_000;) {
    const page = await api<Page<Reading>>(`/temperature/unit/${unitId}`, {
      query: { start_date: start.toISOString(), end_date: end.toISOString(), limit: 1000, offset, unit },
      signal,
    });
    rows.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) break;
  }
  rows.sort((a, b) => Date.parse(a.recorded_at) - Date.parse(b.recorded_at));
  return {
    x: rows.map((r) => Date.parse(r.recorded_at) / 1000),
    y: rows.map((r) => (r.temperature === null ? null : toUnit(r.temperature, r.temperature_unit, unit))),
  };
};

const loadChart = async (
  u: StorageUnit,
  start: Date,
  end: Date,
  unit: TempUnit,
  signal: AbortSignal,
): Promise<ChartData> => {
  const resolution = resolutionFor(end.getTime() - start.getTime());
  let x: number[];
  let series: ChartSeries[];
  const bands: ChartBand[] = [];
  if (resolution === 'raw') {
    const raw = await loadRaw(u.id, start, end, unit, signal);
    x = raw.x;
    series = [{ label: 'Temperature', color: COLORS.raw, values: raw.y, width: 1.5 }];
  } else {
    const t = await loadTrend({ interval: resolution, start, end, unitId: u.id, unit }, signal);
    x = t.x;
    series = [
      { label: 'Max', color: COLORS.max, values: t.max, width: 1 },
      { label: 'Average', color: COLORS.avg, values: t.avg, width: 2 },
      { label: 'Min', color: COLORS.min, values: t.min, width: 1 },
    ];
    bands.push({ upper: 'Max', lower: 'Min', fill: COLORS.band });
  }
  const set = toUnit(u.set_temperature, u.temperature_unit, unit);
  const lowLimit = u.alarm_low_limit ?? null;
  const highLimit = u.alarm_high_limit ?? null;
  const band = deltaToUnit(DEFAULT_BAND_C, 'C', unit);
  const lo = lowLimit !== null ? toUnit(lowLimit, u.temperature_unit, unit) : set - band;
  const hi = highLimit !== null ? toUnit(highLimit, u.temperature_unit, unit) : set + band;
  if (x.length > 0) {
    series.push(
      {
        label: 'Allowed high',
        color: 'rgba(22,163,74,0.5)',
        values: x.map(() => hi),
        width: 1,
        dash: [4, 4],
        points: false,
      },
      {
        label: 'Set point',
        color: COLORS.set,
        values: x.map(() => set),
        width: 1.5,
        dash: [8, 4],
        points: false,
      },
      {
        label: 'Allowed low',
        color: 'rgba(22,163,74,0.5)',
        values: x.map(() => lo),
        width: 1,
        dash: [4, 4],
        points: false,
      },
    );
    bands.push({ upper: 'Allowed high', lower: 'Allowed low', fill: COLORS.allowed });
  }
  return { resolution, x, series, bands };
};

export const UnitDetailPage = ({ id, route }: { id: string; route: Route }) => {
  const unit = useUnit();
  const live = useLive();
  const now = useTicker(15_000);
  const range = (RANGES.find((r) => r.key === route.query.get('range'))?.key ?? '24h') as RangeKey;
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

  // The window: the preset ending now, or the zoomed part of it. Fixed per (range, zoom) choice.
  const win = useMemo(() => {
    if (zoom) return { start: new Date(zoom[0] * 1000), end: new Date(zoom[1] * 1000) };
    const end = new Date();
    const spec = RANGES.find((r) => r.key === range)!;
    return { start: new Date(end.getTime() - spec.ms), end };
  }, [range, zoom, refresh]);

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

  const pickRange = (key: RangeKey) => {
    setZoom(null);
    setOffset(0);
    setRefresh((n) => n + 1);
    replaceQuery(route, { range: key });
  };

  const exportCsv = async () => {
    setExportError(null);
    setExporting('Preparing the CSV…');
    try {
      const { blob, filename } = await apiBlob('/temperature/export.csv', {
        query: {
          storage_unit_id: id,
          start_date: win.start.toISOString(),
          end_date: win.end.toISOString(),
          unit,
          tz: TIME_ZONE,
        },
      });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename ?? `${u?.unit_code ?? id}-${range}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExporting(`Downloaded ${a.download} (${fmtInt(blob.size)} bytes).`);
    } catch (e) {
      setExporting(null);
      setExportError((e as Error).message);
    }
  };

  const c = u ? currentOf(u, live.byUnit) : null;
  const rangeLabel = zoom
    ? `${fmtDateTime(win.start.toISOString())} – ${fmtDateTime(win.end.toISOString())}`
    : `last ${RANGES.find((r) => r.key === range)!.label}`;
  const resolutionLabel =
    chart.data?.resolution === 'raw'
      ? 'every reading'
      : chart.data
        ? `${chart.data.resolution}ly min/avg/max (server-side)`
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
            <div class={`big tone-${u.temperature_status ?? 'unknown'}`}>
              <div class="big-label">Current</div>
              <div class="big-value" data-testid="current-temp" aria-live="polite">
                {fmtTemp(c.temperature, c.unit, unit)}
              </div>
              <div class="big-sub">
                <StatusBadge status={u.temperature_status} />{' '}
                <span title={fmtDateTime(c.at)}>{fmtAgo(c.at, now)}</span>
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

      <Card
        title={`Temperature, ${rangeLabel} (°${unit})`}
        id="unit-chart"
        actions={
          <div class="seg" role="group" aria-label="Time range">
            {RANGES.map((r) => (
              <button
                key={r.key}
                type="button"
                class={!zoom && range === r.key ? 'active' : ''}
                aria-pressed={!zoom && range === r.key}
                data-range={r.key}
                onClick={() => pickRange(r.key)}
              >
                {r.label}
              </button>
            ))}
            {zoom && (
              <button type="button" onClick={() => setZoom(null)} data-testid="reset-zoom">
                Reset zoom
              </button>
            )}
          </div>
        }
      >
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
    </div>
  );
};
