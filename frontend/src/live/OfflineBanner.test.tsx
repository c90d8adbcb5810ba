import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionStatus, LiveOfflineBanner } from '../components/ConnectionStatus';
import { LiveStatsProvider, useLive } from './LiveStats';
import { clearSession, signIn } from '../auth/session';
import { backoff, tokenExpiry } from './socket';

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
    await act(async () => {
      await vi.advanceTimersByTimeAsync(0); // the query cache notifies on its next tick
    });
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

  it('opens the next socket with a fresh token before the old one expires, without going offline', async () => {
    const exp = Math.floor(Date.now() / 1000) + 15 * 60;
    const jwt = (e: number) => `h.${btoa(JSON.stringify({ exp: e })).replace(/=+$/, '')}.s`;
    const user = { sub: 'a', email: 'a@b.in', name: 'A', picture: null, roles: ['marketer'] };
    signIn({ accessToken: jwt(exp), renewable: false, expiresAt: exp * 1000, user });
    expect(tokenExpiry(jwt(exp))).toBe(exp * 1000);
    try {
      renderLive();
      await flush();
      act(() => FakeSocket.all[0]!.open());
      for (let t = 0; t < 15 * 60_000 - 19_000; t += 15_000) {
        // the server's pings keep the link alive until 20 s before expiry
        act(() => FakeSocket.all[0]!.push({ type: 'ping' }));
        await act(async () => {
          await vi.advanceTimersByTimeAsync(15_000);
        });
      }
      expect(FakeSocket.all).toHaveLength(2);
      let closedOld = false;
      const old = FakeSocket.all[0]!;
      const close = old.close.bind(old);
      old.close = () => {
        closedOld = true;
        close();
      };
      act(() => FakeSocket.all[1]!.open());
      expect(closedOld).toBe(true);
      expect(screen.getByTestId('connection-status')).toHaveTextContent('Live');
      expect(screen.queryByText(/Live updates paused/)).toBeNull();
      await act(async () => {
        await vi.advanceTimersByTimeAsync(2_000);
      });
      expect(FakeSocket.all).toHaveLength(2); // closing the old one scheduled no retry
    } finally {
      clearSession();
    }
  });

  it('backs off exponentially up to 15 s', () => {
    const half = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoff(a, half))).toEqual([750, 1500, 3000, 6000, 11250, 11250, 11250]);
    expect(backoff(10, () => 1)).toBe(15000);
  });
});
