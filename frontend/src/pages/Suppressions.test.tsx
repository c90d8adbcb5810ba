import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApi, renderAt } from '../test-utils';
import Suppressions from './Suppressions';

afterEach(() => vi.unstubAllGlobals());

const row = (customer_id: string, reason: string, channel = 'email') => ({
  customer_id,
  channel,
  reason,
  created_at: '2026-12-01T10:00:00Z',
  name: `Name ${customer_id}`,
  email: `${customer_id}@x.in`,
});

describe('opt-out lists', () => {
  it('lists a channel, adds by email, and offers to take off only what a marketer added', async () => {
    const api = fakeApi({
      'GET /api/v1/suppressions': [
        { status: 200, body: { items: [row('c1', 'unsubscribed'), row('c2', 'manual'), row('c4', 'provider')], next_cursor: null } },
        {
          status: 200,
          body: { items: [row('c1', 'unsubscribed'), row('c2', 'manual'), row('c4', 'provider'), row('c3', 'manual')], next_cursor: null },
        },
      ],
      'POST /api/v1/suppressions': [{ status: 201, body: row('c3', 'manual') }],
      'DELETE /api/v1/suppressions/email/c2': [{ status: 204 }],
    });
    renderAt('/suppressions', [{ path: '/suppressions', element: <Suppressions /> }]);
    const rows = await screen.findAllByTestId('suppression-row');
    expect(rows).toHaveLength(3);
    expect(within(rows[0]!).queryByRole('button')).toBeNull(); // their own unsubscribe stays
    expect(rows[2]).toHaveTextContent('Refused by the provider'); // a STOP reply stays too
    expect(within(rows[2]!).queryByRole('button')).toBeNull();
    expect(within(rows[1]!).getByRole('button', { name: /Take off/ })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/Add a customer/), 'c3@x.in');
    await userEvent.click(screen.getByRole('button', { name: 'Add to the Email list' }));
    await waitFor(() => expect(screen.getAllByTestId('suppression-row')).toHaveLength(4));
    expect(api.of('POST', '/api/v1/suppressions')[0]?.body).toEqual({ channel: 'email', email: 'c3@x.in' });
    await userEvent.click(within(screen.getAllByTestId('suppression-row')[1]!).getByRole('button', { name: /Take off/ }));
    await waitFor(() => expect(api.of('DELETE', '/api/v1/suppressions/email/c2')).toHaveLength(1));
    await userEvent.click(screen.getByRole('radio', { name: 'SMS' }));
    await waitFor(() =>
      expect(api.of('GET', '/api/v1/suppressions').some((c) => c.url.searchParams.get('channel') === 'sms')).toBe(true),
    );
  });
});
