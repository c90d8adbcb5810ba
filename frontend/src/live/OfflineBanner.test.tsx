import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionStatus, LiveOfflineBanner } from '../components/ConnectionStatus';
import { LiveStatsProvider, useLive } from './LiveStats';
import { backoff } from './socket';

/** A WebSocket the test opens, feeds and drops by hand. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  sent: string[] = [];
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.onclose?.();
  }
  open() {
    this.onopen?.();
  }
  push(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function Sent() {
  const { state } = useLive();
  return <output data-testid="sent">{state.stats.c1?.sent ?? '-'}</output>;
}

function renderLive() {
  const client = new QueryClient();
  return render(
    <QueryClientProvider client={client}>
      <LiveStatsProvider enabled>
        <ConnectionStatus />
        <LiveOfflineBanner />
        <Sent />
      </LiveStatsProvider>
    </QueryClientProvider>,
  );
}

async function flush() {
  await act(async () => {
    await Promise.resolve();
    await Promise.resolve();
  });
}

describe('offline banner and reconnection', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    vi.stubGlobal('WebSocket', FakeSocket);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('shows offline when the socket drops and clears itself when it reconnects', async () => {
    renderLive();
    await flush();
    expect(FakeSocket.all).toHaveLength(1);
    expect(FakeSocket.all[0]!.url).toMatch(/\/api\/v1\/stats\/ws$/);
    act(() => FakeSocket.all[0]!.open());
    expect(screen.getByTestId('connection-status')).toHaveTextContent('Live');
    expect(FakeSocket.all[0]!.sent).toEqual([JSON.stringify({ type: 'subscribe', campaign_ids: [] })]);
    act(() => FakeSocket.all[0]!.push({ type: 'campaign_stats', data: { campaign_id: 'c1', audience_size: 10, pending: 5, sent: 5, failed: 0, updated_at: new Date().toISOString() } }));
    expect(screen.getByTestId('sent')).toHaveTextContent('5');

    act(() => FakeSocket.all[0]!.close());
    expect(screen.getByTestId('connection-status')).toHaveTextContent('Offline');
    expect(screen.getByText(/Live updates paused/)).toBeInTheDocument();

    await act(async () => {
      await vi.advanceTimersByTimeAsync(1_000); // the first retry comes within a second
    });
    expect(FakeSocket.all).toHaveLength(2);
    act(() => FakeSocket.all[1]!.open());
    expect(screen.getByTestId('connection-status')).toHaveTextContent('Live');
    expect(screen.queryByText(/Live updates paused/)).toBeNull();
    expect(FakeSocket.all[1]!.sent).toHaveLength(1); // subscribed again
  });

  it('backs off exponentially up to 15 s', () => {
    const half = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoff(a, half))).toEqual([750, 1500, 3000, 6000, 11250, 11250, 11250]);
    expect(backoff(10, () => 1)).toBe(15000);
  });
});
