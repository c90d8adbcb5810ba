/**
 * The signed-in session: the short-lived access token and who is signed in, kept in
 * localStorage so a reload stays signed in, exposed as a tiny external store for React, and
 * refreshed shortly before the access token expires (one refresh at a time, shared by every
 * caller). The refresh token is never in reach of a script: the server keeps it in an
 * httpOnly SameSite=Strict cookie scoped to /api/v1/auth (sign-in asks for that with
 * X-Beacon-Session: cookie), and refresh and sign-out echo the readable CSRF cookie.
 */
import type { Session, User } from '../api/models';
import { readShared, writeShared } from './sharedSession';

const KEY = 'beacon.session';
const EARLY_MS = 30_000; // refresh this long before expiry so requests never race it

/**
 * How long before expiry to refresh: 30 s, or a quarter of the token's lifetime when that
 * is shorter (a 20-s token is refreshed at 15 s, not on every request).
 */
function earlyMs(s: StoredSession): number {
  return s.lifetimeMs ? Math.min(EARLY_MS, s.lifetimeMs / 4) : EARLY_MS;
}

export interface StoredSession {
  accessToken: string | null; // null: the server has no sign-in (an open development API)
  renewable: boolean; // the httpOnly refresh cookie stands behind it
  expiresAt: number; // epoch ms
  lifetimeMs?: number; // the access token's lifetime as issued
  issuedAt?: number; // epoch ms when these tokens were issued (the newest session wins)
  user: User;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let current: StoredSession | null = load();
let refreshing: Promise<StoredSession | null> | null = null;

function load(): StoredSession | null {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as StoredSession & { refreshToken?: unknown };
    if ('refreshToken' in parsed) {
      // Stored by an older dashboard: the refresh token leaves storage now; the access
      // token serves until it runs out, then the person signs in again.
      const { refreshToken: _dropped, ...rest } = parsed;
      const kept = { ...rest, renewable: false };
      localStorage.setItem(KEY, JSON.stringify(kept));
      return kept;
    }
    return parsed;
  } catch {
    return null;
  }
}

function save(next: StoredSession | null): void {
  current = next;
  try {
    if (next) localStorage.setItem(KEY, JSON.stringify(next));
    else localStorage.removeItem(KEY);
  } catch {
    // private mode: the session lives for this tab only
  }
  listeners.forEach((l) => l());
}

// Another tab signed in, refreshed (rotating the refresh token) or signed out: follow it,
// so this tab never presents a refresh token that has already been used.
globalThis.addEventListener?.('storage', (event: StorageEvent) => {
  if (event.key !== KEY && event.key !== null) return;
  current = load();
  listeners.forEach((l) => l());
});

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getSession(): StoredSession | null {
  return current;
}

export function fromApi(session: Session): StoredSession {
  return {
    accessToken: session.access_token,
    renewable: true,
    expiresAt: Date.now() + session.expires_in * 1000,
    lifetimeMs: session.expires_in * 1000,
    issuedAt: Date.now(),
    user: session.user,
  };
}

export function signIn(session: StoredSession): void {
  save(session);
  void writeShared(session);
}

/** Forget the session (sign out, or the server refused the token). */
export function clearSession(): void {
  save(null);
  void writeShared(null);
}

/** Ask for the session in the httpOnly cookie (sent with every sign-in). */
export const COOKIE_SESSION = { 'x-beacon-session': 'cookie' } as const;

/** The double-submit CSRF token the server set beside the refresh cookie. */
export function csrfHeader(): Record<string, string> {
  const match = /(?:^|;\s*)beacon_csrf=([^;]*)/.exec(globalThis.document?.cookie ?? '');
  return match ? { 'x-csrf-token': decodeURIComponent(match[1] ?? '') } : {};
}

async function refresh(): Promise<StoredSession | null> {
  const response = await fetch('/api/v1/auth/refresh', {
    method: 'POST',
    credentials: 'same-origin',
    headers: csrfHeader(),
  });
  if (!response.ok) return null;
  return fromApi((await response.json()) as Session);
}

/**
 * One refresh at a time across tabs (Web Locks): inside the lock the stored session is read
 * again, and when another tab has just refreshed it, its new tokens are used as they are.
 * Two tabs presenting the same refresh token would look like reuse and revoke them all.
 */
async function refreshOnce(s: StoredSession): Promise<StoredSession | null> {
  const run = async () => {
    // The newest of what this tab's localStorage says and what the last refresh wrote to
    // IndexedDB (never stale inside the lock; see sharedSession.ts).
    const local = load();
    const shared = await readShared<StoredSession>();
    const stored = shared && shared.issuedAt && shared.issuedAt > (local?.issuedAt ?? 0) ? shared : local;
    if (stored?.accessToken && stored.accessToken !== s.accessToken && stored.expiresAt - Date.now() > earlyMs(stored)) {
      return stored; // renewed by another tab meanwhile (the cookie already rotated)
    }
    const next = await refresh();
    // Stored before the lock is released, so the next tab to take it reads the new tokens.
    if (next) {
      await writeShared(next);
      save(next);
    }
    return next;
  };
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? locks.request('beacon.session.refresh', run) : run();
}

/** A usable access token (refreshed when about to expire); null when signed out. */
export async function accessToken(): Promise<string | null> {
  const s = current;
  if (!s) return null;
  if (!s.accessToken || !s.renewable || s.expiresAt - Date.now() > earlyMs(s)) {
    return s.accessToken;
  }
  refreshing ??= refreshOnce(s)
    .catch(() => null)
    .finally(() => {
      refreshing = null;
    });
  const next = await refreshing;
  if (next) save(next);
  else if (s.expiresAt <= Date.now()) save(null); // expired and not renewable
  return next?.accessToken ?? (current?.accessToken ?? null);
}

/**
 * After a 401: renew the session now, whatever its expiry says (the server may have
 * restarted with a new key, or another tab rotated the tokens); the new access token, or
 * null when it cannot be renewed (the caller then ends the session).
 */
export async function renewNow(rejected: string | null): Promise<string | null> {
  const s = current;
  if (!s?.renewable) return null;
  if (s.accessToken && s.accessToken !== rejected) return s.accessToken; // renewed meanwhile
  refreshing ??= refreshOnce({ ...s, expiresAt: 0 })
    .catch(() => null)
    .finally(() => {
      refreshing = null;
    });
  const next = await refreshing;
  if (next && next.accessToken !== rejected) {
    save(next);
    return next.accessToken;
  }
  return null;
}

export async function signOut(): Promise<void> {
  const s = current;
  save(null);
  if (s?.renewable) {
    // The cookie is the credential; the server clears it.
    await fetch('/api/v1/auth/signout', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        ...csrfHeader(),
        ...(s.accessToken ? { authorization: `Bearer ${s.accessToken}` } : {}),
      },
    }).catch(() => undefined);
  }
}
