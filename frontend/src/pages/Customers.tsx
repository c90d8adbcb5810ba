/**
 * /customers: a paged, searchable list; a customer's profile (spend, visits, last visit)
 * and latest orders beside it, with a link to their full page (/customers/:id). Files of
 * customers or orders are loaded on /imports.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError, ingest, segments, unwrap } from '../api/client';
import { useDebounced } from '../api/queries';
import { OrderStatusTag } from '../components/ImportReport';
import { Empty, ErrorState, Skeleton } from '../components/States';
import { formatCount, formatDate, formatDateTime, formatInr, formatInrExact } from '../lib/format';
import { useTitle } from '../lib/title';

export default function Customers() {
  useTitle('Customers');
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const q = useDebounced(search.trim(), 250);
  const selected = params.get('id');

  const list = useInfiniteQuery({
    queryKey: ['customers', q],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        ingest.GET('/api/v1/customers', {
          params: { query: { limit: 25, ...(q ? { q } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const select = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set('id', id);
    else next.delete('id');
    setParams(next, { replace: true });
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Customers</h1>
        <Link className="btn" to="/suppressions">
          Opt-outs
        </Link>
      </div>
      <div className="split">
        <div className="stack">
          <label className="field">
            <span>Search customers</span>
            <input
              type="search"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              placeholder="Any part of a name, email, phone or city"
            />
          </label>
          {list.isPending ? (
            <Skeleton rows={8} label="Loading customers" />
          ) : list.isError ? (
            <ErrorState error={list.error} retry={() => void list.refetch()} />
          ) : rows.length === 0 ? (
            <Empty
              action={
                q ? undefined : (
                  <Link to="/imports" className="btn btn-primary">
                    Import customers
                  </Link>
                )
              }
            >
              {q ? `No customer matches “${q}”.` : 'No customers yet. Import a Shopify, WooCommerce or CSV file, or send them to the API.'}
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="table customers">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Customer id</th>
                    <th scope="col">Email</th>
                    <th scope="col">City</th>
                    <th scope="col">Since</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((c) => (
                    <tr key={c.customer_id} className={c.customer_id === selected ? 'row-selected' : undefined}>
                      <td data-label="Name" className="cell-title">
                        <button type="button" className="link" onClick={() => select(c.customer_id)}>
                          {c.name || 'Unnamed'}
                        </button>
                      </td>
                      <td data-label="Customer id" className="mono">
                        {c.customer_id}
                      </td>
                      <td data-label="Email">{c.email ?? '—'}</td>
                      <td data-label="City">{c.city ?? '—'}</td>
                      <td data-label="Since" className="nowrap">
                        {formatDate(c.created_at)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {list.hasNextPage && (
            <button type="button" className="btn" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              {list.isFetchingNextPage ? 'Loading…' : 'More customers'}
            </button>
          )}
        </div>
        <aside className="split-side stack">
          {selected ? (
            <CustomerCard id={selected} onClose={() => select(null)} />
          ) : (
            <p className="card muted">Choose a customer to see their spend, visits and orders.</p>
          )}
          <section className="card stack-tight" aria-labelledby="import-card-title">
            <h2 className="card-label" id="import-card-title">
              Load customers or orders
            </h2>
            <p className="small muted">
              From a Shopify or WooCommerce export, or any CSV: see how Beacon reads the file before anything is sent.
            </p>
            <Link to="/imports" className="btn">
              Import a file
            </Link>
          </section>
        </aside>
      </div>
    </div>
  );
}

function CustomerCard({ id, onClose }: { id: string; onClose: () => void }) {
  const customer = useQuery({
    queryKey: ['customer', id],
    queryFn: ({ signal }) =>
      unwrap(ingest.GET('/api/v1/customers/{customer_id}', { params: { path: { customer_id: id } }, signal })),
  });
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
  const orders = useQuery({
    queryKey: ['orders', id],
    queryFn: ({ signal }) =>
      unwrap(
        ingest.GET('/api/v1/orders', {
          params: { query: { customer_id: id, limit: 10, order: 'newest' } },
          signal,
        }),
      ),
  });
  if (customer.isPending) return <Skeleton rows={5} label="Loading customer" />;
  if (customer.isError) return <ErrorState error={customer.error} retry={() => void customer.refetch()} />;
  const c = customer.data;
  const p = profile.data;
  return (
    <section className="card stack-tight" aria-labelledby="customer-title">
      <div className="card-head">
        <h2 id="customer-title" className="h-card">
          {c.name || 'Unnamed'}
        </h2>
        <span className="actions">
          <Link to={`/customers/${encodeURIComponent(c.customer_id)}`} className="btn btn-small">
            Full profile
          </Link>
          <button type="button" className="btn btn-quiet btn-small" onClick={onClose}>
            Close
          </button>
        </span>
      </div>
      <p className="muted small">
        <span className="mono">{c.customer_id}</span>
        {c.email ? ` · ${c.email}` : ''}
        {c.phone ? ` · ${c.phone}` : ''}
        {c.city ? ` · ${c.city}` : ''}
      </p>
      <dl className="kpis kpis-compact">
        <div>
          <dt>Total spend</dt>
          <dd>{p ? formatInr(p.total_spend) : profile.isPending ? '…' : formatInr(0)}</dd>
        </div>
        <div>
          <dt>Visits</dt>
          <dd>{p ? formatCount(p.visits) : profile.isPending ? '…' : '0'}</dd>
        </div>
        <div>
          <dt>Last visit</dt>
          <dd className="dd-text">{p ? formatDate(p.last_visit_at) : '—'}</dd>
        </div>
      </dl>
      <h3 className="card-label">Latest orders</h3>
      {orders.isPending ? (
        <Skeleton rows={3} label="Loading orders" />
      ) : orders.isError ? (
        <ErrorState error={orders.error} />
      ) : orders.data.items.length === 0 ? (
        <p className="muted small">No orders yet.</p>
      ) : (
        <ul className="orders">
          {orders.data.items.map((o) => (
            <li key={o.order_id}>
              <span>
                <span className="mono small block">{o.order_id}</span>
                <span className="muted small block">{formatDateTime(o.ordered_at)}</span>
              </span>
              <span className="num">
                <span className="block">{formatInrExact(o.amount)}</span>
                {o.status && o.status !== 'paid' && <OrderStatusTag status={o.status} />}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
