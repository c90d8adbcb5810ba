import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearSession, getSession, signIn } from '../auth/session';
import { fakeApi } from '../test-utils';
import { campaigns, segments, unwrap } from './client';

const user = { sub: 'a', email: 'a@b.in', name: 'A', picture: null, roles: ['marketer'] };
const unauthorized = { status: 401, body: { detail: 'x', message: 'token expired', code: 'token_expired', correlation_id: null, errors: [] } };

afterEach(() => {
  clearSession();
  vi.unstubAllGlobals();
});

describe('a 401', () => {
  it('renews the session and retries the request once, keeping the person signed in', async () => {
    const api = fakeApi({
      'GET /api/v1/campaigns/c1': [unauthorized, { status: 200, body: { id: 'c1' } }],
      'POST /api/v1/auth/refresh': [{ status: 200, body: { access_token: 'fresh', token_type: 'bearer', expires_in: 900, refresh_token: null, user } }],
    });
    signIn({ accessToken: 'stale', renewable: true, expiresAt: Date.now() + 600_000, user });
    const c = await unwrap(campaigns.GET('/api/v1/campaigns/{campaign_id}', { params: { path: { campaign_id: 'c1' } } }));
    expect(c.id).toBe('c1');
    const tries = api.of('GET', '/api/v1/campaigns/c1');
    expect(tries.map((t) => t.headers.get('Authorization'))).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(getSession()?.accessToken).toBe('fresh');
  });

  it('retries a write once after a renewal, with the same body (a 401 did nothing)', async () => {
    const api = fakeApi({
      'POST /api/v1/segments/preview': [unauthorized, { status: 200, body: { size: 1 } }],
      'POST /api/v1/auth/refresh': [{ status: 200, body: { access_token: 'fresh', token_type: 'bearer', expires_in: 900, refresh_token: null, user } }],
    });
    signIn({ accessToken: 'stale', renewable: true, expiresAt: Date.now() + 600_000, user });
    const rules = { combinator: 'and' as const, rules: [{ field: 'visits', operator: '>', value: 1 }] };
    const answer = await unwrap(segments.POST('/api/v1/segments/preview', { body: { rules } }));
    expect(answer).toMatchObject({ size: 1 });
    const tries = api.of('POST', '/api/v1/segments/preview');
    expect(tries.map((t) => t.headers.get('Authorization'))).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(tries.map((t) => t.body)).toEqual([{ rules }, { rules }]);
  });

  it('ends the session when it cannot be renewed', async () => {
    fakeApi({ 'GET /api/v1/campaigns/c1': [unauthorized], 'POST /api/v1/auth/refresh': [unauthorized] });
    signIn({ accessToken: 'stale', renewable: true, expiresAt: Date.now() + 600_000, user });
    await expect(unwrap(campaigns.GET('/api/v1/campaigns/{campaign_id}', { params: { path: { campaign_id: 'c1' } } }))).rejects.toMatchObject({ status: 401 });
    expect(getSession()).toBeNull();
  });
});
