import { useState } from 'preact/hooks';
import { ErrorBox, TableWrap } from './ui.tsx';
import { fmtDateTime } from '../lib/format.ts';
import type { ApiToken } from '../lib/types.ts';

/** Shows a freshly created token once, with a copy button; it cannot be shown again. */
export const NewTokenBox = ({ token, onDone }: { token: ApiToken; onDone: () => void }) => {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token ?? '');
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Copying is not allowed here: select the token and copy it by hand.');
    }
  };
  return (
    <div class="alert alert-success new-token" role="status" data-testid="new-token">
      <p>
        <strong>Token “{token.token_name}” created.</strong> Copy it now: it is shown only once and cannot be
        recovered.
      </p>
      <div class="token-row">
        <input
          readOnly
          value={token.token}
          aria-label="New token"
          data-testid="new-token-value"
          onFocus={(e) => (e.target as HTMLInputElement).select()}
        />
        <button type="button" class="btn btn-small" onClick={copy} data-testid="copy-token">
          Copy
        </button>
        <button type="button" class="btn btn-small" onClick={onDone}>
          Done
        </button>
      </div>
      {copied && <p class="small">{copied}</p>}
    </div>
  );
};

/**
 * The create-token form. With `lockedReason` (a read-only token, or one limited to some units) the
 * form shows disabled with that explanation, instead of refusing only after it was filled in.
 */
export const TokenForm = ({
  onCreate,
  scopes,
  lockedReason,
}: {
  onCreate: (body: {
    token_name: string;
    permissions: string[];
    rate_limit_per_hour: number;
    expires_at?: string;
  }) => Promise<void>;
  scopes: string[];
  lockedReason?: string | null;
}) => {
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<string[]>(['read']);
  const [rate, setRate] = useState(1000);
  const [days, setDays] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return setError('Give the token a name.');
    if (perms.length === 0) return setError('Choose at least one permission.');
    setBusy(true);
    setError(null);
    try {
      await onCreate({
        token_name: name.trim(),
        permissions: perms,
        rate_limit_per_hour: rate,
        expires_at: days ? new Date(Date.now() + Number(days) * 86400_000).toISOString() : undefined,
      });
      setName('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="token-form"
      onSubmit={submit}
      aria-label="Create an API token"
      aria-describedby={lockedReason ? 'token-locked' : undefined}
    >
      {lockedReason && (
        <p class="alert alert-info" id="token-locked" data-testid="token-form-locked">
          {lockedReason}
        </p>
      )}
      <fieldset class="token-fields" disabled={!!lockedReason}>
        <div class="field">
          <label for="tok-name">Name</label>
          <input
            id="tok-name"
            value={name}
            maxLength={255}
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
        </div>
        <fieldset class="field">
          <legend>Permissions</legend>
          {scopes.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                checked={perms.includes(s)}
                onChange={(e) =>
                  setPerms(
                    (e.target as HTMLInputElement).checked ? [...perms, s] : perms.filter((p) => p !== s),
                  )
                }
              />{' '}
              {s}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="tok-rate">Requests per hour</label>
          <input
            id="tok-rate"
            type="number"
            min={1}
            max={100000}
            value={rate}
            onInput={(e) => setRate(Number((e.target as HTMLInputElement).value))}
          />
        </div>
        <div class="field">
          <label for="tok-exp">Expires after (days, empty: never)</label>
          <input
            id="tok-exp"
            type="number"
            min={1}
            max={3650}
            value={days}
            onInput={(e) => setDays((e.target as HTMLInputElement).value)}
          />
        </div>
        <button
          type="submit"
          class="btn btn-primary"
          disabled={busy || !!lockedReason}
          data-testid="create-token"
        >
          {busy ? 'Creating…' : 'Create token'}
        </button>
        <ErrorBox error={error ?? undefined} />
      </fieldset>
    </form>
  );
};

export const TokenTable = ({
  tokens,
  onRevoke,
}: {
  tokens: ApiToken[];
  onRevoke?: (t: ApiToken) => void;
}) => (
  <TableWrap label="API tokens">
    <table data-testid="tokens-table" class="stack">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Token</th>
          <th scope="col">Permissions</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">Expires</th>
          <th scope="col">State</th>
          {onRevoke && <th scope="col">Action</th>}
        </tr>
      </thead>
      <tbody>
        {tokens.map((t) => (
          <tr key={t.id} data-token-id={t.id}>
            <td class="stack-title">{t.token_name}</td>
            <td data-label="Token">
              <code>{t.token_prefix ? `${t.token_prefix}…` : '••••'}</code>
            </td>
            <td class="stack-key" data-label="Permissions">
              {t.permissions.join(', ')}
            </td>
            <td data-label="Created">{fmtDateTime(t.created_at)}</td>
            <td data-label="Last used">{t.last_used_at ? fmtDateTime(t.last_used_at) : 'never'}</td>
            <td data-label="Expires">{t.expires_at ? fmtDateTime(t.expires_at) : 'never'}</td>
            <td class="stack-key" data-label="State">
              {t.is_active ? 'active' : 'revoked'}
            </td>
            {onRevoke && (
              <td class="stack-key">
                {t.is_active && (
                  <button
                    type="button"
                    class="btn btn-small btn-danger"
                    onClick={() => onRevoke(t)}
                    aria-label={`Revoke token ${t.token_name}`}
                  >
                    Revoke
                  </button>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  </TableWrap>
);
