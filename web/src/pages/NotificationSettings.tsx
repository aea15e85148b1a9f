import { useState } from 'preact/hooks';
import { ChannelForm, type ChannelBody } from '../components/ChannelForm.tsx';
import { Card, Empty, ErrorBox, Loading, Pager, TableWrap } from '../components/ui.tsx';
import { api } from '../lib/api.ts';
import { fmtDuration } from '../lib/alarms.ts';
import { fmtDateTime } from '../lib/format.ts';
import { useApi, useTitle } from '../lib/hooks.ts';
import { href } from '../lib/router.ts';
import type { Delivery, NotificationChannel, Page } from '../lib/types.ts';

const LOG_LIMIT = 25;

const DELIVERY_TONE: Record<string, string> = { sent: 'success', failed: 'failure', pending: 'running' };

/** The test send's outcome: the API waits for it (up to 15 s) and answers with the delivery row. */
interface TestResult {
  channelId: string;
  status: string;
  error: string | null;
}

const TEST_TEXT: Record<string, (error: string | null) => string> = {
  sent: () => 'Test message sent.',
  failed: (e) => `Test send failed: ${e ?? 'no reason given'}`,
  pending: (e) =>
    `Test message queued but not delivered yet${e ? ` (last error: ${e})` : ''}: the delivery log will show the outcome.`,
};

