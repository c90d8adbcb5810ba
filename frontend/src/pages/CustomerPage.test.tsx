import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Customer, Order } from '../api/models';
import { clearSession, signIn } from '../auth/session';
import { fakeApi, renderAt } from '../test-utils';
import CustomerPage from './CustomerPage';

const asha: Customer = {
  customer_id: '7210448300003',
  name: 'Asha Rao',
  email: 'asha@example.in',
  phone: '+916815908301',
  city: 'Pune',
  created_at: '2025-04-01T03:30:00Z',
  updated_at: '2025-04-02T04:30:00Z',
  aliases: ['asha@example.in', 'woo-118'],
  accepts_email_marketing: true,
  accepts_email_marketing_at: '2025-04-02T04:30:00Z',
  accepts_email_marketing_source: 'shopify',
  accepts_sms_marketing: false,
  accepts_sms_marketing_at: null,
  accepts_sms_marketing_source: 'shopify',
  accepts_whatsapp_marketing: null,
  accepts_whatsapp_marketing_at: null,
  accepts_whatsapp_marketing_source: null,
};

function order(n: number, over: Partial<Order> = {}): Order {
  return {
    order_id: `#${1000 + n}`,
    customer_id: asha.customer_id,
    amount: '1200.00',
    status: 'paid',
    refunded_amount: '0.00',
    ordered_at: `2025-0${(n % 9) + 1}-01T10:00:00Z`,
    customer_email: null,
    currency: 'INR',
    updated_at: null,
    recorded_at: `2025-0${(n % 9) + 1}-01T10:00:01Z`,
    version: 1,
    line_items: [{ name: 'Kurta', quantity: 1, price: '1200.00' }],
    ...over,
  };
}

function message(id: string, text: string, at: string, status = 'SENT') {
  return { message_id: id, campaign_id: `c-${id}`, customer_id: asha.customer_id, message: text, status, reason: status === 'FAILED' ? 'undeliverable' : null, created_at: at, updated_at: at };
}

function routes() {
  return fakeApi({
    'GET /api/v1/customers/woo-118': [{ status: 200, body: asha }],
    'GET /api/v1/segments/profiles/7210448300003': [
      {
        status: 200,
        body: { customer_id: asha.customer_id, total_spend: '123456789.50', visits: 26, first_visit_at: '2025-04-01T10:00:00Z', last_visit_at: '2025-09-01T10:00:00Z' },
      },
    ],
    'GET /api/v1/orders': [
      (call) =>
        call.url.searchParams.get('cursor') === 'c2'
          ? { status: 200, body: { items: [order(1)], next_cursor: null } }
          : {
              status: 200,
              body: {
                items: [
                  order(3, { amount: '123456789.50', status: 'partially_refunded', refunded_amount: '1000.00' }),
                  order(2, { status: 'cancelled' }),
                ],
                next_cursor: 'c2',
              },
            },
    ],
    'GET /api/v1/communications': [
      (call) =>
        call.url.searchParams.get('cursor') === 'm2'
          ? { status: 200, body: { items: [message('m1', 'Hi Asha, first!', '2025-05-01T10:00:00Z')], next_cursor: null } }
          : { status: 200, body: { items: [message('m3', 'Hi Asha, Diwali sale!', '2025-10-01T10:00:00Z', 'FAILED')], next_cursor: 'm2' } },
    ],
    'DELETE /api/v1/customers/7210448300003': [{ status: 202, body: { customer_id: asha.customer_id, erasing: true } }],
  });
}

function page() {
  return renderAt('/customers/woo-118', [{ path: '/customers/:id', element: <CustomerPage /> }]);
}

function as(role: string) {
  signIn({
    accessToken: 't',
    renewable: true,
    expiresAt: Date.now() + 600_000,
    user: { sub: 'dev:x', email: 'x@example.in', name: 'X', picture: null, roles: [role] },
  });
}

describe('the customer page', () => {
  afterEach(() => {
    cleanup(); // unmount first: ending the session would re-render the page
    clearSession();
    vi.unstubAllGlobals();
  });

  it('shows consent per channel, aliases and every order newest first, paged', async () => {
    as('marketer');
    const api = routes();
    const user = userEvent.setup();
    page();

    expect(await screen.findByRole('heading', { name: 'Asha Rao' })).toBeInTheDocument();
    expect(screen.getByText(/another id of this person/)).toHaveTextContent('woo-118');
    await waitFor(() => expect(screen.getByTestId('profile-spend')).toHaveTextContent('₹12,34,56,789.50'));
    expect(screen.getByTestId('profile-visits')).toHaveTextContent('26');

    const consent = screen.getByTestId('consent');
    expect(within(consent).getByText('Email').closest('li')).toHaveAttribute('data-consent', 'accepted');
    expect(within(consent).getByText('Email').closest('li')).toHaveTextContent('shopify');
    expect(within(consent).getByText('SMS').closest('li')).toHaveAttribute('data-consent', 'declined');
    expect(within(consent).getByText('WhatsApp').closest('li')).toHaveAttribute('data-consent', 'unknown');
    expect(screen.getByTestId('aliases')).toHaveTextContent('woo-118');

    const rows = await screen.findAllByTestId('order-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('₹12,34,56,789.50');
    expect(rows[0]).toHaveTextContent('Part refunded');
    expect(rows[0]).toHaveTextContent('₹1,000 refunded');
    expect(rows[0]).toHaveTextContent('₹12,34,55,789.50'); // kept
    expect(rows[1]).toHaveAttribute('data-status', 'cancelled');
    const first = api.of('GET', '/api/v1/orders')[0];
    expect(first?.url.searchParams.get('order')).toBe('newest');
    expect(first?.url.searchParams.get('customer_id')).toBe('7210448300003');

    await user.click(screen.getByRole('button', { name: 'Load more orders' }));
    await waitFor(() => expect(screen.getAllByTestId('order-row')).toHaveLength(3));
    expect(api.of('GET', '/api/v1/orders')[1]?.url.searchParams.get('cursor')).toBe('c2');
    expect(screen.queryByRole('button', { name: 'Load more orders' })).toBeNull();

    // The messages they received, newest first, paged.
    const messages = await screen.findAllByTestId('message-row');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toHaveTextContent('Hi Asha, Diwali sale!');
    expect(messages[0]).toHaveAttribute('data-status', 'FAILED');
    const asked = api.of('GET', '/api/v1/communications')[0]?.url.searchParams;
    expect(asked?.get('customer_id')).toBe('7210448300003');
    expect(asked?.get('order')).toBe('newest');
    await user.click(screen.getByRole('button', { name: 'Older messages' }));
    await waitFor(() => expect(screen.getAllByTestId('message-row')).toHaveLength(2));

    // Erasure is an admin's.
    expect(screen.queryByRole('button', { name: /Erase this customer/ })).toBeNull();
  });

  it('lets an admin erase the customer after a confirmation that says what happens', async () => {
    as('admin');
    const api = routes();
    const user = userEvent.setup();
    page();
    await user.click(await screen.findByRole('button', { name: 'Erase this customer…' }));
    const dialog = screen.getByRole('dialog', { name: 'Erase Asha Rao?' });
    expect(dialog).toHaveTextContent('removed from every Beacon service');
    expect(dialog).toHaveTextContent('This cannot be undone.');
    expect(api.of('DELETE', '/api/v1/customers/7210448300003')).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Erase for good' }));
    expect(await screen.findByTestId('erase-requested')).toHaveTextContent('Erasure of Asha Rao requested');
    expect(api.of('DELETE', '/api/v1/customers/7210448300003')).toHaveLength(1);
  });
});
