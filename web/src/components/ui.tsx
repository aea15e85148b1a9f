import type { ComponentChildren } from 'preact';
import type { UnitStatus } from '../lib/types.ts';

export const Loading = ({ what = 'Loading' }: { what?: string }) => (
  <p class="loading" role="status" aria-live="polite">
    <span class="spinner" aria-hidden="true" />
    {what}…
  </p>
);

export const ErrorBox = ({ error, retry }: { error: Error | string | undefined; retry?: () => void }) =>
  error ? (
    <div class="alert alert-error" role="alert">
      <strong>Error:</strong> {typeof error === 'string' ? error : error.message}
      {retry && (
        <button type="button" class="btn btn-small" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  ) : null;

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="empty">{children}</p>;

export const Card = ({
  title,
  children,
  actions,
  class: cls,
  id,
}: {
  title?: ComponentChildren;
  children: ComponentChildren;
  actions?: ComponentChildren;
  class?: string;
  id?: string;
}) => (
  <section class={`card ${cls ?? ''}`} id={id} aria-labelledby={id && title ? `${id}-h` : undefined}>
    {(title || actions) && (
      <header class="card-head">
        {title && <h2 id={id ? `${id}-h` : undefined}>{title}</h2>}
        {actions && <div class="card-actions">{actions}</div>}
      </header>
    )}
    {children}
  </section>
);

/** A key figure. `testid` lets the browser tests compare it with the API's number. */
export const Kpi = ({
  label,
  value,
  sub,
  testid,
  tone,
}: {
  label: string;
  value: ComponentChildren;
  sub?: ComponentChildren;
  testid?: string;
  tone?: string;
}) => (
  <div class={`kpi ${tone ? `tone-${tone}` : ''}`}>
    <div class="kpi-label">{label}</div>
    <div class="kpi-value" data-testid={testid}>
      {value}
    </div>
    {sub && <div class="kpi-sub">{sub}</div>}
  </div>
);

const STATUS_LABEL: Record<string, string> = {
  normal: 'Normal',
  warning: 'Warning',
  critical: 'Critical',
  offline: 'Offline',
  unknown: 'Unknown',
  success: 'Success',
  partial: 'Partial',
  failure: 'Failure',
  running: 'Running',
  error: 'Error',
  maintenance: 'Maintenance',
  ok: 'OK',
  degraded: 'Degraded',
  active: 'Active',
  cleared: 'Cleared',
  acknowledged: 'Acknowledged',
};

export const StatusBadge = ({ status }: { status: UnitStatus | string | null | undefined }) => {
  const s = status ?? 'unknown';
  return <span class={`badge badge-${s}`}>{STATUS_LABEL[s] ?? s}</span>;
};

export const Pager = ({
  offset,
  limit,
  total,
  onChange,
  label,
}: {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
  label: string;
}) => {
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button
        type="button"
        class="btn btn-small"
        disabled={offset === 0}
        onClick={() => onChange(Math.max(0, offset - limit))}
      >
        ‹ Previous
      </button>
      <span data-testid="pager-status">
        Page {page} of {pages} · {total.toLocaleString()} rows
      </span>
      <button
        type="button"
        class="btn btn-small"
        disabled={offset + limit >= total}
        onClick={() => onChange(offset + limit)}
      >
        Next ›
      </button>
    </nav>
  );
};

/** A horizontally scrollable table wrapper, so wide tables stay readable at 375 px. */
export const TableWrap = ({ children, label }: { children: ComponentChildren; label: string }) => (
  <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
    {children}
  </div>
);
