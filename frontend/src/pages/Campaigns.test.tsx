import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveStatsProvider } from '../live/LiveStats';
import { fakeApi } from '../test-utils';
import Campaigns from './Campaigns';

afterEach(() => vi.unstubAllGlobals());

describe('campaign history filters', () => {
  it('searches, filters by status and dates, and sorts through the API', async () => {
    const api = fakeApi({
      'GET /api/v1/campaigns': [{ status: 200, body: { items: [], next_cursor: null } }],
    });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <LiveStatsProvider enabled={false}>
          <MemoryRouter initialEntries={['/campaigns']}>
            <Routes>
              <Route path="/campaigns" element={<Campaigns />} />
            </Routes>
          </MemoryRouter>
        </LiveStatsProvider>
      </QueryClientProvider>,
    );
    await screen.findByText(/No campaigns yet/);
    await userEvent.type(screen.getByLabelText('Search by name'), 'Diwali');
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'cancelled');
    await userEvent.selectOptions(screen.getByLabelText('Order'), 'oldest');
    await userEvent.type(screen.getByLabelText('Created from'), '2026-12-01');
    await waitFor(() => {
      const last = api.of('GET', '/api/v1/campaigns').at(-1)!.url.searchParams;
      expect(last.get('q')).toBe('Diwali');
      expect(last.get('status')).toBe('cancelled');
      expect(last.get('order')).toBe('oldest');
      expect(new Date(last.get('since')!).getTime()).toBe(new Date('2026-12-01T00:00').getTime());
    });
    expect(await screen.findByText('No campaign matches these filters.')).toBeInTheDocument();
  });
});
