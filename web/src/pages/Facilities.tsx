import { ReportDownload } from '../components/ReportDownload.tsx';
import { ReportSchedules } from '../components/ReportSchedules.tsx';
import { UnitsTable } from '../components/UnitsTable.tsx';
import { TrendChart } from '../components/TrendChart.tsx';
import { useMemo } from 'preact/hooks';
import { RangeBars } from '../components/Bars.tsx';
import { Card, Empty, ErrorBox, Loading, StatusBadge, TableWrap } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { currentOf, facilityLabel, loadTrend, loadUnits, shownStatus, worstStatus } from '../lib/data.ts';
import { fmtAgo, fmtDateTime, fmtInt, fmtNum, fmtTemp, toUnit } from '../lib/format.ts';
import { useApi, useTicker, useTitle, useUnit } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import { href } from '../lib/router.ts';
import type { AggregationResult, FacilityWithUnits, Page, Reading } from '../lib/types.ts';

const DAY_MS = 86400_000;

export const FacilitiesPage = () => {
  useTitle('Facilities');
  const unit = useUnit();
  const now = useTicker(30_000);
  const live = useLive();
  const fleet = useApi((signal) => loadUnits(unit, signal), [unit]);
  const comparison = useApi(
    (signal) =>
      api<AggregationResult[]>('/temperature/aggregate', {
        method: 'POST',
        query: { unit },
        body: {
          group_by: ['facility'],
          aggregations: ['avg', 'min', 'max', 'count'],
          start_date: new Date(Date.now() - 7 * DAY_MS).toISOString(),
          end_date: new Date().toISOString(),
        },
        signal,
      }),
    [unit],
  );

  const cards = useMemo(() => {
    if (!fleet.data) return [];
    return fleet.data.facilities.map((f) => {
      const units = fleet.data!.units.filter((u) => u.facility_id === f.id);
      const currents = units.map((u) => currentOf(u, live.byUnit));
      const last = currents.reduce<string | null>((m, c) => (c.at && (!m || c.at > m) ? c.at : m), null);
      return { f, units, status: worstStatus(units.map((u) => shownStatus(u, live, now))), last };
    });
  }, [fleet.data, live, now]);

  return (
    <div class="page">
      <h1>Facilities</h1>
      <ErrorBox error={fleet.error} retry={fleet.reload} />
      {fleet.loading && !fleet.data && <Loading what="Loading facilities" />}
      {fleet.data && fleet.data.facilities.length === 0 && <Empty>No facilities yet.</Empty>}
      <div class="cards" data-testid="facility-cards">
        {cards.map(({ f, units, status, last }) => (
          <article
            class="card facility-card"
            key={f.id}
            data-facility-id={f.id}
            aria-labelledby={`fc-${f.id}`}
          >
            <h2 id={`fc-${f.id}`}>{facilityLabel(f)}</h2>
            <p class="muted">
              {f.facility_code} · {[f.city, f.country].filter(Boolean).join(', ') || 'no location'}
            </p>
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={status} />
              </dd>
              <dt>Units</dt>
              <dd data-testid="facility-unit-count">{units.length}</dd>
              <dt>Last reading</dt>
              <dd title={fmtDateTime(last)}>{fmtAgo(last, now)}</dd>
            </dl>
            <a class="btn btn-small" href={href(`/facilities/${f.id}`)}>
              View {facilityLabel(f)}
            </a>
          </article>
        ))}
      </div>
      <Card title={`Facility comparison, last 7 days (°${unit})`} id="comparison">
        <ErrorBox error={comparison.error} retry={comparison.reload} />
        {comparison.loading && !comparison.data && <Loading what="Loading the comparison" />}
        {comparison.data &&
          (comparison.data.length === 0 ? (
            <Empty>No readings in the last 7 days.</Empty>
          ) : (
            <RangeBars
              testid="comparison-chart"
              label="Average, minimum and maximum temperature per facility, last 7 days"
              unit={unit}
              rows={comparison.data.map((r) => {
                const id = r.group_key.facility_id ?? '';
                const c = (v: number | null) => (v === null ? null : toUnit(v, r.temperature_unit, unit));
                return {
                  key: id,
                  label: r.group_key.facility_name ?? id,
                  href: href(`/facilities/${id}`),
                  avg: c(r.metrics.avg_temperature),
                  min: c(r.metrics.min_temperature),
                  max: c(r.metrics.max_temperature),
                  count: r.metrics.reading_count,
                };
              })}
            />
          ))}
      </Card>
    </div>
  );
};

