import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Campaign } from '../api/models';
import { LiveStatsProvider } from '../live/LiveStats';
import { fakeApi, type Routes as ApiRoutes } from '../test-utils';
import CampaignPage from './CampaignPage';

const campaign = (over: Partial<Campaign> = {}): Campaign => ({
  id: 'c1',
  name: 'Diwali',
  status: 'sending',
  reason: null,
  message: 'Hi {first_name}',
  channel: 'sms',
  subject: null,
  rules_sentence: 'Customers who visited more than once',
  rules: { combinator: 'and', rules: [] },
  segment_id: null,
  schedule_at: null,
  max_audience: null,
  queued: 10,
  test: false,
  audience_size: 10,
  sent: 3,
  failed: 1,
  pending: 6,
  cancelled: 0,
  created_at: '2026-12-01T10:00:00Z',
  launched_at: '2026-12-01T10:00:01Z',
  paused_at: null,
  cancelled_at: null,
  completed_at: null,
  updated_at: '2026-12-01T10:00:01Z',
  created_by: null,
  ...over,
});

const stats = (over = {}) => ({ campaign_id: 'c1', audience_size: 10, pending: 6, sent: 3, failed: 1, cancelled: 0, updated_at: '2026-12-01T10:00:05Z', ...over });

function page(routes: ApiRoutes) {
  const api = fakeApi({
    'GET /api/v1/segments/fields': [{ status: 200, body: { fields: [], limits: {} } }],
    'GET /api/v1/stats/campaigns/c1/series': [{ status: 200, body: { campaign_id: 'c1', bucket_seconds: 1, items: [], next_cursor: null } }],
    'GET /api/v1/communications': [
      {
        status: 200,
        body: {
          items: [
            { message_id: 'm1', campaign_id: 'c1', customer_id: 'A', message: 'Hi A', status: 'SENT', reason: null, created_at: '2026-12-01T10:00:01Z', updated_at: '2026-12-01T10:00:02Z' },
            { message_id: 'm2', campaign_id: 'c1', customer_id: 'B', message: 'Hi B', status: 'CANCELLED', reason: 'campaign cancelled', created_at: '2026-12-01T10:00:01Z', updated_at: '2026-12-01T10:00:03Z' },
          ],
          next_cursor: null,
        },
      },
    ],
    ...routes,
  });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <LiveStatsProvider enabled={false}>
        <MemoryRouter initialEntries={['/campaigns/c1']}>
          <Routes>
            <Route path="/campaigns/:id" element={<CampaignPage />} />
          </Routes>
        </MemoryRouter>
      </LiveStatsProvider>
    </QueryClientProvider>,
  );
  return api;
}

afterEach(() => vi.unstubAllGlobals());

describe('campaign lifecycle on its page', () => {
  it('pauses, resumes and (after a confirmation) cancels a sending campaign', async () => {
    const api = page({
      'GET /api/v1/campaigns/c1': [{ status: 200, body: campaign() }],
      'GET /api/v1/stats/campaigns/c1': [{ status: 200, body: stats() }],
      'POST /api/v1/campaigns/c1/pause': [{ status: 200, body: campaign({ status: 'paused' }) }],
      'POST /api/v1/campaigns/c1/resume': [{ status: 200, body: campaign({ status: 'sending' }) }],
      'POST /api/v1/campaigns/c1/cancel': [{ status: 200, body: campaign({ status: 'cancelled', cancelled: 6 }) }],
    });
    await userEvent.click(await screen.findByTestId('campaign-pause'));
    await screen.findByTestId('campaign-resume');
    expect(screen.queryByTestId('campaign-pause')).toBeNull();
    expect(screen.getByTestId('campaign-status')).toHaveTextContent('Paused');
    await userEvent.click(screen.getByTestId('campaign-resume'));
    await screen.findByTestId('campaign-pause');
    await userEvent.click(screen.getByTestId('campaign-cancel'));
    expect(api.of('POST', '/api/v1/campaigns/c1/cancel')).toHaveLength(0); // asked first
    const dialog = screen.getByRole('dialog', { hidden: true });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel the campaign', hidden: true }));
    await screen.findByText('Cancelled', { selector: '[data-testid="campaign-status"]' });
    expect(api.of('POST', '/api/v1/campaigns/c1/cancel')).toHaveLength(1);
    expect(screen.queryByTestId('campaign-cancel')).toBeNull();
    // The log shows each message's status, cancelled ones included.
    const rows = screen.getAllByTestId('log-row');
    expect(rows.map((r) => r.dataset.status)).toEqual(['SENT', 'CANCELLED']);
  });

  it('says when a scheduled campaign goes, and reschedules it', async () => {
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const api = page({
      'GET /api/v1/campaigns/c1': [{ status: 200, body: campaign({ status: 'scheduled', schedule_at: at, launched_at: null, sent: 0, failed: 0, audience_size: null }) }],
      'GET /api/v1/stats/campaigns/c1': [{ status: 404, body: { detail: 'x', message: 'no stats', code: 'not_found', correlation_id: null, errors: [] } }],
      'PATCH /api/v1/campaigns/c1': [(call) => ({ status: 200, body: campaign({ status: 'scheduled', schedule_at: (call.body as { schedule_at: string }).schedule_at }) })],
    });
    const when = await screen.findByTestId('campaign-when');
    expect(when).toHaveTextContent('Scheduled for');
    expect(when).not.toHaveTextContent('Launched');
    expect(screen.queryByTestId('campaign-pause')).toBeNull();
    expect(screen.getByTestId('campaign-cancel')).toBeInTheDocument();
    await userEvent.click(screen.getByTestId('campaign-edit'));
    const input = screen.getByLabelText(/Send at/);
    await userEvent.clear(input);
    await userEvent.type(input, '2099-01-02T03:04');
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await screen.findByTestId('campaign-edit');
    const [patch] = api.of('PATCH', '/api/v1/campaigns/c1');
    expect(new Date((patch?.body as { schedule_at: string }).schedule_at).getTime()).toBe(new Date('2099-01-02T03:04').getTime());
  });
});
