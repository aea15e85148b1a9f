import { useState } from 'preact/hooks';
import { Card, Empty, ErrorBox, Loading, StatusBadge, TableWrap } from '../../components/ui.tsx';
import { api, apiAll } from '../../lib/api.ts';
import { facilityLabel } from '../../lib/data.ts';
import { fmtAgo, fmtDateTime, fmtInt } from '../../lib/format.ts';
import { useApi, useTicker, useTitle } from '../../lib/hooks.ts';
import { href, navigate } from '../../lib/router.ts';
import type { ApiToken, CustomerDetail, Facility, Page } from '../../lib/types.ts';
import { NewTokenBox, TokenForm, TokenTable } from '../../components/Tokens.tsx';

interface CustomerForm {
  customer_code: string;
  name: string;
  data_sharing_method: string;
  data_frequency_seconds: number;
  api_url: string;
  is_active: boolean;
}

const CustomerFields = ({
  value,
  onChange,
  isNew,
}: {
  value: CustomerForm;
  onChange: (v: CustomerForm) => void;
  isNew: boolean;
}) => {
  const set = (k: keyof CustomerForm) => (e: Event) => {
    const t = e.target as HTMLInputElement;
    onChange({
      ...value,
      [k]: t.type === 'checkbox' ? t.checked : t.type === 'number' ? Number(t.value) : t.value,
    });
  };
  const p = isNew ? 'new' : 'edit';
  return (
    <div class="form-grid">
      {isNew && (
        <div class="field">
          <label for={`${p}-code`}>Customer code</label>
          <input
            id={`${p}-code`}
            required
            pattern="[A-Za-z0-9_\-]+"
            maxLength={32}
            value={value.customer_code}
            onInput={set('customer_code')}
          />
        </div>
      )}
      <div class="field">
        <label for={`${p}-name`}>Name</label>
        <input id={`${p}-name`} required maxLength={255} value={value.name} onInput={set('name')} />
      </div>
      <div class="field">
        <label for={`${p}-method`}>Data sharing</label>
        <select id={`${p}-method`} value={value.data_sharing_method} onChange={set('data_sharing_method')}>
          <option value="api">JSON API</option>
          <option value="csv">CSV download</option>
        </select>
      </div>
      <div class="field">
        <label for={`${p}-freq`}>Collect every (s)</label>
        <input
          id={`${p}-freq`}
          type="number"
          min={10}
          max={86400}
          value={value.data_frequency_seconds}
          onInput={set('data_frequency_seconds')}
        />
      </div>
      <div class="field field-wide">
        <label for={`${p}-url`}>Source URL</label>
        <input
          id={`${p}-url`}
          type="url"
          value={value.api_url}
          onInput={set('api_url')}
          placeholder="http://127.0.0.1:8001"
        />
      </div>
      <label class="check">
        <input type="checkbox" checked={value.is_active} onChange={set('is_active')} /> Active
      </label>
    </div>
  );
};

const EMPTY: CustomerForm = {
  customer_code: '',
  name: '',
  data_sharing_method: 'api',
  data_frequency_seconds: 60,
  api_url: '',
  is_active: true,
};

