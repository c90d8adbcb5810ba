/**
 * Live campaign counters: what HTTP reads and WebSocket pushes say, merged so an older
 * message never overwrites a newer one (the socket and a refetch can cross).
 */
import type { CampaignStats } from '../api/models';

export type Connection = 'connecting' | 'live' | 'offline';

export interface LiveState {
  connection: Connection;
  stats: Record<string, CampaignStats>;
}

export type LiveAction =
  | { type: 'stats'; items: CampaignStats[] }
  | { type: 'connection'; connection: Connection };

export const initialLive: LiveState = { connection: 'connecting', stats: {} };

/** Whether `next` is at least as new as `prev` (revision first, then updated_at). */
export function isNewer(prev: CampaignStats | undefined, next: CampaignStats): boolean {
  if (!prev) return true;
  if (prev.revision != null && next.revision != null) return next.revision >= prev.revision;
  const a = prev.updated_at ? Date.parse(prev.updated_at) : 0;
  const b = next.updated_at ? Date.parse(next.updated_at) : 0;
  if (b !== a) return b > a;
  // Same instant: counters only grow, so the larger total is the later state.
  return done(next) >= done(prev);
}

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  switch (action.type) {
    case 'connection':
      return state.connection === action.connection
        ? state
        : { ...state, connection: action.connection };
    case 'stats': {
      const stats = mergeStats(state.stats, action.items);
      return stats === state.stats ? state : { ...state, stats };
    }
  }
}

/**
 * `items` folded into `current`, each only if at least as new as what is there; the same
 * object back when nothing changed (so a stale message re-renders nothing).
 */
export function mergeStats(
  current: Record<string, CampaignStats>,
  items: CampaignStats[],
): Record<string, CampaignStats> {
  let stats = current;
  for (const item of items) {
    if (!isNewer(stats[item.campaign_id], item)) continue;
    if (stats === current) stats = { ...current };
    stats[item.campaign_id] = item;
  }
  return stats;
}

type Counts = Pick<CampaignStats, 'audience_size' | 'sent' | 'failed' | 'cancelled'>;

/** Messages with a final state: sent, failed, or cancelled before they went. */
export function done(s: Counts): number {
  return s.sent + s.failed + (s.cancelled ?? 0);
}

/** Finished messages as a share of the audience (0..1); 0 while the size is unknown. */
export function progress(s: Counts): number {
  if (!s.audience_size) return 0;
  return Math.min(1, done(s) / s.audience_size);
}

/** Delivery is over: every member of a known audience has a final state. */
export function isFinished(s: Counts): boolean {
  return s.audience_size != null && done(s) >= s.audience_size;
}
