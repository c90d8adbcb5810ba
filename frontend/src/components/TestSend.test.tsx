import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearSession, signIn } from '../auth/session';
import { fakeApi, renderAt } from '../test-utils';
import { TestSend } from './TestSend';

describe('send a test to me', () => {
  afterEach(() => {
    cleanup();
    clearSession();
    vi.unstubAllGlobals();
  });

  it('sends the message to the signed-in person, with no customers picked', async () => {
    signIn({
      accessToken: 't',
      renewable: true,
      expiresAt: Date.now() + 600_000,
      user: { sub: 'dev:m', email: 'me@shop.in', name: 'Me', picture: null, roles: ['marketer'] },
    });
    const api = fakeApi({ 'POST /api/v1/campaigns/test-send': [{ status: 202, body: { test_id: 't-1', recipients: 1 } }] });
    renderAt('/', [{ path: '/', element: <TestSend message="Hi {first_name}!" disabled={false} /> }]);
    await userEvent.click(screen.getByRole('button', { name: 'Send a test to me' }));
    expect(await screen.findByTestId('test-send-result')).toHaveTextContent('Test sent to you (me@shop.in) (test t-1).');
    expect(api.of('POST', '/api/v1/campaigns/test-send')[0]?.body).toEqual({ message: 'Hi {first_name}!', customer_ids: [], to_me: true });
  });
});
