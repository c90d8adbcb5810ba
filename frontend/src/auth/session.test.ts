import { afterEach, describe, expect, it, vi } from 'vitest';
import { accessToken, clearSession, getSession, signIn, signOut } from './session';

const user = { sub: 'dev:a@b.in', email: 'a@b.in', name: 'A', picture: null, roles: ['marketer'] };
const renewed = (token: string, expiresIn = 3600) =>
  new Response(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: expiresIn, refresh_token: null, user }), {
    status: 200,
  });

describe('session refresh', () => {
  afterEach(() => {
    clearSession();
    vi.unstubAllGlobals();
    document.cookie = 'beacon_csrf=; max-age=0; path=/';
  });

  it('refreshes once, shortly before expiry, through the cookie with the CSRF token echoed', async () => {
    document.cookie = 'beacon_csrf=c%2Bsrf; path=/';
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => renewed('new'));
    vi.stubGlobal('fetch', fetch);
    signIn({ accessToken: 'old', renewable: true, expiresAt: Date.now() + 10_000, user });
    const [a, b] = await Promise.all([accessToken(), accessToken()]);
    expect([a, b]).toEqual(['new', 'new']);
    expect(fetch).toHaveBeenCalledTimes(1); // one refresh shared by both callers
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/v1/auth/refresh');
    expect(init?.body).toBeUndefined(); // no token in the body: the httpOnly cookie carries it
    expect(init?.credentials).toBe('same-origin');
    expect(new Headers(init?.headers).get('x-csrf-token')).toBe('c+srf');
  });

  it('never keeps a refresh token in storage, and drops one an older dashboard stored', () => {
    signIn({ accessToken: 'a', renewable: true, expiresAt: Date.now() + 3_600_000, user });
    expect(localStorage.getItem('beacon.session')).not.toMatch(/refresh/i);
    localStorage.setItem('beacon.session', JSON.stringify({ accessToken: 'b', refreshToken: 'long-lived', expiresAt: Date.now() + 3_600_000, user }));
    window.dispatchEvent(new StorageEvent('storage', { key: 'beacon.session' }));
    expect(getSession()).toMatchObject({ accessToken: 'b', renewable: false });
    expect(localStorage.getItem('beacon.session')).not.toContain('long-lived');
  });

  it('refreshes a short-lived token at a quarter of its lifetime, not on every request', async () => {
    const fetch = vi.fn(async () => renewed('new', 20));
    vi.stubGlobal('fetch', fetch);
    signIn({ accessToken: 'fresh', renewable: true, expiresAt: Date.now() + 19_000, lifetimeMs: 20_000, user });
    expect(await accessToken()).toBe('fresh');
    expect(fetch).not.toHaveBeenCalled();
    signIn({ accessToken: 'old', renewable: true, expiresAt: Date.now() + 4_000, lifetimeMs: 20_000, user });
    expect(await accessToken()).toBe('new');
    expect(getSession()).toMatchObject({ accessToken: 'new', renewable: true, lifetimeMs: 20_000 });
  });

  it('ends the session when an expired token cannot be renewed', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{}', { status: 401 })));
    signIn({ accessToken: 'old', renewable: true, expiresAt: Date.now() - 1, user });
    expect(await accessToken()).toBeNull();
    expect(getSession()).toBeNull();
  });

  it('uses the tokens another tab has just refreshed instead of refreshing again', async () => {
    const fetch = vi.fn(async () => new Response('{}', { status: 401 }));
    vi.stubGlobal('fetch', fetch);
    signIn({ accessToken: 'old', renewable: true, expiresAt: Date.now() + 10_000, user });
    // The other tab refreshed: the cookie rotated, a fresh access token is in storage.
    const other = { accessToken: 'from-other-tab', renewable: true, expiresAt: Date.now() + 3_600_000, user };
    localStorage.setItem('beacon.session', JSON.stringify(other));
    expect(await accessToken()).toBe('from-other-tab');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('follows a sign-in, refresh or sign-out made in another tab', () => {
    signIn({ accessToken: 'a', renewable: true, expiresAt: Date.now() + 3_600_000, user });
    localStorage.setItem('beacon.session', JSON.stringify({ accessToken: 'b', renewable: true, expiresAt: Date.now() + 3_600_000, user }));
    window.dispatchEvent(new StorageEvent('storage', { key: 'beacon.session' }));
    expect(getSession()?.accessToken).toBe('b');
    localStorage.removeItem('beacon.session');
    window.dispatchEvent(new StorageEvent('storage', { key: 'beacon.session' }));
    expect(getSession()).toBeNull();
  });

  it('signs out with the cookie as the credential', async () => {
    document.cookie = 'beacon_csrf=tok; path=/';
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetch);
    signIn({ accessToken: 'a', renewable: true, expiresAt: Date.now() + 3_600_000, user });
    await signOut();
    expect(getSession()).toBeNull();
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/v1/auth/signout');
    expect(init?.body).toBeUndefined();
    const headers = new Headers(init?.headers);
    expect([headers.get('x-csrf-token'), headers.get('authorization')]).toEqual(['tok', 'Bearer a']);
  });
});