export const NotificationSettingsPage = () => {
  useTitle('Notifications');
  const channels = useApi((signal) => api<NotificationChannel[]>('/notification-channels', { signal }), []);
  const [logOffset, setLogOffset] = useState(0);
  const [logTick, setLogTick] = useState(0);
  const log = useApi(
    (signal) =>
      api<Page<Delivery>>('/notifications', { query: { limit: LOG_LIMIT, offset: logOffset }, signal }),
    [logOffset, logTick],
  );
  const [editing, setEditing] = useState<NotificationChannel | 'new' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const list = channels.data ?? [];

  const saveChannel = async (body: ChannelBody) => {
    setMessage(null);
    setSecret(null);
    const isNew = editing === 'new' || editing === null;
    const c = await api<NotificationChannel>(
      isNew ? '/notification-channels' : `/notification-channels/${(editing as NotificationChannel).id}`,
      { method: isNew ? 'POST' : 'PUT', body },
    );
    setEditing(null);
    setMessage(`Channel “${c.name || c.target}” ${isNew ? 'created' : 'saved'}.`);
    if (c.secret) setSecret(c.secret);
    channels.reload();
  };

  const remove = async (c: NotificationChannel) => {
    // A deletion is audited and needs a reason: the prompt asks for it (Cancel keeps the channel).
    const answer = prompt(
      `Delete the channel “${c.name || c.target}”? Alarms will no longer be sent to it.\nWhy (kept in the audit trail)?`,
    );
    if (answer === null) return;
    setError(null);
    if (!answer.trim()) return setError('A reason is required to delete a channel; it was kept.');
    try {
      await api(`/notification-channels/${c.id}?reason=${encodeURIComponent(answer.trim())}`, {
        method: 'DELETE',
      });
      setMessage(`Channel “${c.name || c.target}” deleted.`);
      channels.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const sendTest = async (c: NotificationChannel) => {
    setTesting(c.id);
    setTest(null);
    setError(null);
    try {
      const d = await api<Delivery>(`/notification-channels/${c.id}/test`, { method: 'POST' });
      setTest({ channelId: c.id, status: d.status, error: d.last_error });
    } catch (e) {
      setTest({ channelId: c.id, status: 'failed', error: (e as Error).message });
    } finally {
      setTesting(null);
      setLogTick((t) => t + 1);
    }
  };

  return (
    <div class="page">
      <h1>Notifications</h1>
      <p class="muted">
        Where alarms are sent: e-mail addresses and webhooks. A channel with an escalation delay is told only
        when an alarm is still unacknowledged that long after it started. <a href={href('/alarms')}>Alarms</a>
      </p>
      <Card
        title="Channels"
        id="channels"
        actions={
          <button
            type="button"
            class="btn btn-small"
            data-testid="channel-new"
            onClick={() => setEditing('new')}
          >
            Add a channel
          </button>
        }
      >
        {message && (
          <p class="alert alert-success" role="status" data-testid="channel-msg">
            {message}
          </p>
        )}
        {secret && (
          <p class="alert alert-info" data-testid="channel-secret">
            Webhook signing secret (shown once; the <code>X-TMS-Signature</code> header is{' '}
            <code>sha256=</code> its HMAC-SHA256 of the body): <code>{secret}</code>
          </p>
        )}
        <ErrorBox error={error ?? undefined} />
        {editing && (
          <ChannelForm
            channel={editing === 'new' ? null : editing}
            onSave={saveChannel}
            onCancel={() => setEditing(null)}
          />
        )}
        <ErrorBox error={channels.error} retry={channels.reload} />
        {channels.loading && !channels.data && <Loading what="Loading channels" />}
        {channels.data && list.length === 0 && <Empty>No channels: alarms are shown here only.</Empty>}
        {list.length > 0 && (
          <TableWrap label="Notification channels">
            <table class="stack" data-testid="channels-table">
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Escalate after</th>
                  <th scope="col">Repeat every</th>
                  <th scope="col">Active</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <tr key={c.id} data-channel-id={c.id}>
                    <td class="stack-title">
                      {c.name && <div>{c.name}</div>}
                      <span class="muted small">{c.type === 'email' ? 'E-mail' : 'Webhook'}:</span>{' '}
                      <span class="mono">{c.target}</span>
                      {test?.channelId === c.id && (
                        <p
                          class={`alert ${test.status === 'sent' ? 'alert-success' : test.status === 'failed' ? 'alert-error' : 'alert-info'}`}
                          role="status"
                          data-testid="test-result"
                          data-status={test.status}
                        >
                          {(TEST_TEXT[test.status] ?? TEST_TEXT.pending!)(test.error)}
                        </p>
                      )}
                    </td>
                    <td data-label="Severity">
                      {c.min_severity === 'critical' ? 'Critical only' : 'Warning and critical'}
                    </td>
                    <td data-label="Escalate after">
                      {c.escalate_after_seconds ? fmtDuration(c.escalate_after_seconds * 1000) : 'at once'}
                    </td>
                    <td data-label="Repeat every">
                      {c.repeat_seconds ? fmtDuration(c.repeat_seconds * 1000) : 'never'}
                    </td>
                    <td data-label="Active">{c.is_active ? 'Yes' : 'No'}</td>
                    <td data-label="Actions">
                      <div class="row-actions">
                        <button
                          type="button"
                          class="btn btn-small"
                          data-testid="channel-test"
                          disabled={testing !== null}
                          onClick={() => void sendTest(c)}
                        >
                          {testing === c.id ? 'Sending…' : 'Send a test'}
                        </button>
                        <button type="button" class="btn btn-small" onClick={() => setEditing(c)}>
                          Edit
                        </button>
                        <button type="button" class="btn btn-small btn-danger" onClick={() => void remove(c)}>
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>

      <Card
        title="Delivery log"
        id="deliveries"
        actions={
          <button type="button" class="btn btn-small" onClick={log.reload}>
            Refresh
          </button>
        }
      >
        <ErrorBox error={log.error} retry={log.reload} />
        {log.loading && !log.data && <Loading what="Loading the delivery log" />}
        {log.data && log.data.items.length === 0 && <Empty>Nothing sent yet.</Empty>}
        {log.data && log.data.items.length > 0 && (
          <>
            <TableWrap label="Delivery log">
              <table class="stack" data-testid="deliveries-table">
                <thead>
                  <tr>
                    <th scope="col">Queued</th>
                    <th scope="col">Event</th>
                    <th scope="col">To</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Attempts
                    </th>
                    <th scope="col">Sent / last error</th>
                  </tr>
                </thead>
                <tbody>
                  {log.data.items.map((d) => (
                    <tr key={d.id} data-status={d.status} data-event={d.event}>
                      <td class="stack-title">{fmtDateTime(d.created_at)}</td>
                      <td data-label="Event">
                        {d.alarm_id ? <a href={href(`/alarms/${d.alarm_id}`)}>{d.event}</a> : d.event}
                      </td>
                      <td data-label="To">
                        <span class="muted small">{d.channel_type}:</span>{' '}
                        <span class="mono">{d.target}</span>
                      </td>
                      <td data-label="Status">
                        <span class={`badge badge-${DELIVERY_TONE[d.status] ?? 'unknown'}`}>{d.status}</span>
                      </td>
                      <td class="num" data-label="Attempts">
                        {d.attempts}
                      </td>
                      <td data-label="Sent / last error">
                        {d.sent_at ? (
                          fmtDateTime(d.sent_at)
                        ) : d.last_error ? (
                          <span class="error-text">{d.last_error}</span>
                        ) : (
                          '—'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <Pager
              offset={logOffset}
              limit={LOG_LIMIT}
              total={log.data.total}
              onChange={setLogOffset}
              label="Deliveries"
            />
          </>
        )}
      </Card>
    </div>
  );
};
