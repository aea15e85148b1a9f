import { TrendChart } from '../components/TrendChart.tsx';
import { Kpi, Card, Loading, ErrorBox, Empty, StatusBadge } from '../components/ui.tsx';
import { LatestTable } from '../components/LatestTable.tsx';
import { TempKpis } from '../components/TempKpis.tsx';
import { ShareBar } from '../components/Bars.tsx';
import { api } from '../lib/api.ts';
import { countStatuses, facilityLabel, loadTrend, loadUnits, shownStatus, worstStatus } from '../lib/data.ts';
import { fmtAgo, fmtDateTime, fmtInt } from '../lib/format.ts';
import { useApi, useTicker, useTitle, useUnit } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import type { CustomerDetail, LatestReading, TemperatureStats, UnitStatus } from '../lib/types.ts';
import { href } from '../lib/router.ts';
import { useMemo } from 'preact/hooks';

const STATUS_ITEMS: { key: UnitStatus; label: string }[] = [
  { key: 'normal', label: 'Normal' },
  { key: 'warning', label: 'Warning' },
  { key: 'critical', label: 'Critical' },
  { key: 'offline', label: 'Offline' },
  { key: 'unknown', label: 'No data' },
];

export const CustomerHome = () => {
  const unit = useUnit();
  const now = useTicker(30_000);
  const profile = useApi((signal) => api<CustomerDetail>('/customers/profile', { signal }), []);
  useTitle(profile.data ? `${profile.data.name} dashboard` : 'Dashboard');
  const stats = useApi(
    (signal) => api<TemperatureStats>('/temperature/stats', { query: { unit }, signal }),
    [unit],
  );
  const fleet = useApi((signal) => loadUnits(unit, signal), [unit]);
  const trend = useApi(
    (signal) => {
      const end = new Date();
      const start = new Date(end.getTime() - 7 * 86400_000);
      return loadTrend({ interval: 'hour', start, end, unit }, signal);
    },
    [unit],
  );
  const latest = useApi(
    (signal) => api<LatestReading[]>('/temperature/latest', { query: { limit: 10, unit }, signal }),
    [unit],
  );
  const live = useLive();

  // Unit statuses come from the units API, except that a unit whose data is overdue shows as offline.
  const unitStatus = useMemo(
    () => new Map((fleet.data?.units ?? []).map((u) => [u.id, shownStatus(u, live, now)])),
    [fleet.data, live, now],
  );
  const statusCounts = fleet.data ? countStatuses([...unitStatus.values()]) : null;
  const latestRows = useMemo(() => {
    const rows = latest.data ?? [];
    return rows.map((r) => {
      const l = live.byUnit.get(r.storage_unit_id);
      return l && Date.parse(l.recorded_at) > Date.parse(r.recorded_at) ? l : r;
    });
  }, [latest.data, live]);

  const p = profile.data;
  const s = stats.data;

  return (
    <div class="page">
      <h1>{p ? `Hello, ${p.name}` : 'Dashboard'}</h1>
      <ErrorBox error={profile.error} retry={profile.reload} />
      {p && (
        <div class="kpis" data-testid="profile-kpis">
          <Kpi label="Facilities" value={fmtInt(p.facility_count)} testid="kpi-facilities" />
          <Kpi label="Storage units" value={fmtInt(p.unit_count)} testid="kpi-units" />
          <Kpi label="Readings stored" value={fmtInt(p.active_readings_count)} testid="kpi-readings" />
          <Kpi
            label="Last reading"
            value={<span data-iso={p.last_reading_time ?? ''}>{fmtAgo(p.last_reading_time, now)}</span>}
            sub={fmtDateTime(p.last_reading_time)}
            testid="kpi-last-reading"
          />
        </div>
      )}

      <Card title={`All readings (°${unit})`} id="stats">
        <ErrorBox error={stats.error} retry={stats.reload} />
        {stats.loading && !s && <Loading what="Loading statistics" />}
        {s &&
          (s.reading_count === 0 ? (
            <Empty>No readings yet. They appear as soon as ingestion stores the first ones.</Empty>
          ) : (
            <TempKpis stats={s} unit={unit} testid="kpi">
              <Kpi
                label="Readings"
                value={fmtInt(s.reading_count)}
                sub={`${fmtDateTime(s.time_range_start)} – ${fmtDateTime(s.time_range_end)}`}
                testid="kpi-reading-count"
              />
            </TempKpis>
          ))}
      </Card>

      <div class="grid-2">
        <Card title="Units by status" id="unit-status">
          <ErrorBox error={fleet.error} retry={fleet.reload} />
          {fleet.loading && !statusCounts && <Loading what="Loading units" />}
          {statusCounts && (
            <>
              <ShareBar
                label="Storage units by current status"
                testid="status-counts"
                items={STATUS_ITEMS.map((i) => ({ ...i, count: statusCounts[i.key] }))}
              />
              <p>
                <a href={href('/units', { status: 'warning' })}>Units in warning</a> ·{' '}
                <a href={href('/units', { status: 'critical' })}>critical</a> ·{' '}
                <a href={href('/units', { status: 'offline' })}>offline</a>
              </p>
            </>
          )}
        </Card>
        <Card title="Facilities" id="facility-list">
          {fleet.data && fleet.data.facilities.length === 0 && <Empty>No facilities yet.</Empty>}
          {fleet.data && (
            <ul class="plain-list">
              {fleet.data.facilities.map((f) => {
                const units = fleet.data!.units.filter((u) => u.facility_id === f.id);
                return (
                  <li key={f.id}>
                    <a href={href(`/facilities/${f.id}`)}>{facilityLabel(f)}</a>{' '}
                    <StatusBadge status={worstStatus(units.map((u) => shownStatus(u, live, now)))} />{' '}
                    <span class="muted small">
                      {[`${units.length} units`, [f.city, f.country].filter(Boolean).join(', ')]
                        .filter(Boolean)
                        .join(' · ')}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
      </div>

      <Card title={`Temperature trend, last 7 days (hourly, °${unit})`} id="trend">
        <TrendChart
          trend={trend}
          label="Hourly average, minimum and maximum over all units, last 7 days"
          empty="No readings in the last 7 days."
          unit={unit}
          testid="trend-chart"
        />
      </Card>

      <Card title="Latest readings" id="latest" actions={<a href="#/units">All units →</a>}>
        <ErrorBox error={latest.error} retry={latest.reload} />
        {latest.loading && !latest.data && <Loading what="Loading readings" />}
        {latest.data && latestRows.length === 0 && <Empty>No readings yet.</Empty>}
        {latestRows.length > 0 && (
          <LatestTable rows={latestRows} unit={unit} statusOf={(id) => unitStatus.get(id)} />
        )}
      </Card>
    </div>
  );
};
