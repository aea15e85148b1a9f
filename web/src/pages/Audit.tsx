import { useState } from 'preact/hooks';
import { Card, Empty, ErrorBox, Loading, Pager, TableWrap } from '../components/ui.tsx';
import { api, apiAll } from '../lib/api.ts';
import { changeLines, type AuditEntry, type AuditPage, type AuditVerify } from '../lib/audit.ts';
import { fmtDateTime, fmtInt } from '../lib/format.ts';
import { useApi, useTitle } from '../lib/hooks.ts';
import { replaceQuery, type Route } from '../lib/router.ts';
import type { CustomerDetail } from '../lib/types.ts';

const LIMIT = 50;
const FIELDS = ['entity_type', 'entity_id', 'action', 'actor', 'from', 'to'] as const;
type Filter = Record<(typeof FIELDS)[number] | 'customer', string>;

/** `<input type="datetime-local">` value (browser zone) to an ISO instant. */
const localToIso = (v: string) => (v ? new Date(v).toISOString() : undefined);

/** The changed fields, first line shown; the rest behind a disclosure so rows stay compact. */
const Changes = ({ entry }: { entry: AuditEntry }) => {
  const lines = changeLines(entry.changes);
  if (lines.length === 0) return <span class="small">—</span>;
  if (lines.length === 1) return <code class="small">{lines[0]}</code>;
  return (
    <details>
      <summary>
        <code class="small">{lines[0]}</code> +{lines.length - 1}
      </summary>
      {lines.slice(1).map((l) => (
        <div key={l}>
          <code class="small">{l}</code>
        </div>
      ))}
    </details>
  );
};

const VerifyChain = () => {
  const [result, setResult] = useState<AuditVerify>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const verify = () => {
    setBusy(true);
    setError(undefined);
    api<AuditVerify>('/admin/audit/verify')
      .then(setResult, (e: Error) => setError(e.message))
      .finally(() => setBusy(false));
  };
  return (
    <div class="verify" data-testid="audit-verify">
      <button type="button" class="btn" disabled={busy} onClick={verify} data-testid="audit-verify-btn">
        Verify chain
      </button>
      {error && <span class="error"> {error}</span>}
      {result?.ok && (
        <span data-testid="audit-verify-result" data-ok="true">
          {' '}
          OK — {fmtInt(result.verified)} entries verified
          {result.head && `, head #${result.head.seq} ${result.head.hash.slice(0, 12)}…`}
        </span>
      )}
      {result && !result.ok && (
        <span data-testid="audit-verify-result" data-ok="false" class="error">
          {' '}
          BROKEN at #{result.broken?.seq} ({result.broken && fmtDateTime(result.broken.at)}):{' '}
          {result.broken?.problem}
        </span>
      )}
    </div>
  );
};

export const AuditPageView = ({ route, admin = false }: { route: Route; admin?: boolean }) => {
  useTitle('Audit trail');
  const q = route.query;
  const filter = Object.fromEntries([...FIELDS, 'customer'].map((k) => [k, q.get(k) ?? ''])) as Filter;
  const [offset, setOffset] = useState(0);
  const customers = useApi(
    () => (admin ? apiAll<CustomerDetail>('/admin/customers') : Promise.resolve([])),
    [admin],
  );
  const entries = useApi(
    (signal) =>
      api<AuditPage>(admin ? '/admin/audit' : '/audit', {
        query: {
          customer_id: admin ? filter.customer : undefined,
          entity_type: filter.entity_type,
          entity_id: filter.entity_id,
          action: filter.action,
          actor: filter.actor,
          start_date: localToIso(filter.from),
          end_date: localToIso(filter.to),
          limit: LIMIT,
          offset,
        },
        signal,
      }),
    [admin, ...FIELDS.map((k) => filter[k]), filter.customer, offset],
  );
  const set = (k: keyof Filter) => (e: Event) => {
    setOffset(0);
    replaceQuery(route, { ...filter, [k]: (e.target as HTMLInputElement).value });
  };
  const text = (k: keyof Filter, label: string) => (
    <div class="field">
      <label for={`audit-${k}`}>{label}</label>
      <input id={`audit-${k}`} value={filter[k]} onChange={set(k)} />
    </div>
  );
  return (
    <div class="page">
      <h1>Audit trail</h1>
      <Card>
        {admin && <VerifyChain />}
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the audit trail">
          {admin && (
            <div class="field">
              <label for="audit-customer">Customer</label>
              <select id="audit-customer" value={filter.customer} onChange={set('customer')}>
                <option value="">All customers</option>
                {customers.data?.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.customer_code} · {c.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          {text('entity_type', 'Entity type')}
          {text('entity_id', 'Entity id')}
          {text('action', 'Action')}
          {text('actor', 'Actor')}
          <div class="field">
            <label for="audit-from">After</label>
            <input id="audit-from" type="datetime-local" value={filter.from} onChange={set('from')} />
          </div>
          <div class="field">
            <label for="audit-to">Before</label>
            <input id="audit-to" type="datetime-local" value={filter.to} onChange={set('to')} />
          </div>
        </form>
        <ErrorBox error={entries.error ?? customers.error} retry={entries.reload} />
        {entries.loading && !entries.data && <Loading />}
        {entries.data && entries.data.items.length === 0 && (
          <Empty>No audit entries match these filters.</Empty>
        )}
        {entries.data && entries.data.items.length > 0 && (
          <>
            <TableWrap label="Audit entries">
              <table data-testid="audit-table" class="stack">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Entity</th>
                    <th scope="col">Action</th>
                    <th scope="col">Changes</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.data.items.map((e) => (
                    <tr key={e.id} data-seq={e.seq}>
                      <td class="stack-title">{fmtDateTime(e.at)}</td>
                      <td data-label="Actor" title={e.actor.token_id ?? e.actor.kind}>
                        {e.actor.name}
                      </td>
                      <td data-label="Entity">
                        {e.entity_type}
                        {e.entity_id && <span class="small"> {e.entity_id.slice(0, 8)}</span>}
                      </td>
                      <td class="stack-key" data-label="Action">
                        {e.action}
                      </td>
                      <td class="stack-wide" data-label="Changes">
                        <Changes entry={e} />
                      </td>
                      <td class="small" data-label="Reason">
                        {e.reason ?? ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <Pager
              offset={offset}
              limit={LIMIT}
              total={entries.data.total}
              onChange={setOffset}
              label="Audit entries"
            />
          </>
        )}
      </Card>
    </div>
  );
};
