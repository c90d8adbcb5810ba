import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveStatsProvider, mergeLiveStats } from '../live/LiveStats';
import { fakeApi } from '../test-utils';
import Campaigns from './Campaigns';

afterEach(() => vi.unstubAllGlobals());

const campaign = (id: string, name: string) => ({
  id,
  name,
  status: 'sending',
  message: 'Hi',
  rules: { combinator: 'and', rules: [] },
  created_at: '2026-12-01T10:00:00Z',
  audience_size: 100,
  sent: 0,
  failed: 0,
  pending: 100,
});
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString();

describe('history tiles', () => {
  it('are the totals of the rows, moving with every push', async () => {
    fakeApi({
      'GET /api/v1/campaigns': [{ status: 200, body: { items: [campaign('a', 'A'), campaign('b', 'B')], next_cursor: null } }],
      'GET /api/v1/stats/campaigns': [
        {
          status: 200,
          body: {
            items: [
              { campaign_id: 'a', audience_size: 100, pending: 90, sent: 8, failed: 2, updated_at: at(1) },
              { campaign_id: 'b', audience_size: 50, pending: 50, sent: 0, failed: 0, updated_at: at(1) },
            ],
            next_cursor: null,
          },
        },
      ],
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
    const tile = (id: string) => screen.getByTestId(id).textContent;
    await waitFor(() => expect(tile('total-sent')).toBe('8'));
    expect(tile('total-failed')).toBe('2');
    expect(tile('total-audience')).toBe('150');
    expect(tile('total-campaigns')).toBe('2');
    // A push (as the socket merges it) moves a row and the tiles in the same render.
    act(() => mergeLiveStats(client, [{ campaign_id: 'b', audience_size: 50, pending: 20, sent: 27, failed: 3, updated_at: at(2) }]));
    await waitFor(() => expect(tile('total-sent')).toBe('35'));
    expect(tile('total-failed')).toBe('5');
    const rowB = screen.getAllByTestId('campaign-row').find((r) => r.dataset.campaignId === 'b')!;
    expect(within(rowB).getByTestId('stat-sent')).toHaveTextContent('27');
    // An older message never moves them back.
    act(() => mergeLiveStats(client, [{ campaign_id: 'b', audience_size: 50, pending: 40, sent: 9, failed: 1, updated_at: at(1) }]));
    await new Promise((r) => setTimeout(r, 10));
    expect(tile('total-sent')).toBe('35');
  });

  it('come from the stats API for every page loaded, past the first hundred rows', async () => {
    const page = (n: number) => ({
      status: 200,
      body: {
        items: Array.from({ length: 50 }, (_, i) => campaign(`c${n * 50 + i}`, `C ${n * 50 + i}`)),
        next_cursor: n < 2 ? `${n + 1}` : null,
      },
    });
    const api = fakeApi({
      'GET /api/v1/campaigns': [page(0), page(1), page(2)],
      // Each asked id has sent 1: the tiles sum what the answers hold.
      'GET /api/v1/stats/campaigns': [
        (call) => ({
          status: 200,
          body: {
            items: (call.url.searchParams.get('ids') ?? '').split(',').map((id) => ({
              campaign_id: id,
              audience_size: 100,
              pending: 99,
              sent: 1,
              failed: 0,
              updated_at: at(1),
            })),
            next_cursor: null,
          },
        }),
      ],
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
    const more = async () => userEvent.click(await screen.findByRole('button', { name: 'Older campaigns' }));
    await waitFor(() => expect(screen.getByTestId('total-sent').textContent).toBe('50'));
    await more();
    await waitFor(() => expect(screen.getByTestId('total-sent').textContent).toBe('100'));
    await more();
    await waitFor(() => expect(screen.getByTestId('total-sent').textContent).toBe('150'));
    const asked = api.of('GET', '/api/v1/stats/campaigns').map((c) => (c.url.searchParams.get('ids') ?? '').split(',').length);
    expect(Math.max(...asked)).toBeLessThanOrEqual(100); // never more ids than the API takes
    const row = screen.getAllByTestId('campaign-row').find((r) => r.dataset.campaignId === 'c149')!;
    expect(within(row).getByTestId('stat-sent')).toHaveTextContent('1');
  });
});
