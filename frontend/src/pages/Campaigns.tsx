/**
 * /campaigns: the history, newest first. Counters come from the stats API and then move
 * live with the WebSocket; a campaign launched anywhere else shows up without a reload.
 */
import { keepPreviousData, useInfiniteQuery, useQueries } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { campaigns, stats, unwrap } from '../api/client';
import type { Campaign, CampaignStats } from '../api/models';
import { displayStatus, numbersOf, Progress, sendingRate, StatusTag } from '../components/CampaignNumbers';
import { Empty, ErrorState, Skeleton } from '../components/States';
import { formatAgo, formatCount, formatDateTime, formatRate } from '../lib/format';
import { useDebounced } from '../api/queries';
import { useLive } from '../live/LiveStats';
import { useTitle } from '../lib/title';

const PAGE = 50;
const STATS_IDS = 100; // GET /api/v1/stats/campaigns takes at most this many ids a call

/** The counters of every page of rows read so far, as one list (a stable function, so
 * TanStack Query recomputes it only when an answer changes). */
function everyItem<T>(results: { data?: { items: T[] } }[]): T[] {
  return results.flatMap((r) => r.data?.items ?? []);
}

const STATUS_FILTERS = [
  ['scheduled', 'Scheduled'],
  ['sending', 'Sending'],
  ['paused', 'Paused'],
  ['completed', 'Completed'],
  ['cancelled', 'Cancelled'],
  ['failed', 'Failed'],
] as const;

interface Filters {
  q: string;
  status: string;
  since: string; // yyyy-mm-dd, local
  until: string; // yyyy-mm-dd, local, inclusive
  order: string;
}

function readFilters(params: URLSearchParams): Filters {
  return {
    q: params.get('q') ?? '',
    status: params.get('status') ?? '',
    since: params.get('since') ?? '',
    until: params.get('until') ?? '',
    order: params.get('order') === 'oldest' ? 'oldest' : 'newest',
  };
}

type StatusFilter = (typeof STATUS_FILTERS)[number][0];

/** The list's query: dates as the local day's bounds ("to" includes its whole day). */
function apiFilters(f: Filters) {
  const day = (value: string, plusDays: number) => {
    const d = new Date(`${value}T00:00`);
    d.setDate(d.getDate() + plusDays);
    return d.toISOString();
  };
  return {
    ...(f.q.trim() ? { q: f.q.trim() } : {}),
    ...(f.status ? { status: f.status as StatusFilter } : {}),
    ...(f.since ? { since: day(f.since, 0) } : {}),
    ...(f.until ? { until: day(f.until, 1) } : {}),
    ...(f.order === 'oldest' ? { order: 'oldest' as const } : {}),
  };
}

/**
 * The tiles: totals of exactly the rows below, computed from the same numbers in the same
 * render (the live counters in the query cache), so they never disagree with the rows.
 */
function Summary({ rows, stats: live, more }: { rows: Campaign[]; stats: Record<string, CampaignStats>; more: boolean }) {
  let audience = 0;
  let sent = 0;
  let failed = 0;
  for (const c of rows) {
    const n = numbersOf(c, live[c.id]);
    audience += n.audience_size ?? 0;
    sent += n.sent;
    failed += n.failed;
  }
  return (
    <div className="stack-tight">
      <dl className="kpis kpis-summary" aria-label="Totals of the campaigns listed" data-testid="history-totals">
        <div>
          <dt>Campaigns</dt>
          <dd data-testid="total-campaigns">{formatCount(rows.length)}</dd>
        </div>
        <div>
          <dt>Audience</dt>
          <dd data-testid="total-audience">{formatCount(audience)}</dd>
        </div>
        <div>
          <dt>Messages sent</dt>
          <dd className="num-sent" data-testid="total-sent">{formatCount(sent)}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd className="num-failed" data-testid="total-failed">{formatCount(failed)}</dd>
        </div>
        <div>
          <dt>Failure rate</dt>
          <dd>{formatRate(failed, sent + failed)}</dd>
        </div>
      </dl>
      {more && <p className="muted small">Totals of the campaigns listed; load older campaigns to include them.</p>}
    </div>
  );
}

