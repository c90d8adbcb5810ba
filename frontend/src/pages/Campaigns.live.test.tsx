import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen, waitFor, within } from '@testing-library/react';
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
});
