import { useState } from 'preact/hooks';
import { AlarmTable } from '../../components/AlarmTable.tsx';
import { Card, Empty, ErrorBox, Loading, Pager } from '../../components/ui.tsx';
import { api, apiAll } from '../../lib/api.ts';
import { useApi, useTicker, useTitle, useUnit } from '../../lib/hooks.ts';
import { replaceQuery, type Route } from '../../lib/router.ts';
import type { AlarmItem, CustomerDetail, Page } from '../../lib/types.ts';

const LIMIT = 50;

/** Every customer's alarms, open ones first (the API's priority order), filtered by customer, state and severity. */
export const AdminAlarms = ({ route }: { route: Route }) => {
  useTitle('Alarms of all customers');
  const unit = useUnit();
  const now = useTicker(30_000);
  const q = route.query;
  const f = {
    customer: q.get('customer') ?? '',
    state: q.get('state') ?? 'open',
    severity: q.get('severity') ?? '',
  };
  const [offset, setOffset] = useState(0);
  const customers = useApi(() => apiAll<CustomerDetail>('/admin/customers'), []);
  const alarms = useApi(
    (signal) =>
      api<Page<AlarmItem>>('/admin/alarms', {
        query: {
          customer_id: f.customer,
          state: f.state === 'any' ? undefined : f.state,
          severity: f.severity,
          sort: 'priority',
          unit,
          limit: LIMIT,
          offset,
        },
        signal,
      }),
    [f.customer, f.state, f.severity, offset, unit],
  );
  const set = (k: keyof typeof f) => (e: Event) => {
    setOffset(0);
    replaceQuery(route, { ...f, [k]: (e.target as HTMLSelectElement).value });
  };
  return (
    <div class="page">
      <h1>Alarms of all customers</h1>
      <Card>
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter alarms">
          <div class="field">
            <label for="aa-customer">Customer</label>
            <select id="aa-customer" value={f.customer} onChange={set('customer')}>
              <option value="">All customers</option>
              {customers.data?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.customer_code} · {c.name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="aa-state">State</label>
            <select id="aa-state" value={f.state} onChange={set('state')}>
              <option value="open">Open</option>
              <option value="active">Active</option>
              <option value="acknowledged">Acknowledged</option>
              <option value="cleared">Cleared, not acknowledged</option>
              <option value="closed">Closed</option>
              <option value="any">Any</option>
            </select>
          </div>
          <div class="field">
            <label for="aa-severity">Severity</label>
            <select id="aa-severity" value={f.severity} onChange={set('severity')}>
              <option value="">Any</option>
              <option value="critical">Critical</option>
              <option value="warning">Warning</option>
            </select>
          </div>
        </form>
        <ErrorBox error={alarms.error} retry={alarms.reload} />
        {alarms.loading && !alarms.data && <Loading what="Loading alarms" />}
        {alarms.data && alarms.data.items.length === 0 && <Empty>No alarm matches these filters.</Empty>}
        {alarms.data && alarms.data.items.length > 0 && (
          <>
            <AlarmTable alarms={alarms.data.items} unit={unit} now={now} admin testid="admin-alarms-table" />
            <Pager
              offset={offset}
              limit={LIMIT}
              total={alarms.data.total}
              onChange={setOffset}
              label="Alarms"
            />
          </>
        )}
      </Card>
    </div>
  );
};
