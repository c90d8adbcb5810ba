import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearSession, signIn } from '../auth/session';
import { fakeApi, renderAt } from '../test-utils';
import People from './People';

const person = (sub: string, email: string, extra: object = {}) => ({
  sub,
  email,
  name: email.split('@')[0],
  role: 'marketer',
  role_from_settings: false,
  disabled: false,
  disabled_at: null,
  created_at: '2026-12-01T10:00:00Z',
  last_sign_in_at: '2026-12-07T10:00:00Z',
  open_sessions: 2,
  ...extra,
});

const ME = person('dev:boss@shop.in', 'boss@shop.in', { role: 'admin' });
const LEAVER = person('dev:leaver@shop.in', 'leaver@shop.in');

beforeEach(() => {
  signIn({
    accessToken: 'a',
    renewable: true,
    expiresAt: Date.now() + 600_000,
    user: { sub: ME.sub, email: ME.email, name: 'boss', picture: null, roles: ['admin'] },
  });
});
afterEach(() => {
  clearSession();
  vi.unstubAllGlobals();
});

describe('people', () => {
  it('disables a person after asking, and shows what the API stored', async () => {
    const api = fakeApi({
      'GET /api/v1/users': [{ status: 200, body: { items: [ME, LEAVER], next_cursor: null } }],
      'PATCH /api/v1/users/dev%3Aleaver%40shop.in': [
        { status: 200, body: { ...LEAVER, disabled: true, open_sessions: 0 } },
      ],
    });
    renderAt('/people', [{ path: '/people', element: <People /> }]);
    const rows = await screen.findAllByTestId('people-row');
    const mine = rows.find((r) => r.dataset.sub === ME.sub)!;
    // Nobody changes their own role or disables themselves.
    expect(within(mine).getByLabelText(`Role of ${ME.email}`)).toBeDisabled();
    expect(within(mine).getByRole('button', { name: /Disable/ })).toBeDisabled();

    const theirs = rows.find((r) => r.dataset.sub === LEAVER.sub)!;
    await userEvent.click(within(theirs).getByRole('button', { name: `Disable ${LEAVER.email}` }));
    expect(api.of('PATCH', '/api/v1/users/dev%3Aleaver%40shop.in')).toHaveLength(0);
    await userEvent.click(await screen.findByRole('button', { name: 'Disable' }));
    await waitFor(() =>
      expect(screen.getAllByTestId('people-row').find((r) => r.dataset.sub === LEAVER.sub)!.dataset.disabled).toBe('true'),
    );
    expect(api.of('PATCH', '/api/v1/users/dev%3Aleaver%40shop.in')[0]!.body).toEqual({ disabled: true });
  });

  it('says why the API refused a change', async () => {
    fakeApi({
      'GET /api/v1/users': [{ status: 200, body: { items: [ME, LEAVER], next_cursor: null } }],
      'PATCH /api/v1/users/dev%3Aleaver%40shop.in': [
        {
          status: 409,
          body: {
            detail: 'this is the last admin; make someone else admin first',
            message: 'this is the last admin; make someone else admin first',
            errors: [],
            code: 'conflict',
            correlation_id: 't',
          },
        },
      ],
    });
    renderAt('/people', [{ path: '/people', element: <People /> }]);
    await userEvent.selectOptions(await screen.findByLabelText(`Role of ${LEAVER.email}`), 'viewer');
    expect(await screen.findByRole('alert')).toHaveTextContent('last admin');
  });
});