export default function Campaigns() {
  useTitle('Campaigns');
  const [params, setParams] = useSearchParams();
  const launched = params.get('launched');
  const { state, merge, known } = useLive();
  const filters = readFilters(params);
  const typed = useDebounced(filters.q, 250);
  const query = { ...filters, q: typed };
  const filtered = Object.values(filters).some((v) => v !== '' && v !== 'newest');
  const setFilter = (key: keyof Filters, value: string) => {
    const next = new URLSearchParams(params);
    if (value && !(key === 'order' && value === 'newest')) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const list = useInfiniteQuery({
    queryKey: ['campaigns', 'list', query],
    initialPageParam: null as string | null,
    placeholderData: keepPreviousData,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        campaigns.GET('/api/v1/campaigns', {
          params: { query: { limit: PAGE, ...apiFilters(query), ...(pageParam ? { cursor: pageParam } : {}) } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: 30_000,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const ids = useMemo(() => rows.map((c) => c.id), [rows]);

  useEffect(() => {
    ids.forEach((id) => known.current.add(id));
  }, [ids, known]);

  // The counters' source of truth, read once per page of rows (the stats API takes up to
  // STATS_IDS ids a call), however many pages are loaded; the socket keeps them moving.
  const chunks = useMemo(() => {
    const out: string[][] = [];
    for (let i = 0; i < ids.length; i += STATS_IDS) out.push(ids.slice(i, i + STATS_IDS));
    return out;
  }, [ids]);
  const counted = useQueries({
    queries: chunks.map((chunk) => ({
      queryKey: ['stats', 'campaigns', chunk.join(',')],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        unwrap(stats.GET('/api/v1/stats/campaigns', { params: { query: { ids: chunk.join(',') } }, signal })),
    })),
    combine: everyItem,
  });
  useEffect(() => {
    if (counted.length) merge(counted);
  }, [counted, merge]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Campaigns</h1>
        <Link className="btn btn-primary" to="/campaigns/new">
          New campaign
        </Link>
      </div>
      <div className="filters" role="search" aria-label="Filter campaigns">
        <label className="field">
          <span>Search by name</span>
          <input type="search" value={filters.q} onChange={(e) => setFilter('q', e.target.value)} placeholder="e.g. Diwali" />
        </label>
        <label className="field">
          <span>Status</span>
          <select value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">Any</option>
            {STATUS_FILTERS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Created from</span>
          <input type="date" value={filters.since} onChange={(e) => setFilter('since', e.target.value)} />
        </label>
        <label className="field">
          <span>Created to</span>
          <input type="date" value={filters.until} onChange={(e) => setFilter('until', e.target.value)} />
        </label>
        <label className="field">
          <span>Order</span>
          <select value={filters.order} onChange={(e) => setFilter('order', e.target.value)}>
            <option value="newest">Newest first</option>
            <option value="oldest">Oldest first</option>
          </select>
        </label>
        {filtered && (
          <button type="button" className="btn btn-quiet" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
            Clear filters
          </button>
        )}
      </div>
      {rows.length > 0 && <Summary rows={rows} stats={state.stats} more={list.hasNextPage} />}
      {list.isPending ? (
        <Skeleton rows={6} label="Loading campaigns" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 && filtered ? (
        <Empty>No campaign matches these filters.</Empty>
      ) : rows.length === 0 ? (
        <Empty action={<Link className="btn btn-primary" to="/audiences/new">Build an audience</Link>}>
          No campaigns yet — build an audience first, then send it a message.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table history">
            <caption className="sr-only">Campaigns, newest first, with live delivery counts</caption>
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Audience</th>
                <th scope="col" className="num">Sent</th>
                <th scope="col" className="num">Failed</th>
                <th scope="col" className="num">Failure rate</th>
                <th scope="col" className="col-progress">Progress</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => {
                const n = numbersOf(c, state.stats[c.id]);
                const status = displayStatus(c, n);
                const rate = status === 'sending' ? sendingRate(n) : null;
                return (
                  <tr
                    key={c.id}
                    data-testid="campaign-row"
                    data-campaign-id={c.id}
                    className={c.id === launched ? 'row-highlight' : undefined}
                  >
                    <td className="cell-title">
                      <Link to={`/campaigns/${c.id}`}>{c.name}</Link>
                      <span className="muted small" title={formatDateTime(c.created_at)}>
                        {c.status === 'scheduled' && c.schedule_at
                          ? `Scheduled for ${formatDateTime(c.schedule_at)}`
                          : formatAgo(c.launched_at ?? c.created_at)}
                      </span>
                    </td>
                    <td data-label="Status">
                      <StatusTag status={status} />
                      {(n.cancelled ?? 0) > 0 && (
                        <span className="muted small block" data-testid="stat-cancelled">
                          {formatCount(n.cancelled)} cancelled
                        </span>
                      )}
                    </td>
                    <td className="num" data-label="Audience" data-testid="stat-audience">
                      {formatCount(n.audience_size)}
                    </td>
                    <td className="num num-sent" data-label="Sent" data-testid="stat-sent">
                      {formatCount(n.sent)}
                    </td>
                    <td className="num num-failed" data-label="Failed" data-testid="stat-failed">
                      {formatCount(n.failed)}
                    </td>
                    <td className="num" data-label="Failure rate">
                      {formatRate(n.failed, n.sent + n.failed)}
                    </td>
                    <td className="col-progress" data-label="Progress">
                      <Progress stats={n} label={`${c.name} progress`} />
                      {rate != null && <span className="muted small rate">{formatCount(Math.round(rate))}/s</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Older campaigns'}
        </button>
      )}
    </div>
  );
}
