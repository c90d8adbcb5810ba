import { afterEach, describe, expect, it, vi } from 'vitest';
import { accessToken, clearSession, getSession, signIn } from './session';

const user = { sub: 'dev:a@b.in', email: 'a@b.in', name: 'A', picture: null, roles: ['marketer'] };

describe('session refresh', () => {
  afterEach(() => {
    clearSession();
    vi.unstubAllGlobals();
  });

  it('refreshes once, shortly before expiry, and keeps the rotated refresh token', async () => {
    const fetch = vi.fn(async () =>
      new Response(
        JSON.stringify({ access_token: 'new', token_type: 'bearer', expires_in: 3600, refresh_token: 'r2', user }),
        { status: 200 },
      ),
    );
    vi.stubGlobal('fetch', fetch);
    signIn({ accessToken: 'old', refreshToken: 'r1', expiresAt: Date.now() + 10_000, user });
    const [a, b] = await Promise.all([accessToken(), accessToken()]);
    expect([a, b]).toEqual(['new', 'new']);
    expect(fetch).toHaveBeenCalledTimes(1); // one refresh shared by both callers
    expect(getSession()?.refreshToken).toBe('r2');
  });

  it('refreshes a short-lived token at a quarter of its lifetime, not on every request', async () => {
    const fetch = vi.fn(async () =>
      new Response(JSON.stringify({ access_token: 'new', token_type: 'bearer', expires_in: 20, refresh_token: 'r2', user }), { status: 200 }),
    );
    vi.stubGlobal('fetch', fetch);
    signIn({ accessToken: 'fresh', refreshToken: 'r1', expiresAt: Date.now() + 19_000, lifetimeMs: 20_000, user });
    expect(await accessToken()).toBe('fresh');
    expect(fetch).not.toHaveBeenCalled();
    signIn({ accessToken: 'old', refreshToken: 'r1', expiresAt: Date.now() + 4_000, lifetimeMs: 20_000, user });
    expect(await accessToken()).toBe('new');
    expect(getSession()).toMatchObject({ refreshToken: 'r2', lifetimeMs: 20_000 });
  });

  it('ends the session when an expired token cannot be renewed', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{}', { status: 401 })));
    signIn({ accessToken: 'old', refreshToken: 'revoked', expiresAt: Date.now() - 1, user });
    expect(await accessToken()).toBeNull();
    expect(getSession()).toBeNull();
  });

  it('uses the tokens another tab has just refreshed instead of presenting a used refresh token', async () => {
    const fetch = vi.fn(async () => new Response('{}', { status: 401 }));
    vi.stubGlobal('fetch', fetch);
    signIn({ accessToken: 'old', refreshToken: 'r1', expiresAt: Date.now() + 10_000, user });
    // The other tab refreshed: r1 is spent, r2 and a fresh token are in storage.
    const other = { accessToken: 'from-other-tab', refreshToken: 'r2', expiresAt: Date.now() + 3_600_000, user };
    localStorage.setItem('beacon.session', JSON.stringify(other));
    expect(await accessToken()).toBe('from-other-tab');
    expect(fetch).not.toHaveBeenCalled();
    expect(getSession()?.refreshToken).toBe('r2');
  });

  it('follows a sign-in, refresh or sign-out made in another tab', () => {
    signIn({ accessToken: 'a', refreshToken: 'r1', expiresAt: Date.now() + 3_600_000, user });
    localStorage.setItem('beacon.session', JSON.stringify({ accessToken: 'b', refreshToken: 'r2', expiresAt: Date.now() + 3_600_000, user }));
    window.dispatchEvent(new StorageEvent('storage', { key: 'beacon.session' }));
    expect(getSession()?.refreshToken).toBe('r2');
    localStorage.removeItem('beacon.session');
    window.dispatchEvent(new StorageEvent('storage', { key: 'beacon.session' }));
    expect(getSession()).toBeNull();
  });
});
