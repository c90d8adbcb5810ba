/**
 * App-wide live counters: one stats WebSocket while signed in, every campaign's counters
 * in one TanStack Query cache entry (LIVE_STATS_KEY) that HTTP reads and socket pushes
 * both merge into, so the history rows, the summary tiles and the campaign page all read
 * the same numbers at the same moment. A campaign the list has not seen
 * (launched by someone else, the API or the CLI) refreshes the list; a reconnect
 * refreshes everything it may have missed.
 */
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useReducer,
  useRef,
  type ReactNode,
} from 'react';
import type { CampaignStats } from '../api/models';
import { accessToken } from '../auth/session';
import { connectStats } from './socket';
import { initialLive, liveReducer, mergeStats, type Connection, type LiveState } from './statsReducer';

/** The query-cache entry holding every campaign's latest counters, by campaign id. */
export const LIVE_STATS_KEY = ['live', 'stats'] as const;
type StatsById = Record<string, CampaignStats>;
const NO_STATS: StatsById = {};

/** Fold counters (an HTTP read or a push) into the cache, older ones ignored. */
export function mergeLiveStats(client: QueryClient, items: CampaignStats[]): void {
  client.setQueryData<StatsById>(LIVE_STATS_KEY, (prev) => mergeStats(prev ?? NO_STATS, items));
}

/** Every campaign's live counters, from the query cache (re-renders on each merge). */
export function useLiveStats(): StatsById {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: LIVE_STATS_KEY,
    // Nothing to fetch: the entry is written by merges; a refetch keeps what is there.
    queryFn: () => client.getQueryData<StatsById>(LIVE_STATS_KEY) ?? NO_STATS,
    initialData: NO_STATS,
    staleTime: Infinity,
    gcTime: Infinity,
  });
  return query.data;
}

interface LiveContextValue {
  state: LiveState;
  merge: (items: CampaignStats[]) => void;
  /** Ids the campaign list shows, so a push for another id means "new campaign". */
  known: React.MutableRefObject<Set<string>>;
}

/** How often, at most, a live push refetches the rows behind it. */
export const LIVE_REFETCH_MS = 500;

const LiveContext = createContext<LiveContextValue | null>(null);

export function LiveStatsProvider({ children, enabled }: { children: ReactNode; enabled: boolean }) {
  const [{ connection }, dispatch] = useReducer(liveReducer, initialLive);
  const queryClient = useQueryClient();
  const stats = useLiveStats();
  const known = useRef(new Set<string>());
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const merge = useCallback((items: CampaignStats[]) => mergeLiveStats(queryClient, items), [queryClient]);

  useEffect(() => {
    if (!enabled) return;
    const refreshList = () => {
      // Coalesce: a burst of pushes for a new campaign refetches the list once.
      clearTimeout(refreshTimer.current);
      refreshTimer.current = setTimeout(
        () => void queryClient.invalidateQueries({ queryKey: ['campaigns'] }),
        250,
      );
    };
    // A counter change means rows changed too: refetch what shows them (the campaign's
    // log, its record) at once, then at most once per LIVE_REFETCH_MS
    // per query (a later push in the window is folded into one refetch at its end), so the
    // log and tiles follow the same pushes as the counters without a refetch per message.
    const lastRefetch = new Map<string, number>();
    const throttled = new Map<string, ReturnType<typeof setTimeout>>();
    const refetchSoon = (queryKey: readonly unknown[]) => {
      const key = JSON.stringify(queryKey);
      if (throttled.has(key)) return;
      const refetch = () => {
        throttled.delete(key);
        lastRefetch.set(key, Date.now());
        void queryClient.invalidateQueries({ queryKey });
      };
      const wait = (lastRefetch.get(key) ?? 0) + LIVE_REFETCH_MS - Date.now();
      if (wait <= 0) refetch();
      else throttled.set(key, setTimeout(refetch, wait));
    };
    const stop = connectStats(accessToken, {
      onStats: (stats) => {
        mergeLiveStats(queryClient, [stats]);
        refetchSoon(['communications', stats.campaign_id]);
        refetchSoon(['campaigns', 'one', stats.campaign_id]);
        if (!known.current.has(stats.campaign_id)) {
          known.current.add(stats.campaign_id); // ask once per unknown campaign
          refreshList();
        }
      },
      onConnection: (connection: Connection) => dispatch({ type: 'connection', connection }),
      onReconnect: () => {
        void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
        void queryClient.invalidateQueries({ queryKey: ['stats'] });
      },
    });
    return () => {
      stop();
      throttled.forEach((timer) => clearTimeout(timer));
      clearTimeout(refreshTimer.current);
    };
  }, [enabled, queryClient]);

  const value = useMemo(() => ({ state: { connection, stats }, merge, known }), [connection, stats, merge]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveContextValue {
  const value = useContext(LiveContext);
  if (!value) throw new Error('useLive outside LiveStatsProvider');
  return value;
}

export function useConnection(): Connection {
  return useLive().state.connection;
}
