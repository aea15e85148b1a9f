import { useState } from 'preact/hooks';
import { Card, Empty, ErrorBox, Loading, Pager, StatusBadge, TableWrap } from '../../components/ui.tsx';
import { api, apiAll } from '../../lib/api.ts';
import { fmtDateTime, fmtInt } from '../../lib/format.ts';
import { useApi, useTitle } from '../../lib/hooks.ts';
import { replaceQuery, type Route } from '../../lib/router.ts';
import type { CustomerDetail, IngestionLog, Page } from '../../lib/types.ts';

const LIMIT = 50;
const STATUSES = ['success', 'partial', 'warning', 'failure', 'running'];

/** `<input type="datetime-local">` value (browser zone) to an ISO instant. */
const localToIso = (v: string) => (v ? new Date(v).toISOString() : undefined);

export const AdminIngestion = ({ route }: { route: Route }) => {
  useTitle('Ingestion logs');
  const q = route.query;
  const filter = {
    customer: q.get('customer') ?? '',
    status: q.get('status') ?? '',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
  };
  const [offset, setOffset] = useState(0);
  const customers = useApi(() => apiAll<CustomerDetail>('/admin/customers'), []);
  const logs = useApi(
    (signal) =>
      api<Page<IngestionLog>>('/admin/ingestion/logs', {
        query: {
          customer_id: filter.customer,
          status: filter.status,
          start_date: localToIso(filter.from),
          end_date: localToIso(filter.to),
          limit: LIMIT,
          offset,
        },
        signal,
      }),
    [filter.customer, filter.status, filter.from, filter.to, offset],
  );
  const set = (k: keyof typeof filter) => (e: Event) => {
    setOffset(0);
    replaceQuery(route, { ...filter, [k]: (e.target as HTMLInputElement).value });
  };
  return (
    <div class="page">
      <h1>Ingestion logs</h1>
      <Card>
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter ingestion logs">
          <div class="field">
            <label for="ing-customer">Customer</label>
            <select id="ing-customer" value={filter.customer} onChange={set('customer')}>
              <option value="">All customers</option>
              {customers.data?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.customer_code} · {c.name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="ing-status">Status</label>
            <select id="ing-status" value={filter.status} onChange={set('status')}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="ing-from">Started after</label>
            <input id="ing-from" type="datetime-local" value={filter.from} onChange={set('from')} />
          </div>
          <div class="field">
            <label for="ing-to">Started before</label>
            <input id="ing-to" type="datetime-local" value={filter.to} onChange={set('to')} />
          </div>
        </form>
        <ErrorBox error={logs.error ?? customers.error} retry={logs.reload} />
        {logs.loading && !logs.data && <Loading />}
        {logs.data && logs.data.items.length === 0 && <Empty>No ingestion runs match these filters.</Empty>}
        {logs.data && logs.data.items.length > 0 && (
          <>
            <TableWrap label="Ingestion logs">
              <table data-testid="ingestion-table" class="stack">
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Customer</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Processed
                    </th>
                    <th scope="col" class="num">
                      Stored
                    </th>
                    <th scope="col" class="num">
                      Duplicates
                    </th>
                    <th scope="col" class="num">
                      Rejected
                    </th>
                    <th scope="col" class="num">
                      Duration
                    </th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {logs.data.items.map((l) => (
                    <tr key={l.id} data-status={l.status}>
                      <td class="stack-title">{fmtDateTime(l.start_time)}</td>
                      <td class="stack-key" data-label="Customer">
                        {l.customer_code ?? '—'}
                      </td>
                      <td data-label="Type">{l.ingestion_type}</td>
                      <td class="stack-key" data-label="Status">
                        <StatusBadge status={l.status} />
                      </td>
                      <td class="num" data-label="Processed">
                        {fmtInt(l.records_processed)}
                      </td>
                      <td class="num" data-label="Stored">
                        {fmtInt(l.records_succeeded)}
                      </td>
                      <td class="num" data-label="Duplicates">
                        {fmtInt(l.records_duplicate)}
                      </td>
                      <td class="num" data-label="Rejected">
                        {fmtInt(l.records_failed)}
                      </td>
                      <td class="num" data-label="Duration">
                        {l.duration_ms == null ? '—' : `${fmtInt(l.duration_ms)} ms`}
                      </td>
                      <td class="small stack-wide" data-label={l.error_message ? 'Error' : undefined}>
                        {l.error_message ?? ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <Pager
              offset={offset}
              limit={LIMIT}
              total={logs.data.total}
              onChange={setOffset}
              label="Ingestion logs"
            />
          </>
        )}
      </Card>
    </div>
  );
};
