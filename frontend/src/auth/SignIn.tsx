/**
 * /signin: Google when the server has a client id, the dev form in local mode, then back
 * to the page the person asked for.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { ApiError, getJson } from '../api/client';
import type { AuthConfig, Session } from '../api/models';
import { useSession } from './RequireAuth';
import { COOKIE_SESSION, fromApi, signIn } from './session';
import { useTitle } from '../lib/title';

const GoogleButton = lazy(() => import('./GoogleButton'));

/** Only same-site paths: `next` must never send someone to another origin. */
export function safeNext(raw: string | null): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/signin')) {
    return '/campaigns';
  }
  return raw;
}

async function authConfig(): Promise<AuthConfig | null> {
  try {
    return await getJson<AuthConfig>('/api/v1/auth/config');
  } catch (error) {
    // A server without the sign-in routes is an open development API.
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export default function SignInPage() {
  useTitle('Sign in');
  const session = useSession();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const config = useQuery({ queryKey: ['auth-config'], queryFn: authConfig, retry: 1 });
  const [email, setEmail] = useState('');

  const dev = useMutation({
    mutationFn: async (address: string) => {
      if (config.data === null) {
        // Open server: nothing to sign in to; remember who is using the dashboard.
        return {
          accessToken: null,
          renewable: false,
          expiresAt: Date.now() + 365 * 86_400_000,
          user: { sub: address, email: address, name: address.split('@')[0] ?? address, picture: null, roles: ['admin'] },
        };
      }
      const session = await getJson<Session>('/api/v1/auth/dev', {
        method: 'POST',
        headers: COOKIE_SESSION,
        body: JSON.stringify({ email: address }),
      });
      return fromApi(session);
    },
    onSuccess: signIn,
  });
  const google = useMutation({
    mutationFn: async (credential: string) =>
      fromApi(
        await getJson<Session>('/api/v1/auth/google', {
          method: 'POST',
          headers: COOKIE_SESSION,
          body: JSON.stringify({ credential }),
        }),
      ),
    onSuccess: signIn,
  });

  if (session) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (email.trim()) dev.mutate(email.trim());
  };
  const showDev = config.data === null || config.data?.dev_sign_in === true || config.isError;
  const error = dev.error ?? google.error;

  return (
    <main className="signin">
      <div className="signin-card">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Beacon
        </div>
        <h1>Sign in</h1>
        <p className="muted">Build audiences, send campaigns, and watch them deliver live.</p>
        {config.isPending && <p className="muted">Checking sign-in options…</p>}
        {config.data?.google_client_id && (
          <Suspense fallback={<p className="muted">Loading Google sign-in…</p>}>
            <GoogleButton clientId={config.data.google_client_id} onCredential={(c) => google.mutate(c)} />
          </Suspense>
        )}
        {showDev && (
          <form onSubmit={submit} className="stack">
            <label className="field">
              <span>Email</span>
              <input
                type="email"
                name="email"
                autoComplete="email"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                placeholder="you@shop.in"
              />
            </label>
            <button type="submit" className="btn btn-primary" disabled={dev.isPending}>
              Sign in (dev)
            </button>
            <p className="hint">
              Local mode: no Google account is configured, so any email signs in.
            </p>
          </form>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error.message}
          </p>
        )}
      </div>
    </main>
  );
}
