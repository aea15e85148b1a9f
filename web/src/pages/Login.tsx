import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api.ts';
import { useTitle } from '../lib/hooks.ts';
import { navigate } from '../lib/router.ts';
import { saveSession, takeFlash, type Role, type Session } from '../lib/session.ts';
import type { CustomerDetail, Health } from '../lib/types.ts';

interface TokenInfo {
  kind: Role;
  customer_code: string | null;
}

/**
 * Finds out what a token is from `/auth/token`, which any valid token may call, so neither an
 * admin nor a customer signing in is sent to an endpoint that refuses it. A customer then reads
 * its profile for the name shown in the header.
 */
export const probeToken = async (token: string): Promise<Session> => {
  const info = await api<TokenInfo>('/auth/token', { token, noLogout: true });
  if (info.kind === 'admin') return { token, role: 'admin', name: 'Administrator' };
  const profile = await api<CustomerDetail>('/customers/profile', { token, noLogout: true });
  return { token, role: 'customer', name: profile.name || profile.customer_code };
};

const explain = (e: unknown): string => {
  if (!(e instanceof ApiError)) return `Sign-in failed: ${(e as Error).message}`;
  if (e.status === 0) return 'The API is not reachable: is tms running? Try again in a moment.';
  if (e.status === 401)
    return `This token was refused (${e.message}). Check that it is complete, not revoked and not expired.`;
  if (e.status === 403) return `This token may not use the dashboard (${e.message}).`;
  if (e.status >= 500) return `The API is unavailable (${e.message}). Try again in a moment.`;
  return `Sign-in failed: ${e.message}`;
};

export const LoginPage = () => {
  useTitle('Sign in');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice] = useState(takeFlash);
  const [health, setHealth] = useState<'checking' | 'up' | 'down' | 'degraded'>('checking');

  useEffect(() => {
    api<Health>('/health')
      .then((h) => setHealth(h.status === 'ok' ? 'up' : 'degraded'))
      .catch((e: ApiError) => setHealth(e.status === 503 ? 'degraded' : 'down'));
  }, []);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    const t = token.trim();
    if (!t) {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const s = await probeToken(t);
      setToken('');
      navigate(s.role === 'admin' ? '/admin' : '/');
      saveSession(s);
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <form class="card login-card" onSubmit={submit} aria-describedby="login-help" noValidate>
        <h1>
          <span aria-hidden="true">❄</span> tms dashboard
        </h1>
        <p id="login-help" class="muted">
          Sign in with an API token: a customer token or an admin token (the first start writes them to{' '}
          <code>data/tokens.json</code>). The token stays in this browser tab only and is forgotten when you
          log out or close the tab.
        </p>
        {notice && (
          <div class="alert alert-info" role="status">
            {notice}
          </div>
        )}
        {health === 'down' && (
          <div class="alert alert-error" role="alert" data-testid="api-down">
            The API is not reachable. Start it with <code>npm start</code>, then reload this page.
          </div>
        )}
        {health === 'degraded' && (
          <div class="alert alert-warn" role="status">
            The API answers but reports a problem (see System health after signing in).
          </div>
        )}
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-invalid={error ? true : undefined}
          aria-errormessage={error ? 'login-error' : undefined}
        />
        {error && (
          <div class="alert alert-error" role="alert" id="login-error" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
};
