/**
 * The stats WebSocket with reconnection: exponential back-off with jitter (1 s up to
 * 15 s), a fresh token on every attempt, "all campaigns" re-requested on every open, and
 * a watchdog that treats 40 s of silence (the server pings every 15 s) as a dead link.
 */
import type { CampaignStats } from '../api/models';
import type { Connection } from './statsReducer';

export interface SocketHandlers {
  onStats: (stats: CampaignStats) => void;
  onConnection: (connection: Connection) => void;
  /** Called on every (re)open after the first: the caller refetches what it may have missed. */
  onReconnect: () => void;
}

const SILENCE_MS = 40_000;
const MAX_BACKOFF_MS = 15_000;
/**
 * Open the next socket this long before the token's expiry (the server closes at expiry):
 * inside the session's own refresh window (30 s), so the next socket gets a fresh token.
 */
export const RENEW_BEFORE_MS = 20_000;

function claims(token: string | null): { exp?: unknown; iat?: unknown } | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    return JSON.parse(json) as { exp?: unknown; iat?: unknown };
  } catch {
    return null;
  }
}

/** A JWT's `exp` in epoch ms, or null for a token that is not one. */
export function tokenExpiry(token: string | null): number | null {
  const exp = claims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : null;
}

/**
 * How long before the token's expiry to open the next socket: RENEW_BEFORE_MS, or a fifth
 * of a short token's lifetime (inside the session's refresh window of a quarter, so the
 * next socket still gets a fresh token).
 */
export function renewBefore(token: string | null): number {
  const c = claims(token);
  if (typeof c?.exp !== 'number' || typeof c.iat !== 'number') return RENEW_BEFORE_MS;
  return Math.min(RENEW_BEFORE_MS, ((c.exp - c.iat) * 1000) / 5);
}

export function backoff(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
  return Math.round(base / 2 + (random() * base) / 2);
}

/** The socket's address: no token in it (URLs land in proxies' logs); see `authMessage`. */
export function socketUrl(loc: Location = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/api/v1/stats/ws`;
}

/** The first message on a new socket: the server closes it (1008) without one in 5 s. */
export function authMessage(token: string | null): string | null {
  return token ? JSON.stringify({ type: 'auth', access_token: token }) : null;
}

export function connectStats(
  getToken: () => Promise<string | null>,
  handlers: SocketHandlers,
): () => void {
  let socket: WebSocket | null = null;
  let attempt = 0;
  let opened = false;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let renew: ReturnType<typeof setTimeout> | undefined;

  const feed = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => socket?.close(), SILENCE_MS);
  };

  const schedule = () => {
    if (stopped) return;
    handlers.onConnection('offline');
    retry = setTimeout(open, backoff(attempt));
    attempt += 1;
  };

  /**
   * Before the token expires (the server then closes the socket), a fresh token opens the
   * next socket and the old one is closed once it is live: no gap, no offline banner.
   */
  const planRenewal = (token: string | null) => {
    clearTimeout(renew);
    const expiry = tokenExpiry(token);
    if (expiry == null) return;
    const before = renewBefore(token);
    renew = setTimeout(() => void open(true), Math.max(Math.min(5_000, before), expiry - Date.now() - before));
  };

  async function open(renewing = false): Promise<void> {
    if (stopped) return;
    const token = await getToken().catch(() => null);
    if (stopped) return;
    const previous = renewing ? socket : null;
    const ws = new WebSocket(socketUrl());
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      feed();
      const auth = authMessage(token);
      if (auth) ws.send(auth);
      ws.send(JSON.stringify({ type: 'subscribe', campaign_ids: [] }));
      if (previous) {
        previous.onclose = null; // replaced, not lost
        previous.close();
      }
      handlers.onConnection('live');
      if (opened && !previous) handlers.onReconnect();
      opened = true;
      planRenewal(token);
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      feed();
      try {
        const message = JSON.parse(event.data) as { type: string; data?: CampaignStats };
        if (message.type === 'campaign_stats' && message.data) handlers.onStats(message.data);
      } catch {
        // a message we cannot read is skipped; the next one carries full counters anyway
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return; // an old socket, already replaced
      clearTimeout(watchdog);
      clearTimeout(renew);
      socket = null;
      previous?.close(); // the renewal failed: the old one goes too, and a retry follows
      schedule();
    };
  }

  void open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    clearTimeout(watchdog);
    clearTimeout(renew);
    socket?.close();
  };
}
