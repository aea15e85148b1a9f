import { useState } from 'preact/hooks';
import { NewTokenBox, TokenForm, TokenTable } from '../components/Tokens.tsx';
import { Card, Empty, ErrorBox, Loading } from '../components/ui.tsx';
import { api, ApiError } from '../lib/api.ts';
import { fmtDateTime } from '../lib/format.ts';
import { useApi, useSession, useTitle } from '../lib/hooks.ts';
import { setSessionName } from '../lib/session.ts';
import type { ApiToken, CustomerDetail } from '../lib/types.ts';

/**
 * Why the signed-in token may not manage tokens, or null when it may (or it cannot be told). Its
 * own entry in the token list is the one whose prefix it starts with; a list refused with 403
 * means a token limited to some units.
 */
const tokenLock = (list: ApiToken[] | undefined, error: Error | undefined, token: string): string | null => {
  if (error instanceof ApiError && error.status === 403)
    return `This token may not manage tokens (${error.message}). Sign in with an unrestricted read+write token to create or revoke tokens.`;
  const mine = (list ?? []).filter((t) => t.token_prefix && token.startsWith(t.token_prefix));
  if (mine.length !== 1) return null;
  const own = mine[0]!;
  if (!own.permissions.includes('write'))
    return 'This token is read-only: creating and revoking tokens, and renaming, need a token with the write permission. Sign in with a read+write token to manage tokens.';
  if ((own.accessible_units ?? []).length > 0)
    return 'This token is limited to some units: only an unrestricted token can create or revoke tokens.';
  return null;
};

export const SettingsPage = () => {
  useTitle('Settings');
  const profile = useApi((signal) => api<CustomerDetail>('/customers/profile', { signal }), []);
  const tokens = useApi((signal) => api<ApiToken[]>('/customers/tokens', { signal }), []);
  const session = useSession();
  const locked = tokenLock(tokens.data, tokens.error, session?.token ?? '');
  const tokensRefused = tokens.error instanceof ApiError && tokens.error.status === 403;
  const [name, setName] = useState<string | null>(null);
  const [profileMsg, setProfileMsg] = useState<string | null>(null);
  const [profileErr, setProfileErr] = useState<string | null>(null);
  const [created, setCreated] = useState<ApiToken | null>(null);
  const [tokenErr, setTokenErr] = useState<string | null>(null);
  const [tokenMsg, setTokenMsg] = useState<string | null>(null);

  const saveName = async (e: Event) => {
    e.preventDefault();
    setProfileMsg(null);
    setProfileErr(null);
    try {
      const p = await api<CustomerDetail>('/customers/profile', {
        method: 'PUT',
        body: { name: (name ?? '').trim() },
      });
      setSessionName(p.name);
      setProfileMsg('Name saved.');
      profile.reload();
      setName(null);
    } catch (err) {
      setProfileErr((err as Error).message);
    }
  };

  const revoke = async (t: ApiToken) => {
    if (!confirm(`Revoke the token “${t.token_name}”? Programs using it will be refused at once.`)) return;
    setTokenErr(null);
    try {
      await api(`/customers/tokens/${t.id}`, { method: 'DELETE' });
      setTokenMsg(`Token “${t.token_name}” revoked.`);
      tokens.reload();
    } catch (err) {
      setTokenErr((err as Error).message);
    }
  };

  const p = profile.data;
  return (
    <div class="page">
      <h1>Settings</h1>
      <Card title="Profile" id="profile">
        <ErrorBox error={profile.error} retry={profile.reload} />
        {profile.loading && !p && <Loading />}
        {p && (
          <form class="inline-form" onSubmit={saveName}>
            <div class="field">
              <label for="profile-name">Name</label>
              <input
                id="profile-name"
                value={name ?? p.name}
                maxLength={255}
                required
                onInput={(e) => setName((e.target as HTMLInputElement).value)}
              />
            </div>
            <button
              type="submit"
              class="btn btn-primary"
              disabled={locked !== null || name === null || !name.trim() || name === p.name}
            >
              Save
            </button>
            <dl class="facts">
              <dt>Customer code</dt>
              <dd>{p.customer_code}</dd>
              <dt>Data sharing</dt>
              <dd>
                {p.data_sharing_method}, every {p.data_frequency_seconds} s
              </dd>
              <dt>Customer since</dt>
              <dd>{fmtDateTime(p.created_at)}</dd>
            </dl>
          </form>
        )}
        {profileMsg && (
          <p class="alert alert-success" role="status">
            {profileMsg}
          </p>
        )}
        <ErrorBox error={profileErr ?? undefined} />
      </Card>
      <Card title="API tokens" id="tokens">
        <p class="muted">
          Tokens let programs read your data (and, with <em>write</em>, change it). Creating and revoking
          tokens needs a token with the write permission.
        </p>
        {created && <NewTokenBox token={created} onDone={() => setCreated(null)} />}
        {tokenMsg && (
          <p class="alert alert-success" role="status" data-testid="token-msg">
            {tokenMsg}
          </p>
        )}
        <ErrorBox error={tokenErr ?? undefined} />
        <TokenForm
          scopes={['read', 'write']}
          lockedReason={locked}
          onCreate={async (body) => {
            setTokenMsg(null);
            const t = await api<ApiToken>('/customers/tokens', { method: 'POST', body });
            setCreated(t);
            tokens.reload();
          }}
        />
        {!tokensRefused && <ErrorBox error={tokens.error} retry={tokens.reload} />}
        {tokens.loading && !tokens.data && <Loading />}
        {tokens.data && tokens.data.length === 0 && <Empty>No active tokens.</Empty>}
        {tokens.data && tokens.data.length > 0 && (
          <TokenTable tokens={tokens.data} onRevoke={locked ? undefined : revoke} />
        )}
      </Card>
    </div>
  );
};
