/**
 * /campaigns/:id: the counters (live), sent/failed over time, the message and audience,
 * and the communications log, paged and filtered by status (kept in the URL).
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { campaigns, delivery, downloadWithAuth, stats, unwrap } from '../api/client';
import type { Campaign, Series } from '../api/models';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { MessageEditor } from '../components/Message';
import { scheduleProblem, toLocalInput } from '../lib/launch';
import { parseTemplate } from '../lib/template';
import { useTitle } from '../lib/title';
import { useCampaign, useFields } from '../api/queries';
import { displayStatus, numbersOf, Progress, StatusTag } from '../components/CampaignNumbers';
import { Empty, ErrorState, Skeleton } from '../components/States';
import { formatCount, formatDateTime, formatRate } from '../lib/format';
import { describeRules, indexFields } from '../lib/rules';
import { runningTotals } from '../lib/series';
import { useLive } from '../live/LiveStats';
import { isFinished } from '../live/statsReducer';

const SeriesChart = lazy(() => import('../components/SeriesChart'));
const STATUSES = ['PENDING', 'SENT', 'FAILED', 'CANCELLED'] as const;

export default function CampaignPage() {
  const { id = '' } = useParams();
  const campaign = useCampaign(id);
  const { state, merge } = useLive();
  const fields = useFields();
  const index = useMemo(() => indexFields(fields.data?.fields ?? []), [fields.data]);

  const counters = useQuery({
    queryKey: ['stats', 'campaign', id],
    queryFn: ({ signal }) =>
      unwrap(stats.GET('/api/v1/stats/campaigns/{campaign_id}', { params: { path: { campaign_id: id } }, signal })),
    retry: false,
  });
  useEffect(() => {
    if (counters.data) merge([counters.data]);
  }, [counters.data, merge]);
  const live = state.stats[id];
  const finished = live ? isFinished(live) : false;
  useTitle(campaign.data ? `${campaign.data.name} · Campaigns` : 'Campaign');

  const series = useQuery({
    queryKey: ['stats', 'series', id],
    queryFn: ({ signal }) =>
      unwrap(stats.GET('/api/v1/stats/campaigns/{campaign_id}/series', { params: { path: { campaign_id: id } }, signal })),
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
          <p className="muted small" data-testid="campaign-when">
            <StatusTag status={status} />{' '}
            {c.status === 'scheduled'
              ? `Scheduled for ${formatDateTime(c.schedule_at)}`
              : c.launched_at
                ? `Launched ${formatDateTime(c.launched_at)}`
                : `Created ${formatDateTime(c.created_at)}`}
            {c.status === 'cancelled' && c.cancelled_at ? ` · cancelled ${formatDateTime(c.cancelled_at)}` : ''}
            {c.reason ? ` · ${c.reason}` : ''}
          </p>
        </div>
        <Lifecycle campaign={c} />
      </div>
      {c.status === 'scheduled' && <EditScheduled campaign={c} />}
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
          <dd>{formatCount(n.pending ?? (n.audience_size == null ? null : Math.max(0, n.audience_size - n.sent - n.failed - (n.cancelled ?? 0))))}</dd>
        </div>
        <div>
          <dt>Cancelled</dt>
          <dd className="num-cancelled" data-testid="stat-cancelled">
            {formatCount(n.cancelled ?? 0)}
          </dd>
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
            <>
              <Suspense fallback={<Skeleton rows={4} label="Loading chart" />}>
                <SeriesChart points={series.data.items} start={c.launched_at} />
              </Suspense>
              <SeriesTable points={series.data.items} />
            </>
          ) : series.isPending ? (
            <Skeleton rows={4} label="Loading chart" />
          ) : (
            <p className="muted">No receipts yet. The chart fills in as the vendor reports deliveries.</p>
          )}
        </section>
        <section className="card stack-tight" aria-labelledby="msg-title">
          <h2 className="card-label" id="msg-title">
            {c.channel === 'email' ? 'Email' : 'SMS'}
          </h2>
          {c.channel === 'email' && (
            <p data-testid="campaign-subject">
              <span className="muted">Subject: </span>
              {c.subject}
            </p>
          )}
          <p className="bubble">{c.message}</p>
          <h2 className="card-label">Audience rules</h2>
          <p className="small" data-testid="campaign-rules-sentence">
            {c.rules_sentence ?? (describeRules(c.rules, index) || '—')}
          </p>
        </section>
      </div>
      <CommunicationsLog campaignId={id} live={!finished && !['completed', 'cancelled', 'failed'].includes(c.status)} />
    </div>
  );
}

const clock = new Intl.DateTimeFormat('en-IN', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The chart's numbers as a table (for screen readers, and anyone who wants the figures). */
function SeriesTable({ points }: { points: Series['items'] }) {
  const rows = runningTotals(points);
  return (
    <details className="chart-table">
      <summary className="small">Show the numbers as a table</summary>
      <div className="table-wrap table-scroll" tabIndex={0} role="region" aria-label="Numbers behind the chart">
        <table className="table" data-testid="series-table">
          <caption className="sr-only">Messages sent and failed so far, by second</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col" className="num">
                Sent so far
              </th>
              <th scope="col" className="num">
                Failed so far
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.t}>
                <td data-label="Time">{clock.format(r.t)}</td>
                <td className="num" data-label="Sent so far">
                  {formatCount(r.sent)}
                </td>
                <td className="num" data-label="Failed so far">
                  {formatCount(r.failed)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function CommunicationsLog({ campaignId, live }: { campaignId: string; live: boolean }) {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const log = useInfiniteQuery({
    queryKey: ['communications', campaignId, status],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
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
    // Pushes refetch the log (LiveStats); this poll only covers a socket that is down.
    refetchInterval: live ? 5_000 : false,
  });
  const rows = log.data?.pages.flatMap((p) => p.items) ?? [];
  const [exporting, setExporting] = useState<string | null>(null);
  const exportCsv = () => {
    setExporting('');
    const query = new URLSearchParams({ campaign_id: campaignId, ...(status ? { status } : {}) });
    downloadWithAuth(`/api/v1/communications/export?${query.toString()}`, `communications-${campaignId}${status ? `-${status.toLowerCase()}` : ''}.csv`)
      .then(() => setExporting(null))
      .catch((error: unknown) => setExporting(error instanceof Error ? error.message : 'The export failed.'));
  };
  return (
    <section className="card" aria-labelledby="log-title">
      <div className="card-head">
        <h2 className="card-label" id="log-title">
          Communications log
        </h2>
        <div className="actions">
        <button type="button" className="btn btn-small" onClick={exportCsv} disabled={exporting === ''}>
          {exporting === '' ? 'Exporting…' : 'Export CSV'}
        </button>
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
      </div>
      {exporting && (
        <p className="form-error" role="alert">
          {exporting}
        </p>
      )}
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
                <tr key={m.message_id} data-testid="log-row" data-status={m.status} data-message-id={m.message_id}>
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

type Action = 'pause' | 'resume' | 'cancel';

/** Pause, resume and cancel, as the campaign's status allows; cancel asks first. */
function Lifecycle({ campaign }: { campaign: Campaign }) {
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const act = useMutation({
    mutationFn: (action: Action) =>
      unwrap(
        campaigns.POST(`/api/v1/campaigns/{campaign_id}/${action}`, {
          params: { path: { campaign_id: campaign.id } },
        }),
      ),
    onSuccess: (updated) => {
      setAsking(false);
      queryClient.setQueryData(['campaigns', 'one', campaign.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['campaigns', 'list'] });
      void queryClient.invalidateQueries({ queryKey: ['communications', campaign.id] });
      void queryClient.invalidateQueries({ queryKey: ['stats'] });
    },
  });
  const s = campaign.status;
  const canPause = s === 'launching' || s === 'sending';
  const canResume = s === 'paused';
  const canCancel = s === 'scheduled' || s === 'launching' || s === 'sending' || s === 'paused';
  return (
    <div className="actions">
      {act.error && !asking && (
        <span className="form-error" role="alert">
          {act.error.message}
        </span>
      )}
      {canPause && (
        <button type="button" className="btn" data-testid="campaign-pause" onClick={() => act.mutate('pause')} disabled={act.isPending}>
          Pause
        </button>
      )}
      {canResume && (
        <button type="button" className="btn" data-testid="campaign-resume" onClick={() => act.mutate('resume')} disabled={act.isPending}>
          Resume
        </button>
      )}
      {canCancel && (
        <button
          type="button"
          className="btn btn-danger"
          data-testid="campaign-cancel"
          onClick={() => {
            act.reset();
            setAsking(true);
          }}
          disabled={act.isPending}
        >
          Cancel campaign…
        </button>
      )}
      <Link className="btn btn-quiet" to={`/campaigns/new?from=${encodeURIComponent(campaign.id)}`}>
        Duplicate
      </Link>
      <ConfirmDialog
        open={asking}
        title={s === 'scheduled' ? 'Cancel this scheduled campaign?' : 'Stop sending this campaign?'}
        confirmLabel="Cancel the campaign"
        busyLabel="Cancelling…"
        busy={act.isPending}
        danger
        error={asking && act.error ? act.error.message : null}
        onConfirm={() => act.mutate('cancel')}
        onCancel={() => setAsking(false)}
      >
        <p>
          {s === 'scheduled'
            ? 'Nothing will be sent. This cannot be undone; you can duplicate it later.'
            : 'Messages already sent stay sent; every message not sent yet ends Cancelled. This cannot be undone.'}
        </p>
      </ConfirmDialog>
    </div>
  );
}

/** A scheduled campaign's name, message and time, changed before it goes (PATCH). */
function EditScheduled({ campaign }: { campaign: Campaign }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(campaign.name);
  const [message, setMessage] = useState(campaign.message);
  const [at, setAt] = useState(campaign.schedule_at ? toLocalInput(new Date(campaign.schedule_at)) : '');
  const problem = scheduleProblem(at);
  const templateErrors = parseTemplate(message).errors;
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        campaigns.PATCH('/api/v1/campaigns/{campaign_id}', {
          params: { path: { campaign_id: campaign.id } },
          body: { name: name.trim(), message, schedule_at: new Date(at).toISOString() },
        }),
      ),
    onSuccess: (updated) => {
      queryClient.setQueryData(['campaigns', 'one', campaign.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['campaigns', 'list'] });
      setOpen(false);
    },
  });
  if (!open) {
    return (
      <div>
        <button
          type="button"
          className="btn"
          data-testid="campaign-edit"
          onClick={() => {
            setName(campaign.name);
            setMessage(campaign.message);
            setAt(campaign.schedule_at ? toLocalInput(new Date(campaign.schedule_at)) : '');
            save.reset();
            setOpen(true);
          }}
        >
          Edit or reschedule
        </button>
      </div>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!problem && name.trim() && !templateErrors.length) save.mutate();
  };
  return (
    <form className="card stack-tight" onSubmit={submit} aria-labelledby="edit-title">
      <h2 className="card-label" id="edit-title">
        Edit the scheduled campaign
      </h2>
      <label className="field">
        <span>Campaign name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} required />
      </label>
      <MessageEditor value={message} onChange={setMessage} />
      <label className="field">
        <span>Send at (your time)</span>
        <input
          type="datetime-local"
          value={at}
          min={toLocalInput(new Date())}
          onChange={(e) => setAt(e.target.value)}
          required
          aria-invalid={problem != null}
          aria-describedby="edit-schedule-error"
        />
        {problem && (
          <span id="edit-schedule-error" className="form-error" role="alert">
            {problem}
          </span>
        )}
      </label>
      {save.error && (
        <p className="form-error" role="alert">
          Not saved: {save.error.message}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending || problem != null || !name.trim() || templateErrors.length > 0}>
          {save.isPending ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" className="btn" onClick={() => setOpen(false)} disabled={save.isPending}>
          Discard changes
        </button>
      </div>
    </form>
  );
}
