/**
 * /customers/:id: one person. Spend and visits (money kept, placed orders), marketing
 * consent per channel (accepted, declined or unknown; when and where it was given), the
 * other ids they were known by, every order and every message they received, newest first.
 * An admin can erase them.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, delivery, ingest, segments, unwrap } from '../api/client';
import type { Customer } from '../api/models';
import { useSession } from '../auth/RequireAuth';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { OrderStatusTag } from '../components/ImportReport';
import { Empty, ErrorState, Skeleton } from '../components/States';
import { formatCount, formatDate, formatDateTime, formatInrExact } from '../lib/format';
import { keptOf } from '../lib/orders';
import { useTitle } from '../lib/title';

const ORDERS_PAGE = 25;
const MESSAGES_PAGE = 10;

const CHANNELS = [
  ['email', 'Email'],
  ['sms', 'SMS'],
  ['whatsapp', 'WhatsApp'],
] as const;

export default function CustomerPage() {
  const { id = '' } = useParams();
  useTitle(`Customer ${id}`);
  const customer = useQuery({
    queryKey: ['customer', id],
    queryFn: ({ signal }) =>
      unwrap(ingest.GET('/api/v1/customers/{customer_id}', { params: { path: { customer_id: id } }, signal })),
  });
  if (customer.isPending) return <Skeleton rows={8} label="Loading customer" />;
  if (customer.isError) {
    const gone = customer.error instanceof ApiError && customer.error.status === 404;
    return (
      <div className="page">
        <p className="crumbs">
          <Link to="/customers">Customers</Link> /
        </p>
        {gone ? (
          <Empty action={<Link to="/customers" className="btn">Back to customers</Link>}>
            No customer “{id}”: the id may be mistyped, or the person was erased.
          </Empty>
        ) : (
          <ErrorState error={customer.error} retry={() => void customer.refetch()} />
        )}
      </div>
    );
  }
  return <Person customer={customer.data} asked={id} />;
}

function Person({ customer: c, asked }: { customer: Customer; asked: string }) {
  const session = useSession();
  const admin = session?.user.roles.includes('admin') ?? false;
  const id = c.customer_id; // the person's own id, also when the page was opened by an alias
  const profile = useQuery({
    queryKey: ['profile', id],
    retry: false,
    queryFn: async ({ signal }) => {
      try {
        return await unwrap(
          segments.GET('/api/v1/segments/profiles/{customer_id}', { params: { path: { customer_id: id } }, signal }),
        );
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null; // no orders counted yet
        throw error;
      }
    },
  });
  const p = profile.data;
  const aliases = c.aliases ?? [];

  return (
    <div className="page">
      <div className="page-head">
        <div className="min-w-0">
          <p className="crumbs">
            <Link to="/customers">Customers</Link> /
          </p>
          <h1 className="break">{c.name || 'Unnamed'}</h1>
          <p className="muted small break">
            <span className="mono">{c.customer_id}</span>
            {c.email ? ` · ${c.email}` : ''}
            {c.phone ? ` · ${c.phone}` : ''}
            {c.city ? ` · ${c.city}` : ''}
            {c.created_at ? ` · customer since ${formatDate(c.created_at)}` : ''}
          </p>
          {asked !== id && (
            <p className="small">
              “<span className="mono">{asked}</span>” is another id of this person (merged: one person per email).
            </p>
          )}
        </div>
        {admin && <Erase customer={c} />}
      </div>

      <dl className="kpis kpis-profile" aria-label="Spend and visits">
        <div>
          <dt>Total spend</dt>
          <dd data-testid="profile-spend" data-value={p ? String(p.total_spend) : profile.isPending ? '' : '0'}>
            {p ? formatInrExact(p.total_spend) : profile.isPending ? '…' : formatInrExact(0)}
          </dd>
          <dd className="hint">money kept: paid orders net of refunds</dd>
        </div>
        <div>
          <dt>Visits</dt>
          <dd data-testid="profile-visits">{p ? formatCount(p.visits) : profile.isPending ? '…' : '0'}</dd>
          <dd className="hint">placed orders</dd>
        </div>
        <div>
          <dt>First visit</dt>
          <dd className="dd-text">{p ? formatDate(p.first_visit_at) : '—'}</dd>
        </div>
        <div>
          <dt>Last visit</dt>
          <dd className="dd-text">{p ? formatDate(p.last_visit_at) : '—'}</dd>
        </div>
      </dl>
      {profile.isError && <ErrorState error={profile.error} retry={() => void profile.refetch()} />}

      <div className="split split-customer">
        <div className="stack min-w-0">
          <Orders customerId={id} />
          <Messages customerId={id} />
        </div>
        <aside className="stack">
          <section className="card stack-tight" aria-labelledby="consent-title">
            <h2 id="consent-title" className="card-label">
              Marketing consent
            </h2>
            <ul className="consent-list" data-testid="consent">
              {CHANNELS.map(([key, label]) => {
                const value = c[`accepts_${key}_marketing`];
                const at = c[`accepts_${key}_marketing_at`];
                const where = c[`accepts_${key}_marketing_source`];
                const state = value === true ? 'accepted' : value === false ? 'declined' : 'unknown';
                return (
                  <li key={key} data-channel={key} data-consent={state}>
                    <span className="consent-channel">{label}</span>
                    <span className={`tag tag-consent-${state}`}>
                      {state === 'accepted' ? 'Accepted' : state === 'declined' ? 'Declined' : 'Unknown'}
                    </span>
                    <span className="small muted consent-when">
                      {state === 'unknown'
                        ? 'never asked, or not in any file'
                        : `${at ? formatDateTime(at) : 'date not given'}${where ? ` · ${where}` : ''}`}
                    </span>
                  </li>
                );
              })}
            </ul>
          </section>
          <section className="card stack-tight" aria-labelledby="aliases-title">
            <h2 id="aliases-title" className="card-label">
              Also known as
            </h2>
            {aliases.length ? (
              <ul className="aliases" data-testid="aliases">
                {aliases.map((a) => (
                  <li key={a} className="mono small">
                    {a}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="small muted">No other ids: no second record with this email was merged in.</p>
            )}
          </section>
        </aside>
      </div>
    </div>
  );
}

function Orders({ customerId }: { customerId: string }) {
  const orders = useInfiniteQuery({
    queryKey: ['orders', customerId, 'newest'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        ingest.GET('/api/v1/orders', {
          params: {
            query: {
              customer_id: customerId,
              order: 'newest',
              limit: ORDERS_PAGE,
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  });
  const rows = orders.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="stack-tight" aria-labelledby="orders-title">
      <h2 id="orders-title" className="h-section">
        Orders <span className="muted small">newest first</span>
      </h2>
      {orders.isPending ? (
        <Skeleton rows={5} label="Loading orders" />
      ) : orders.isError ? (
        <ErrorState error={orders.error} retry={() => void orders.refetch()} />
      ) : rows.length === 0 ? (
        <Empty action={<Link to="/imports" className="btn">Import orders</Link>}>No orders for this customer yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table customer-orders">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  <abbr title="Money kept: what the order adds to total spend (paid, net of refunds)">Kept</abbr>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((o) => {
                const items = o.line_items ?? [];
                const refunded = Number(o.refunded_amount ?? 0);
                return (
                  <tr key={o.order_id} data-testid="order-row" data-status={o.status ?? 'paid'}>
                    <td data-label="Order" className="cell-title">
                      <span className="mono">{o.order_id}</span>
                      {items.length > 0 && (
                        <details className="line-items">
                          <summary className="small">
                            {formatCount(items.length)} {items.length === 1 ? 'item' : 'items'}
                          </summary>
                          <ul className="small">
                            {items.map((li, i) => (
                              <li key={`${li.sku ?? li.name}-${i}`}>
                                {li.quantity != null && li.quantity !== 1 ? `${formatCount(li.quantity)} × ` : ''}
                                {li.name}
                                {li.price != null ? <span className="muted"> · {formatInrExact(li.price)}</span> : null}
                              </li>
                            ))}
                          </ul>
                        </details>
                      )}
                    </td>
                    <td data-label="Placed">{formatDateTime(o.ordered_at)}</td>
                    <td data-label="Status">
                      <OrderStatusTag status={o.status} />
                    </td>
                    <td data-label="Amount" className="num">
                      <span className="block">{formatInrExact(o.amount)}</span>
                      {refunded > 0 && <span className="block small muted">{formatInrExact(refunded)} refunded</span>}
                    </td>
                    <td data-label="Kept" className="num">
                      {formatInrExact(keptOf(o))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {orders.hasNextPage && (
        <button
          type="button"
          className="btn"
          onClick={() => void orders.fetchNextPage()}
          disabled={orders.isFetchingNextPage}
        >
          {orders.isFetchingNextPage ? 'Loading…' : 'Load more orders'}
        </button>
      )}
    </section>
  );
}

/** The messages this person received (any campaign), newest first, paged. */
function Messages({ customerId }: { customerId: string }) {
  const log = useInfiniteQuery({
    queryKey: ['communications', 'customer', customerId],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        delivery.GET('/api/v1/communications', {
          params: {
            query: {
              customer_id: customerId,
              order: 'newest',
              limit: MESSAGES_PAGE,
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  });
  const rows = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="stack-tight" aria-labelledby="messages-title">
      <h2 id="messages-title" className="h-section">
        Messages received <span className="muted small">newest first</span>
      </h2>
      {log.isPending ? (
        <Skeleton rows={3} label="Loading messages" />
      ) : log.isError ? (
        <ErrorState error={log.error} retry={() => void log.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>No campaign has messaged this customer yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table customer-messages" data-testid="customer-messages">
            <thead>
              <tr>
                <th scope="col">Sent</th>
                <th scope="col">Status</th>
                <th scope="col">Message</th>
                <th scope="col">Campaign</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.message_id} data-testid="message-row" data-status={m.status}>
                  <td data-label="Sent" className="nowrap">
                    {formatDateTime(m.created_at)}
                  </td>
                  <td data-label="Status">
                    <span className={`tag tag-${m.status.toLowerCase()}`}>{m.status}</span>
                    {m.reason && <span className="muted small block">{m.reason}</span>}
                  </td>
                  <td data-label="Message" className="cell-message">
                    {m.message}
                  </td>
                  <td data-label="Campaign">
                    <Link to={`/campaigns/${encodeURIComponent(m.campaign_id)}`} aria-label={`Campaign ${m.campaign_id}`}>
                      Open
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.hasNextPage && (
        <button type="button" className="btn" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
          {log.isFetchingNextPage ? 'Loading…' : 'Older messages'}
        </button>
      )}
    </section>
  );
}

function Erase({ customer: c }: { customer: Customer }) {
  const [asking, setAsking] = useState(false);
  const queryClient = useQueryClient();
  const erase = useMutation({
    mutationFn: () =>
      unwrap(
        ingest.DELETE('/api/v1/customers/{customer_id}', { params: { path: { customer_id: c.customer_id } } }),
      ),
    onSuccess: () => {
      setAsking(false);
      void queryClient.invalidateQueries({ queryKey: ['customers'] });
    },
  });
  const who = c.name || c.email || c.customer_id;
  if (erase.isSuccess) {
    return (
      <p className="banner banner-ok" role="status" data-testid="erase-requested">
        Erasure of {who} requested: their personal data leaves every service within moments.{' '}
        <Link to="/customers">Back to customers</Link>
      </p>
    );
  }
  return (
    <div className="actions">
      <button type="button" className="btn btn-danger" onClick={() => setAsking(true)}>
        Erase this customer…
      </button>
      <ConfirmDialog
        open={asking}
        title={`Erase ${who}?`}
        confirmLabel="Erase for good"
        busyLabel="Erasing…"
        danger
        busy={erase.isPending}
        error={erase.error ? erase.error.message : null}
        onCancel={() => {
          setAsking(false);
          erase.reset();
        }}
        onConfirm={() => erase.mutate()}
      >
        <p>
          Their name, email, phone, city and consent are removed from every Beacon service, and the messages sent to them
          lose their address and text in the delivery log, so they can no longer be messaged. Their orders stay in the
          shop's books as amounts and times under an anonymous id.
        </p>
        <p>
          Only a tombstone remains, so a later import that names them is skipped. <strong>This cannot be undone.</strong>
        </p>
      </ConfirmDialog>
    </div>
  );
}
