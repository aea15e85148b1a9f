import { TrendChart } from '../../components/TrendChart.tsx';
import { Card, Empty, ErrorBox, Kpi, Loading, StatusBadge, TableWrap } from '../../components/ui.tsx';
import { TempKpis } from '../../components/TempKpis.tsx';
import { api } from '../../lib/api.ts';
import { fmtAgo, fmtDateTime, fmtInt, fmtTemp, toUnit } from '../../lib/format.ts';
import { useApi, useTicker, useTitle, useUnit } from '../../lib/hooks.ts';
import { href } from '../../lib/router.ts';
import type {
  ConfigEntry,
  CustomerDetail,
  Facility,
  IngestionLog,
  Page,
  TemperatureStats,
} from '../../lib/types.ts';

export const AdminOverview = () => {
  useTitle('Admin overview');
  const unit = useUnit();
  const now = useTicker(30_000);
  const customers = useApi(
    (signal) => api<Page<CustomerDetail>>('/admin/customers', { query: { limit: 1000 }, signal }),
    [],
  );
  const facilities = useApi(
    (signal) => api<Page<Facility>>('/admin/facilities', { query: { limit: 1 }, signal }),
    [],
  );
  const config = useApi((signal) => api<Record<string, ConfigEntry>>('/admin/config', { signal }), []);
  const summary = useApi(
    (signal) =>
      api<Record<string, TemperatureStats>>('/admin/analytics/temperature/summary', {
        query: { unit },
        signal,
      }),
    [unit],
  );
  const logs = useApi(
    (signal) => api<Page<IngestionLog>>('/admin/ingestion/logs', { query: { limit: 5 }, signal }),
    [],
  );
  // No admin trends endpoint: one system summary per local day (7 requests) gives the daily series.
  const trend = useApi(
    async (signal) => {
      const days = Array.from({ length: 7 }, (_, i) => {
        const start = new Date();
        start.setHours(0, 0, 0, 0);
        start.setDate(start.getDate() - 6 + i);
        const end = new Date(start);
        end.setDate(end.getDate() + 1);
        return { start, end };
      });
      const rows = await Promise.all(
        days.map((d) =>
          api<Record<string, TemperatureStats>>('/admin/analytics/temperature/summary', {
            query: { start_date: d.start.toISOString(), end_date: d.end.toISOString(), unit },
            signal,
          }),
        ),
      );
      const out = {
        x: [] as number[],
        avg: [] as (number | null)[],
        min: [] as (number | null)[],
        max: [] as (number | null)[],
      };
      rows.forEach((r, i) => {
        const s = r.system;
        if (!s || s.reading_count === 0) return;
        out.x.push(days[i]!.start.getTime() / 1000);
        out.avg.push(s.avg_temperature === null ? null : toUnit(s.avg_temperature, s.temperature_unit, unit));
        out.min.push(s.min_temperature === null ? null : toUnit(s.min_temperature, s.temperature_unit, unit));
        out.max.push(s.max_temperature === null ? null : toUnit(s.max_temperature, s.temperature_unit, unit));
      });
      return out;
    },
    [unit],
  );

  const list = customers.data?.items ?? [];
  const system = summary.data?.system;
  const units = list.reduce((n, c) => n + c.unit_count, 0);
  return (
    <div class="page">
      <h1>System overview</h1>
      <ErrorBox error={customers.error} retry={customers.reload} />
      <div class="kpis">
        <Kpi
          label="Customers"
          value={customers.data ? fmtInt(customers.data.total) : '…'}
          sub={customers.data ? `${list.filter((c) => c.is_active).length} active` : undefined}
          testid="adm-customers"
        />
        <Kpi
          label="Facilities"
          value={facilities.data ? fmtInt(facilities.data.total) : '…'}
          testid="adm-facilities"
        />
        <Kpi label="Storage units" value={customers.data ? fmtInt(units) : '…'} testid="adm-units" />
        <Kpi label="Readings" value={system ? fmtInt(system.reading_count) : '…'} testid="adm-readings" />
        <Kpi
          label="Config entries"
          value={config.data ? fmtInt(Object.keys(config.data).length) : '…'}
          testid="adm-config"
        />
      </div>
      <ErrorBox error={facilities.error ?? config.error} />

      <Card title={`System-wide temperatures (°${unit})`} id="adm-summary">
        <ErrorBox error={summary.error} retry={summary.reload} />
        {summary.loading && !summary.data && <Loading />}
        {system && <TempKpis stats={system} unit={unit} testid="adm"></TempKpis>}
        {summary.data && (
          <TableWrap label="Temperatures per customer">
            <table data-testid="adm-summary-table">
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col" class="num">
                    Readings
                  </th>
                  <th scope="col" class="num">
                    Average
                  </th>
                  <th scope="col" class="num">
                    Min
                  </th>
                  <th scope="col" class="num">
                    Max
                  </th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(summary.data)
                  .filter(([k]) => k !== 'system')
                  .map(([code, s]) => (
                    <tr key={code}>
                      <td>{code}</td>
                      <td class="num">{fmtInt(s.reading_count)}</td>
                      <td class="num">{fmtTemp(s.avg_temperature, s.temperature_unit, unit)}</td>
                      <td class="num">{fmtTemp(s.min_temperature, s.temperature_unit, unit)}</td>
                      <td class="num">{fmtTemp(s.max_temperature, s.temperature_unit, unit)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>

      <Card title={`System-wide trend, last 7 days (daily, °${unit})`} id="adm-trend">
        <TrendChart
          trend={trend}
          label="Daily average, minimum and maximum over every customer's units (local days)"
          empty="No readings in the last 7 days."
          unit={unit}
          testid="adm-trend-chart"
        />
      </Card>

      <div class="grid-2">
        <Card
          title="Newest customers"
          id="adm-newest"
          actions={<a href="#/admin/customers">All customers →</a>}
        >
          <ul class="plain-list">
            {[...list]
              .sort((a, b) => b.created_at.localeCompare(a.created_at))
              .slice(0, 5)
              .map((c) => (
                <li key={c.id}>
                  <a href={href(`/admin/customers/${c.id}`)}>
                    {c.customer_code} · {c.name}
                  </a>{' '}
                  <span class="muted small">last reading {fmtAgo(c.last_reading_time, now)}</span>
                </li>
              ))}
          </ul>
        </Card>
        <Card
          title="Latest ingestion runs"
          id="adm-logs"
          actions={<a href="#/admin/ingestion">All logs →</a>}
        >
          <ErrorBox error={logs.error} retry={logs.reload} />
          {logs.data && logs.data.items.length === 0 && <Empty>No ingestion runs yet.</Empty>}
          <ul class="plain-list">
            {logs.data?.items.map((l) => (
              <li key={l.id}>
                <StatusBadge status={l.status} /> {l.customer_code ?? '—'} · {fmtInt(l.records_succeeded)}{' '}
                stored · <span title={fmtDateTime(l.start_time)}>{fmtAgo(l.start_time, now)}</span>
              </li>
            ))}
          </ul>
        </Card>
      </div>
    </div>
  );
};
