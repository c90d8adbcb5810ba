/**
 * /suppressions: who each channel's campaigns leave out (issue 26). People who used their
 * unsubscribe link are listed and stay (only they can opt back in); a marketer can add a
 * customer by email or id, and take off only someone a marketer added.
 */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { segments, unwrap } from '../api/client';
import type { Suppression, SuppressionChannel } from '../api/models';
import { Empty, ErrorState, Skeleton } from '../components/States';
import { formatAgo } from '../lib/format';
import { useTitle } from '../lib/title';

const CHANNELS: [SuppressionChannel, string][] = [
  ['email', 'Email'],
  ['sms', 'SMS'],
  ['whatsapp', 'WhatsApp'],
];
const REASONS: Record<string, string> = {
  unsubscribed: 'Unsubscribed by their link',
  manual: 'Added by a marketer',
  provider: 'Refused by the provider (e.g. replied STOP)',
};

export default function Suppressions() {
  useTitle('Opt-outs');
  const queryClient = useQueryClient();
  const [channel, setChannel] = useState<SuppressionChannel>('email');
  const [who, setWho] = useState('');
  const list = useInfiniteQuery({
    queryKey: ['suppressions', channel],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        segments.GET('/api/v1/suppressions', {
          params: { query: { channel, limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['suppressions', channel] });
  const add = useMutation({
    mutationFn: (value: string) =>
      unwrap(
        segments.POST('/api/v1/suppressions', {
          body: value.includes('@') ? { channel, email: value } : { channel, customer_id: value },
        }),
      ),
    onSuccess: () => {
      setWho('');
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (s: Suppression) =>
      unwrap(
        segments.DELETE('/api/v1/suppressions/{channel}/{customer_id}', {
          params: { path: { channel: s.channel, customer_id: s.customer_id } },
        }),
      ),
    onSuccess: refresh,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (who.trim()) add.mutate(who.trim());
  };
  const failure = add.error ?? remove.error;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Opt-outs</h1>
      </div>
      <p className="muted">
        Customers on a channel&apos;s list get none of that channel&apos;s campaigns. An email campaign also leaves out
        anyone without email consent.
      </p>
      <div className="segmented" role="radiogroup" aria-label="Channel">
        {CHANNELS.map(([value, label]) => (
          <label key={value}>
            <input type="radio" name="channel" checked={channel === value} onChange={() => setChannel(value)} />
            {label}
          </label>
        ))}
      </div>
      <form className="filters" onSubmit={submit}>
        <label className="field">
          <span>Add a customer (email or customer id)</span>
          <input value={who} onChange={(e) => setWho(e.target.value)} maxLength={254} placeholder="asha@example.in" />
        </label>
        <button type="submit" className="btn" disabled={!who.trim() || add.isPending}>
          Add to the {CHANNELS.find(([v]) => v === channel)?.[1]} list
        </button>
      </form>
      {failure && (
        <p className="banner banner-error" role="alert">
          {failure.message}
        </p>
      )}
      {list.isPending ? (
        <Skeleton rows={4} label="Loading opt-outs" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>Nobody is on this list.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="suppressions-table">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Why</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.customer_id} data-testid="suppression-row" data-reason={s.reason}>
                  <td>
                    <strong>{s.name ?? s.customer_id}</strong>
                    <div className="muted small">{s.email ?? s.customer_id}</div>
                  </td>
                  <td>{REASONS[s.reason] ?? s.reason}</td>
                  <td>{formatAgo(s.created_at)}</td>
                  <td>
                    {s.reason === 'manual' && (
                      <button type="button" className="btn btn-small btn-quiet" onClick={() => remove.mutate(s)} disabled={remove.isPending}>
                        Take off <span className="sr-only">{s.email ?? s.customer_id}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'More'}
        </button>
      )}
    </div>
  );
}
