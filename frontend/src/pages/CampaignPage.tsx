/**
 * /campaigns/:id: the counters (live), sent/failed over time, the message and audience,
 * and the communications log, paged and filtered by status (kept in the URL).
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { delivery, stats, unwrap } from '../api/client';
import type { CampaignStats, Communication, Page, Series } from '../api/models';
import { useCampaign, useFields } from '../api/queries';
import { displayStatus, numbersOf, Progress, StatusTag } from '../components/CampaignNumbers';
import { Empty, ErrorState, Skeleton } from '../components/States';
import { formatCount, formatDateTime, formatRate } from '../lib/format';
import { describeRules, indexFields } from '../lib/rules';
import { useLive } from '../live/LiveStats';
import { isFinished } from '../live/statsReducer';

const SeriesChart = lazy(() => import('../components/SeriesChart'));
const STATUSES = ['PENDING', 'SENT', 'FAILED'] as const;

export default function CampaignPage() {
  const { id = '' } = useParams();
  const campaign = useCampaign(id);
  const { state, merge } = useLive();
  const fields = useFields();
  const index = useMemo(() => indexFields(fields.data?.fields ?? []), [fields.data]);

  const counters = useQuery({
    queryKey: ['stats', 'campaign', id],
    queryFn: ({ signal }) =>
      unwrap<CampaignStats>(stats.GET('/api/v1/stats/campaigns/{campaign_id}', { params: { path: { campaign_id: id } }, signal })),
    retry: false,
  });
  useEffect(() => {
    if (counters.data) merge([counters.data]);
  }, [counters.data, merge]);
  const live = state.stats[id];
  const finished = live ? isFinished(live) : false;

  const series = useQuery({
    queryKey: ['stats', 'series', id],
    queryFn: ({ signal }) =>
      unwrap<Series>(stats.GET('/api/v1/stats/campaigns/{campaign_id}/series', { params: { path: { campaign_id: id } }, signal })),
    retry: false,
    refetchInterval: finished ? false : 3_000,
  });

  if (campaign.isPending) return <Skeleton rows={8} label="Loading campaign" />;
  if (campaign.isError) return <ErrorState error={campaign.error} retry={() => void campaign.refetch()} />;
  const c = campaign.data;
  const n = numbersOf(c, live);
  const status = displayStatus(c, n);

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/campaigns">Campaigns</Link> /
          </p>
          <h1>{c.name}</h1>
          <p className="muted small">
            <StatusTag status={status} /> Launched {formatDateTime(c.launched_at ?? c.created_at)}
            {c.reason ? ` · ${c.reason}` : ''}
          </p>
        </div>
      </div>
      <dl className="kpis kpis-large" aria-label="Delivery">
        <div>
          <dt>Audience</dt>
          <dd>{formatCount(n.audience_size)}</dd>
        </div>
        <div>
          <dt>Sent</dt>
          <dd className="num-sent">{formatCount(n.sent)}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd className="num-failed">{formatCount(n.failed)}</dd>
        </div>
        <div>
          <dt>Pending</dt>
          <dd>{formatCount(n.pending ?? (n.audience_size == null ? null : Math.max(0, n.audience_size - n.sent - n.failed)))}</dd>
        </div>
        <div>
          <dt>Failure rate</dt>
          <dd>{formatRate(n.failed, n.sent + n.failed)}</dd>
        </div>
      </dl>
      <Progress stats={n} label="Delivery progress" />

      <div className="split split-even">
        <section className="card" aria-labelledby="chart-title">
          <h2 className="card-label" id="chart-title">
            Deliveries over time
          </h2>
          {series.data && series.data.items.length > 0 ? (
            <Suspense fallback={<Skeleton rows={4} label="Loading chart" />}>
              <SeriesChart points={series.data.items} start={c.launched_at} />
            </Suspense>
          ) : series.isPending ? (
            <Skeleton rows={4} label="Loading chart" />
          ) : (
            <p className="muted">No receipts yet. The chart fills in as the vendor reports deliveries.</p>
          )}
        </section>
        <section className="card stack-tight" aria-labelledby="msg-title">
          <h2 className="card-label" id="msg-title">
            Message
          </h2>
          <p className="bubble">{c.message}</p>
          <h2 className="card-label">Audience rules</h2>
          <p className="small">{describeRules(c.rules, index) || '—'}</p>
        </section>
      </div>
      <CommunicationsLog campaignId={id} />
    </div>
  );
}

function CommunicationsLog({ campaignId }: { campaignId: string }) {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const log = useInfiniteQuery({
    queryKey: ['communications', campaignId, status],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap<Page<Communication>>(
        delivery.GET('/api/v1/communications', {
          params: {
            query: {
              campaign_id: campaignId,
              limit: 25,
              ...(status ? { status: status as 'SENT' } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  });
  const rows = log.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="card" aria-labelledby="log-title">
      <div className="card-head">
        <h2 className="card-label" id="log-title">
          Communications log
        </h2>
        <label className="field field-inline">
          <span>Status</span>
          <select
            value={status}
            onChange={(e) => {
              const next = new URLSearchParams(params);
              if (e.target.value) next.set('status', e.target.value);
              else next.delete('status');
              setParams(next, { replace: true });
            }}
          >
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s[0]}
                {s.slice(1).toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </div>
      {log.isPending ? (
        <Skeleton rows={5} label="Loading log" />
      ) : log.isError ? (
        <ErrorState error={log.error} retry={() => void log.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{status ? `No ${status.toLowerCase()} messages.` : 'No messages yet: the audience is still being resolved.'}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table log" data-testid="communications-log">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Status</th>
                <th scope="col">Message</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.message_id} data-testid="communication-row" data-status={m.status}>
                  <td data-label="Customer" className="mono">
                    {m.customer_id}
                  </td>
                  <td data-label="Status">
                    <span className={`tag tag-${m.status.toLowerCase()}`}>{m.status}</span>
                    {m.reason && <span className="muted small block">{m.reason}</span>}
                  </td>
                  <td data-label="Message" className="cell-message">
                    {m.message}
                  </td>
                  <td data-label="Updated" className="nowrap">
                    {formatDateTime(m.updated_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.hasNextPage && (
        <button type="button" className="btn" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
          {log.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
