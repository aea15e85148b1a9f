import { useState } from 'preact/hooks';
import { Card, Empty, ErrorBox, Loading, TableWrap } from '../../components/ui.tsx';
import { api } from '../../lib/api.ts';
import { fmtDateTime } from '../../lib/format.ts';
import { useApi, useTitle } from '../../lib/hooks.ts';
import type { ConfigEntry } from '../../lib/types.ts';

/** One system_config row: the value is edited as JSON text and sent as JSON. */
const ConfigRow = ({
  k,
  entry,
  onSaved,
}: {
  k: string;
  entry: ConfigEntry;
  onSaved: (m: string) => void;
}) => {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current = JSON.stringify(entry.value);
  const save = async (e: Event) => {
    e.preventDefault();
    let value: unknown;
    try {
      value = JSON.parse(text ?? current);
    } catch {
      return setError('Not valid JSON: numbers as 730, text in "quotes", objects as {"warning": 2}.');
    }
    setBusy(true);
    setError(null);
    try {
      await api(`/admin/config/${encodeURIComponent(k)}`, { method: 'PUT', body: { value } });
      setText(null);
      onSaved(`Saved ${k} = ${JSON.stringify(value)}.`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const id = `cfg-${k}`;
  return (
    <tr data-key={k}>
      <th scope="row" class="stack-title">
        <code>{k}</code>
        <div class="muted small">{entry.description}</div>
      </th>
      <td class="stack-wide" data-label="Value">
        <form class="inline-form" onSubmit={save}>
          <label for={id} class="sr-only">
            Value of {k}
          </label>
          <input
            id={id}
            class="mono"
            value={text ?? current}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            spellcheck={false}
          />
          <button
            type="submit"
            class="btn btn-small btn-primary"
            disabled={busy || text === null || text === current}
          >
            Save
          </button>
        </form>
        <ErrorBox error={error ?? undefined} />
      </td>
      <td class="stack-wide" data-label="Updated">
        {fmtDateTime(entry.updated_at)}
      </td>
    </tr>
  );
};

export const AdminConfig = () => {
  useTitle('Configuration');
  const config = useApi((signal) => api<Record<string, ConfigEntry>>('/admin/config', { signal }), []);
  const [msg, setMsg] = useState<string | null>(null);
  return (
    <div class="page">
      <h1>Configuration</h1>
      <Card title="System configuration" id="adm-config">
        <p class="muted">Values are JSON. Changes apply to every customer.</p>
        {msg && (
          <p class="alert alert-success" role="status" data-testid="config-msg">
            {msg}
          </p>
        )}
        <ErrorBox error={config.error} retry={config.reload} />
        {config.loading && !config.data && <Loading />}
        {config.data && Object.keys(config.data).length === 0 && <Empty>No configuration entries.</Empty>}
        {config.data && Object.keys(config.data).length > 0 && (
          <TableWrap label="Configuration entries">
            <table data-testid="config-table" class="stack">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Value</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(config.data)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([k, entry]) => (
                    <ConfigRow
                      key={`${k}:${entry.updated_at}`}
                      k={k}
                      entry={entry}
                      onSaved={(m) => {
                        setMsg(m);
                        config.reload();
                      }}
                    />
                  ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
    </div>
  );
};
