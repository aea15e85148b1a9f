import { useState } from 'preact/hooks';
import { Card, Empty, ErrorBox, Loading, Pager, TableWrap } from '../../components/ui.tsx';
import { api, apiAll } from '../../lib/api.ts';
import { facilityLabel } from '../../lib/data.ts';
import { fmtDateTime, fmtInt } from '../../lib/format.ts';
import { useApi, useTitle } from '../../lib/hooks.ts';
import { href, replaceQuery, type Route } from '../../lib/router.ts';
import type { CustomerDetail, Facility, Page } from '../../lib/types.ts';

const LIMIT = 50;

export const AdminFacilities = ({ route }: { route: Route }) => {
  useTitle('All facilities');
  const customerId = route.query.get('customer') ?? '';
  const [offset, setOffset] = useState(0);
  const customers = useApi(() => apiAll<CustomerDetail>('/admin/customers'), []);
  const list = useApi(
    (signal) =>
      api<Page<Facility>>('/admin/facilities', {
        query: { customer_id: customerId, limit: LIMIT, offset },
        signal,
      }),
    [customerId, offset],
  );
  const codeOf = new Map((customers.data ?? []).map((c) => [c.id, c.customer_code]));
  return (
    <div class="page">
      <h1>Facilities</h1>
      <Card>
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter facilities">
          <div class="field">
            <label for="fac-customer">Customer</label>
            <select
              id="fac-customer"
              value={customerId}
              onChange={(e) => {
                setOffset(0);
                replaceQuery(route, { customer: (e.target as HTMLSelectElement).value });
              }}
            >
              <option value="">All customers</option>
              {customers.data?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.customer_code} · {c.name}
                </option>
              ))}
            </select>
          </div>
        </form>
        <ErrorBox error={list.error ?? customers.error} retry={list.reload} />
        {list.loading && !list.data && <Loading />}
        {list.data && list.data.items.length === 0 && <Empty>No facilities.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <>
            <TableWrap label="Facilities">
              <table data-testid="adm-facilities-table">
                <thead>
                  <tr>
                    <th scope="col">Facility</th>
                    <th scope="col">Code</th>
                    <th scope="col">Customer</th>
                    <th scope="col">Location</th>
                    <th scope="col" class="num">
                      Units
                    </th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((f) => (
                    <tr key={f.id} data-facility-id={f.id}>
                      <td>{facilityLabel(f)}</td>
                      <td>{f.facility_code}</td>
                      <td>
                        <a href={href(`/admin/customers/${f.customer_id}`)}>
                          {f.customer_code ?? codeOf.get(f.customer_id) ?? f.customer_id}
                        </a>
                      </td>
                      <td>{[f.city, f.country].filter(Boolean).join(', ') || '—'}</td>
                      <td class="num">{f.unit_count === undefined ? '—' : fmtInt(f.unit_count)}</td>
                      <td>{fmtDateTime(f.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <Pager
              offset={offset}
              limit={LIMIT}
              total={list.data.total}
              onChange={setOffset}
              label="Facilities"
            />
          </>
        )}
      </Card>
    </div>
  );
};