export const AdminCustomers = () => {
  useTitle('Customers');
  const now = useTicker(30_000);
  const list = useApi(
    (signal) => api<Page<CustomerDetail>>('/admin/customers', { query: { limit: 1000 }, signal }),
    [],
  );
  const [form, setForm] = useState<CustomerForm | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    if (!form) return;
    setError(null);
    try {
      const c = await api<CustomerDetail>('/admin/customers', {
        method: 'POST',
        body: { ...form, api_url: form.api_url || undefined },
      });
      setForm(null);
      navigate(`/admin/customers/${c.id}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div class="page">
      <h1>Customers</h1>
      <Card
        title={list.data ? `${fmtInt(list.data.total)} customers` : 'Customers'}
        id="adm-customers"
        actions={
          !form && (
            <button type="button" class="btn btn-small btn-primary" onClick={() => setForm({ ...EMPTY })}>
              New customer
            </button>
          )
        }
      >
        {form && (
          <form class="subform" onSubmit={create} aria-label="New customer">
            <h3>New customer</h3>
            <CustomerFields value={form} onChange={setForm} isNew />
            <ErrorBox error={error ?? undefined} />
            <div class="actions">
              <button type="submit" class="btn btn-primary">
                Create
              </button>
              <button type="button" class="btn" onClick={() => setForm(null)}>
                Cancel
              </button>
            </div>
          </form>
        )}
        <ErrorBox error={list.error} retry={list.reload} />
        {list.loading && !list.data && <Loading />}
        {list.data && list.data.items.length === 0 && <Empty>No customers.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <TableWrap label="Customers">
            <table data-testid="customers-table" class="stack">
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">Name</th>
                  <th scope="col">Method</th>
                  <th scope="col" class="num">
                    Every
                  </th>
                  <th scope="col" class="num">
                    Facilities
                  </th>
                  <th scope="col" class="num">
                    Units
                  </th>
                  <th scope="col" class="num">
                    Readings
                  </th>
                  <th scope="col">Last reading</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((c) => (
                  <tr key={c.id} data-customer-id={c.id} data-code={c.customer_code}>
                    <td class="stack-title">
                      <a href={href(`/admin/customers/${c.id}`)}>{c.customer_code}</a>
                    </td>
                    <td data-label="Name">{c.name}</td>
                    <td data-label="Method">{c.data_sharing_method}</td>
                    <td class="num" data-label="Every">
                      {c.data_frequency_seconds} s
                    </td>
                    <td class="num" data-label="Facilities">
                      {fmtInt(c.facility_count)}
                    </td>
                    <td class="num" data-label="Units">
                      {fmtInt(c.unit_count)}
                    </td>
                    <td class="num" data-testid="customer-readings" data-label="Readings">
                      {fmtInt(c.active_readings_count)}
                    </td>
                    <td class="stack-key" data-label="Last reading" title={fmtDateTime(c.last_reading_time)}>
                      {fmtAgo(c.last_reading_time, now)}
                    </td>
                    <td class="stack-key" data-label="State" data-testid="customer-state">
                      <StatusBadge status={c.is_active ? 'active' : 'offline'} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
    </div>
  );
};

export const AdminCustomerDetail = ({ id }: { id: string }) => {
  const customer = useApi((signal) => api<CustomerDetail>(`/admin/customers/${id}`, { signal }), [id]);
  const tokens = useApi((signal) => api<ApiToken[]>(`/admin/customers/${id}/tokens`, { signal }), [id]);
  const facilities = useApi(() => apiAll<Facility>('/admin/facilities', { customer_id: id }), [id]);
  const c = customer.data;
  useTitle(c ? `Customer ${c.customer_code}` : 'Customer');
  const [edit, setEdit] = useState<CustomerForm | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<ApiToken | null>(null);

  const update = async (body: Partial<CustomerForm>, done: string) => {
    setError(null);
    setMsg(null);
    try {
      await api(`/admin/customers/${id}`, { method: 'PUT', body });
      setMsg(done);
      setEdit(null);
      customer.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <div class="page">
      <p>
        <a href="#/admin/customers">← All customers</a>
      </p>
      <ErrorBox error={customer.error} retry={customer.reload} />
      {customer.loading && !c && <Loading />}
      {c && (
        <>
          <h1>
            {c.customer_code} · {c.name} <StatusBadge status={c.is_active ? 'active' : 'offline'} />
          </h1>
          <Card
            title="Customer"
            id="adm-customer"
            actions={
              <>
                {!edit && (
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={() =>
                      setEdit({
                        customer_code: c.customer_code,
                        name: c.name,
                        data_sharing_method: c.data_sharing_method,
                        data_frequency_seconds: c.data_frequency_seconds,
                        api_url: c.api_url ?? '',
                        is_active: c.is_active,
                      })
                    }
                  >
                    Edit
                  </button>
                )}
                <button
                  type="button"
                  class={`btn btn-small ${c.is_active ? 'btn-danger' : ''}`}
                  onClick={() => {
                    if (
                      !c.is_active ||
                      confirm(`Deactivate ${c.customer_code}? Its tokens stop working and collection stops.`)
                    )
                      void update(
                        { is_active: !c.is_active },
                        c.is_active ? 'Customer deactivated.' : 'Customer activated.',
                      );
                  }}
                >
                  {c.is_active ? 'Deactivate' : 'Activate'}
                </button>
              </>
            }
          >
            {msg && (
              <p class="alert alert-success" role="status">
                {msg}
              </p>
            )}
            <ErrorBox error={error ?? undefined} />
            {edit ? (
              <form
                class="subform"
                aria-label="Edit customer"
                onSubmit={(e) => {
                  e.preventDefault();
                  const { customer_code: _code, ...rest } = edit;
                  void update({ ...rest, api_url: rest.api_url || undefined }, 'Customer saved.');
                }}
              >
                <CustomerFields value={edit} onChange={setEdit} isNew={false} />
                <div class="actions">
                  <button type="submit" class="btn btn-primary">
                    Save
                  </button>
                  <button type="button" class="btn" onClick={() => setEdit(null)}>
                    Cancel
                  </button>
                </div>
              </form>
            ) : (
              <dl class="facts">
                <dt>Data sharing</dt>
                <dd>
                  {c.data_sharing_method}, every {c.data_frequency_seconds} s
                </dd>
                <dt>Source URL</dt>
                <dd>{c.api_url ?? '—'}</dd>
                <dt>Facilities / units</dt>
                <dd>
                  {fmtInt(c.facility_count)} / {fmtInt(c.unit_count)}
                </dd>
                <dt>Readings</dt>
                <dd data-testid="adm-customer-readings">{fmtInt(c.active_readings_count)}</dd>
                <dt>Last reading</dt>
                <dd>{fmtDateTime(c.last_reading_time)}</dd>
                <dt>Created</dt>
                <dd>{fmtDateTime(c.created_at)}</dd>
              </dl>
            )}
          </Card>
        </>
      )}
      <Card title="Facilities" id="adm-customer-facilities">
        <ErrorBox error={facilities.error} retry={facilities.reload} />
        {facilities.data && facilities.data.length === 0 && <Empty>No facilities.</Empty>}
        <ul class="plain-list">
          {facilities.data?.map((f) => (
            <li key={f.id}>
              {facilityLabel(f)}{' '}
              <span class="muted small">
                {[f.facility_code, f.city, f.country].filter(Boolean).join(' · ')}
              </span>
            </li>
          ))}
        </ul>
      </Card>
      <Card title="API tokens" id="adm-customer-tokens">
        {created && <NewTokenBox token={created} onDone={() => setCreated(null)} />}
        <TokenForm
          scopes={['read', 'write']}
          onCreate={async (body) => {
            const t = await api<ApiToken>(`/admin/customers/${id}/tokens`, { method: 'POST', body });
            setCreated(t);
            tokens.reload();
          }}
        />
        <ErrorBox error={tokens.error} retry={tokens.reload} />
        {tokens.data && tokens.data.length === 0 && <Empty>No tokens.</Empty>}
        {tokens.data && tokens.data.length > 0 && <TokenTable tokens={tokens.data} />}
      </Card>
    </div>
  );
};