export const FacilityDetailPage = ({ id }: { id: string }) => {
  const unit = useUnit();
  const live = useLive();
  const now = useTicker(30_000);
  const detail = useApi(
    (signal) => api<FacilityWithUnits>(`/facilities/${id}/detailed`, { query: { unit }, signal }),
    [id, unit],
  );
  useTitle(detail.data ? facilityLabel(detail.data) : 'Facility');
  const trend = useApi(
    (signal) =>
      loadTrend(
        { interval: 'hour', start: new Date(Date.now() - 7 * DAY_MS), end: new Date(), facilityId: id, unit },
        signal,
      ),
    [id, unit],
  );
  const recent = useApi(
    (signal) => api<Page<Reading>>(`/temperature/facility/${id}`, { query: { limit: 20, unit }, signal }),
    [id, unit],
  );
  const d = detail.data;
  return (
    <div class="page">
      <p>
        <a href="#/facilities">← All facilities</a>
      </p>
      <ErrorBox error={detail.error} retry={detail.reload} />
      {detail.loading && !d && <Loading what="Loading the facility" />}
      {d && (
        <>
          <h1>{facilityLabel(d)}</h1>
          <div class="grid-2">
            <Card title="Facility" id="facility-info">
              <dl class="facts">
                <dt>Code</dt>
                <dd>{d.facility_code}</dd>
                <dt>Location</dt>
                <dd>{[d.city, d.country].filter(Boolean).join(', ') || '—'}</dd>
                {d.latitude !== null && d.longitude !== null && (
                  <>
                    <dt>Coordinates</dt>
                    <dd>
                      {fmtNum(d.latitude, 4)}, {fmtNum(d.longitude, 4)}
                    </dd>
                  </>
                )}
                <dt>Units</dt>
                <dd data-testid="facility-units">{fmtInt(d.unit_count)}</dd>
                <dt>Created</dt>
                <dd>{fmtDateTime(d.created_at)}</dd>
              </dl>
            </Card>
            <Card title={`All-time temperatures (°${unit})`} id="facility-stats">
              <dl class="facts">
                <dt>Average</dt>
                <dd data-testid="facility-avg">
                  {fmtTemp(d.average_temperature, d.temperature_unit ?? 'C', unit, 2)}
                </dd>
                <dt>Minimum</dt>
                <dd data-testid="facility-min">
                  {fmtTemp(d.min_temperature, d.temperature_unit ?? 'C', unit, 2)}
                </dd>
                <dt>Maximum</dt>
                <dd data-testid="facility-max">
                  {fmtTemp(d.max_temperature, d.temperature_unit ?? 'C', unit, 2)}
                </dd>
                <dt>Status</dt>
                <dd>
                  <StatusBadge status={worstStatus(d.units.map((u) => shownStatus(u, live, now)))} />
                </dd>
              </dl>
            </Card>
          </div>
          <Card title="Storage units" id="facility-units-table">
            {d.units.length === 0 ? (
              <Empty>This facility has no storage units.</Empty>
            ) : (
              <UnitsTable units={d.units} live={live} now={now} unit={unit} />
            )}
          </Card>
          <ReportDownload kind="facility" id={id} what={facilityLabel(d)} />
          <ReportSchedules facilityId={id} />
        </>
      )}
      <Card title={`Trend, last 7 days (hourly, °${unit})`} id="facility-trend">
        <TrendChart
          trend={trend}
          label="Hourly average, minimum and maximum of this facility's units"
          empty="No readings in the last 7 days."
          unit={unit}
          testid="facility-trend-chart"
        />
      </Card>
      <Card title="Recent readings" id="facility-recent">
        <ErrorBox error={recent.error} retry={recent.reload} />
        {recent.loading && !recent.data && <Loading what="Loading readings" />}
        {recent.data && recent.data.items.length === 0 && <Empty>No readings yet for this facility.</Empty>}
        {recent.data && recent.data.items.length > 0 && (
          <ReadingsTable rows={recent.data.items} unit={unit} showUnit />
        )}
      </Card>
    </div>
  );
};

export const ReadingsTable = ({
  rows,
  unit,
  showUnit,
}: {
  rows: Reading[];
  unit: 'C' | 'F';
  showUnit?: boolean;
}) => (
  <TableWrap label="Readings">
    <table data-testid="readings-table" class="stack">
      <thead>
        <tr>
          <th scope="col">Recorded</th>
          {showUnit && <th scope="col">Unit</th>}
          <th scope="col" class="num">
            Temperature
          </th>
          <th scope="col">Sensor</th>
          <th scope="col" class="num">
            Quality
          </th>
          <th scope="col">Equipment</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id} data-reading-id={r.id}>
            <td class="stack-title">{fmtDateTime(r.recorded_at)}</td>
            {showUnit && (
              <td class="stack-key" data-label="Unit">
                <a href={href(`/units/${r.storage_unit_id}`)}>{r.unit_name || r.storage_unit_id}</a>
              </td>
            )}
            <td class="num stack-key" data-testid="reading-temp" data-label="Temperature">
              {fmtTemp(r.temperature, r.temperature_unit, unit)}
            </td>
            <td data-label="Sensor">{r.sensor_id ?? '—'}</td>
            <td class="num" data-label="Quality">
              {fmtNum(r.quality_score, 2)}
            </td>
            <td data-label="Equipment">
              <StatusBadge status={r.equipment_status} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </TableWrap>
);
