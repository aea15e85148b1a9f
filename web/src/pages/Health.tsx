import { Card, Empty, ErrorBox, Loading, StatusBadge, TableWrap } from '../components/ui.tsx';
import { api, apiAll } from '../lib/api.ts';
import { fmtAgo, fmtDateTime, fmtInt } from '../lib/format.ts';
import { useApi, useSession, useTicker, useTitle } from '../lib/hooks.ts';
import type { CustomerDetail, Health, IngestionLog, Page } from '../lib/types.ts';
import { href } from '../lib/router.ts';

const fmtUptime = (s: number) => {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d ? `${d} d ` : ''}${h} h ${m} min`;
};

const componentStatus = (v: string) => (v === 'ok' ? 'ok' : v === 'not configured' ? 'unknown' : 'error');

interface LastRun {
  customer: CustomerDetail;
  log: IngestionLog | undefined;
}

/** Latest ingestion run per customer: the newest page of logs, plus customers with none in it. */
const loadLastRuns = async (): Promise<LastRun[]> => {
  const [customers, logs] = await Promise.all([
    apiAll<CustomerDetail>('/admin/customers'),
    api<Page<IngestionLog>>('/admin/ingestion/logs', { query: { limit: 1000 } }),
  ]);
  const latest = new Map<string, IngestionLog>();
  for (const l of logs.items) if (l.customer_id && !latest.has(l.customer_id)) latest.set(l.customer_id, l);
  return customers.map((c) => ({ customer: c, log: latest.get(c.id) }));
};

export const HealthPage = () => {
  useTitle('System health');
  const session = useSession();
  const now = useTicker(15_000);
  const health = useApi(async () => {
    const res = await fetch('/health', { cache: 'no-store', headers: { accept: 'application/json' } }).catch(
      () => null,
    );
    if (!res) throw new Error('The API is not reachable.');
    if (res.status !== 200 && res.status !== 503) throw new Error(`/health answered ${res.status}`);
    return (await res.json()) as Health;
  }, [Math.floor(now / 15_000)]);
  const admin = session?.role === 'admin';
  const runs = useApi(
    () => (admin ? loadLastRuns() : Promise.resolve(undefined)),
    [admin, Math.floor(now / 60_000)],
  );
  const profile = useApi(
    () => (admin ? Promise.resolve(undefined) : api<CustomerDetail>('/customers/profile')),
    [admin, Math.floor(now / 60_000)],
  );
  const h = health.data;
  return (
    <div class="page">
      <h1>System health</h1>
      <Card title="Components" id="components">
        <ErrorBox error={health.error} retry={health.reload} />
        {health.loading && !h && <Loading />}
        {h && (
          <TableWrap label="Components">
            <table data-testid="health-table">
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col">Status</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                <tr data-component="api">
                  <td>REST API</td>
                  <td>
                    <StatusBadge status={h.status === 'ok' ? 'ok' : 'degraded'} />
                  </td>
                  <td>
                    version {h.version}, up {fmtUptime(h.uptime_seconds)}
                  </td>
                </tr>
                <tr data-component="database">
                  <td>Database</td>
                  <td>
                    <StatusBadge status={componentStatus(h.database)} />
                  </td>
                  <td>
                    {h.database_backend === 'pglite'
                      ? 'embedded PostgreSQL (PGlite)'
                      : (h.database_backend ?? '')}
                  </td>
                </tr>
                <tr data-component="queue">
                  <td>Queue</td>
                  <td>
                    <StatusBadge status={componentStatus(h.rabbitmq)} />
                  </td>
                  <td>
                    {h.rabbitmq === 'not configured'
                      ? 'in-process queue (no RabbitMQ configured)'
                      : 'RabbitMQ'}
                  </td>
                </tr>
              </tbody>
            </table>
          </TableWrap>
        )}
        {h && <p class="muted small">Checked {fmtDateTime(h.timestamp)}; refreshes every 15 s.</p>}
      </Card>
      <Card title="Ingestion" id="ingestion">
        {admin ? (
          <>
            <ErrorBox error={runs.error} retry={runs.reload} />
            {runs.loading && !runs.data && <Loading />}
            {runs.data && runs.data.length === 0 && <Empty>No customers.</Empty>}
            {runs.data && runs.data.length > 0 && (
              <TableWrap label="Last ingestion run per customer">
                <table data-testid="ingestion-runs" class="stack">
                  <thead>
                    <tr>
                      <th scope="col">Customer</th>
                      <th scope="col">Last run</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">
                        Stored / processed
                      </th>
                      <th scope="col">Last reading</th>
                    </tr>
                  </thead>
                  <tbody>
                    {runs.data.map(({ customer: c, log }) => (
                      <tr key={c.id}>
                        <td class="stack-title">
                          <a href={href(`/admin/customers/${c.id}`)}>{c.customer_code}</a> {c.name}
                        </td>
                        <td class="stack-key" data-label="Last run" title={fmtDateTime(log?.start_time)}>
                          {log ? fmtAgo(log.start_time, now) : 'never'}
                        </td>
                        <td class="stack-key" data-label="Status">
                          {log ? <StatusBadge status={log.status} /> : '—'}
                        </td>
                        <td class="num" data-label="Stored / processed">
                          {log ? `${fmtInt(log.records_succeeded)} / ${fmtInt(log.records_processed)}` : '—'}
                        </td>
                        <td data-label="Last reading" title={fmtDateTime(c.last_reading_time)}>
                          {fmtAgo(c.last_reading_time, now)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </>
        ) : (
          <>
            <ErrorBox error={profile.error} retry={profile.reload} />
            {profile.data && (
              <dl class="facts">
                <dt>Collection</dt>
                <dd>
                  {profile.data.data_sharing_method === 'csv' ? 'CSV download' : 'JSON API'} every{' '}
                  {profile.data.data_frequency_seconds} s
                </dd>
                <dt>Newest reading stored</dt>
                <dd data-testid="health-last-reading" title={fmtDateTime(profile.data.last_reading_time)}>
                  {fmtAgo(profile.data.last_reading_time, now)}
                </dd>
              </dl>
            )}
          </>
        )}
      </Card>
    </div>
  );
};
