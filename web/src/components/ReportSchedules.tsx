import { useState } from 'preact/hooks';
import { Card, Empty, ErrorBox, Loading, TableWrap } from './ui.tsx';
import { api } from '../lib/api.ts';
import { fmtDateTime, TIME_ZONE } from '../lib/format.ts';
import { useApi } from '../lib/hooks.ts';
import type { ReportSchedule } from '../lib/types.ts';

const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);

const statusText = (s: ReportSchedule): string => {
  if (!s.last_status) return 'not run yet';
  return s.last_error ? `${s.last_status}: ${s.last_error}` : s.last_status;
};

/**
 * "Scheduled reports" card of the facility page: the facility's weekly or monthly reports e-mailed to
 * the customer's e-mail channels (`/report-schedules`), with add and remove (a write token; the API's
 * 403 for others is shown as it comes).
 */
export const ReportSchedules = ({ facilityId }: { facilityId: string }) => {
  const list = useApi(
    (signal) => api<ReportSchedule[]>('/report-schedules', { query: { facility_id: facilityId }, signal }),
    [facilityId],
  );
  const [period, setPeriod] = useState<'weekly' | 'monthly'>('monthly');
  const [format, setFormat] = useState<'pdf' | 'csv'>('pdf');
  const [tz, setTz] = useState(TIME_ZONE);
  const [removing, setRemoving] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      list.reload();
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = (e: Event) => {
    e.preventDefault();
    void act(() =>
      api('/report-schedules', {
        method: 'POST',
        body: { facility_id: facilityId, period, format, tz: tz.trim() },
      }),
    );
  };
  const remove = (id: string) =>
    void act(() =>
      api(`/report-schedules/${id}`, { method: 'DELETE', query: { reason: reason.trim() } }),
    ).then((ok) => ok && (setRemoving(null), setReason('')));

  const rows = list.data ?? [];
  return (
    <Card title="Scheduled reports" id="report-schedules">
      <p class="muted">
        The report of the last full week (Monday to Monday) or month, e-mailed to the customer's e-mail
        notification channels an hour after the period ends.
      </p>
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading the schedules" />}
      {list.data && rows.length === 0 && <Empty>No scheduled reports for this facility.</Empty>}
      {rows.length > 0 && (
        <TableWrap label="Scheduled reports">
          <table data-testid="report-schedules-table" class="stack">
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col">Format</th>
                <th scope="col">Zone</th>
                <th scope="col">Sent to</th>
                <th scope="col">Next report</th>
                <th scope="col">Last run</th>
                <th scope="col" aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id} data-schedule-id={s.id}>
                  <td class="stack-title">{s.period}</td>
                  <td data-label="Format">{s.format.toUpperCase()}</td>
                  <td data-label="Zone">{s.tz}</td>
                  <td data-label="Sent to">
                    {s.channel_ids ? `${s.channel_ids.length} channel(s)` : 'every e-mail channel'}
                  </td>
                  <td data-label="Next report">{s.enabled ? fmtDateTime(s.next_run_at) : 'disabled'}</td>
                  <td data-label="Last run">{statusText(s)}</td>
                  <td>
                    {removing === s.id ? (
                      <span>
                        <input
                          id={`rs-reason-${s.id}`}
                          aria-label="Reason for removing the schedule"
                          placeholder="Reason (required)"
                          value={reason}
                          onInput={val(setReason)}
                        />{' '}
                        <button
                          type="button"
                          class="btn btn-small"
                          disabled={busy || !reason.trim()}
                          data-testid="report-schedule-confirm-remove"
                          onClick={() => remove(s.id)}
                        >
                          Remove
                        </button>{' '}
                        <button type="button" class="btn btn-small" onClick={() => setRemoving(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button
                        type="button"
                        class="btn btn-small"
                        data-testid="report-schedule-remove"
                        onClick={() => (setRemoving(s.id), setReason(''))}
                      >
                        Remove…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form class="subform" onSubmit={add} data-testid="report-schedule-form" aria-label="Schedule a report">
        <div class="form-grid">
          <div class="field">
            <label for="rs-period">Period</label>
            <select id="rs-period" value={period} onChange={val((v) => setPeriod(v as typeof period))}>
              <option value="monthly">Monthly (calendar month)</option>
              <option value="weekly">Weekly (Monday to Monday)</option>
            </select>
          </div>
          <div class="field">
            <label for="rs-format">Format</label>
            <select id="rs-format" value={format} onChange={val((v) => setFormat(v as typeof format))}>
              <option value="pdf">PDF</option>
              <option value="csv">CSV</option>
            </select>
          </div>
          <div class="field">
            <label for="rs-tz">Time zone</label>
            <input id="rs-tz" required maxLength={64} value={tz} onInput={val(setTz)} />
          </div>
        </div>
        <div class="actions">
          <button
            type="submit"
            class="btn btn-primary"
            disabled={busy || !tz.trim()}
            data-testid="report-schedule-add"
          >
            Schedule the report
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
    </Card>
  );
};
