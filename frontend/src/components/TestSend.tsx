/**
 * "Send a test": pick up to ten customers by search (any part of id, name, email, phone or
 * city), see the message as each will read it, and send it to them through the same vendor
 * path as a campaign, marked as a test (in no list and no statistics).
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { campaigns, ingest, unwrap } from '../api/client';
import type { Customer } from '../api/models';
import { useDebounced } from '../api/queries';
import { useSession } from '../auth/RequireAuth';
import { renderTemplate } from '../lib/template';

const MAX = 10;

/** The body of a test send: named customers, or the signed-in person (`to_me`). */
interface TestBody {
  message: string;
  customer_ids: string[];
  to_me?: boolean;
}

export function TestSend({ message, disabled }: { message: string; disabled: boolean }) {
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<Customer[]>([]);
  const search = useDebounced(q.trim(), 200);
  const listId = useId();
  const found = useQuery({
    queryKey: ['customers', 'search', search],
    enabled: search.length >= 2,
    staleTime: 30_000,
    queryFn: ({ signal }) =>
      unwrap(ingest.GET('/api/v1/customers', { params: { query: { q: search, limit: 6 } }, signal })),
  });
  const me = useSession()?.user.email ?? null;
  const send = useMutation({
    mutationFn: (toMe: boolean) => {
      const body: TestBody = toMe ? { message, customer_ids: [], to_me: true } : { message, customer_ids: picked.map((c) => c.customer_id) };
      return unwrap(campaigns.POST('/api/v1/campaigns/test-send', { body }));
    },
  });
  const add = (c: Customer) => {
    send.reset();
    setPicked((now) => (now.some((p) => p.customer_id === c.customer_id) || now.length >= MAX ? now : [...now, c]));
    setQ('');
  };
  const options = (found.data?.items ?? []).filter((c) => !picked.some((p) => p.customer_id === c.customer_id));
  return (
    <section className="card stack-tight" aria-labelledby="test-send-title" data-testid="test-send">
      <h2 className="card-label" id="test-send-title">
        Send a test
      </h2>
      <label className="field">
        <span>Find customers to send a test to</span>
        <input
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            e.preventDefault(); // inside the campaign form: Enter picks, never launches
            if (options[0]) add(options[0]);
          }}
          placeholder="Name, email, phone, city or id"
          aria-describedby={listId}
          disabled={picked.length >= MAX}
        />
      </label>
      <div id={listId} aria-live="polite">
        {search.length >= 2 && found.isError && <p className="form-error">{found.error.message}</p>}
        {search.length >= 2 && found.isSuccess && options.length === 0 && <p className="muted small">No customer matches “{search}”.</p>}
        {options.length > 0 && q.trim().length >= 2 && (
          <ul className="test-options" aria-label="Matching customers">
            {options.map((c) => (
              <li key={c.customer_id}>
                <button type="button" className="btn btn-small" onClick={() => add(c)}>
                  Add {c.name || c.customer_id}
                </button>{' '}
                <span className="muted small">{[c.email, c.phone, c.city].filter(Boolean).join(' · ')}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {picked.length > 0 && (
        <ul className="previews" aria-label="Test recipients">
          {picked.map((c) => (
            <li key={c.customer_id} className="bubble-row" data-testid="test-recipient">
              <span className="bubble-to muted small">
                To {c.name || c.customer_id}{' '}
                <button
                  type="button"
                  className="btn btn-quiet btn-small"
                  aria-label={`Remove ${c.name || c.customer_id} from the test`}
                  onClick={() => {
                    send.reset();
                    setPicked((now) => now.filter((p) => p.customer_id !== c.customer_id));
                  }}
                >
                  Remove
                </button>
              </span>
              <span className="bubble">{renderTemplate(message, c) ?? 'Fix the message to see the preview.'}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button
          type="button"
          className="btn"
          onClick={() => send.mutate(false)}
          disabled={disabled || picked.length === 0 || send.isPending}
        >
          {send.isPending && !send.variables ? 'Sending test…' : `Send test to ${picked.length || 'no'} ${picked.length === 1 ? 'customer' : 'customers'}`}
        </button>
        <button
          type="button"
          className="btn"
          data-testid="test-send-me"
          onClick={() => send.mutate(true)}
          disabled={disabled || send.isPending || !me}
          title={me ? `To ${me}` : undefined}
        >
          {send.isPending && send.variables ? 'Sending test…' : 'Send a test to me'}
        </button>
        <span className="muted small">Up to {MAX}. A test is not a campaign: it is in no list and no statistics.</span>
      </div>
      {send.isSuccess && (
        <p className="banner banner-ok" role="status" data-testid="test-send-result">
          {send.variables
            ? `Test sent to you${me ? ` (${me})` : ''}`
            : `Test sent to ${send.data.recipients} ${send.data.recipients === 1 ? 'customer' : 'customers'}`}{' '}
          (test {send.data.test_id}).
        </p>
      )}
      {send.isError && (
        <p className="form-error" role="alert" data-testid="test-send-result">
          Test not sent: {send.error.message}
        </p>
      )}
    </section>
  );
}
