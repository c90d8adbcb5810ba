/** /audiences: saved segments, newest first; open, duplicate, delete, or send to one. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useNavigate } from 'react-router';
import { segments, unwrap } from '../api/client';
import type { Segment } from '../api/models';
import { useFields, useSegments } from '../api/queries';
import { Empty, ErrorState, Skeleton } from '../components/States';
import { formatAgo } from '../lib/format';
import { describeRules, indexFields } from '../lib/rules';
import { useTitle } from '../lib/title';

export default function Audiences() {
  useTitle('Audiences');
  const list = useSegments();
  const fields = useFields();
  const index = useMemo(() => indexFields(fields.data?.fields ?? []), [fields.data]);
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  const duplicate = useMutation({
    mutationFn: (s: Segment) =>
      unwrap(
        segments.POST('/api/v1/segments', {
          body: { name: `${s.name} (copy)`, rules: s.rules },
        }),
      ),
    onSuccess: (copy) => {
      void queryClient.invalidateQueries({ queryKey: ['segments'] });
      navigate(`/audiences/${copy.id}`);
    },
  });
  const remove = useMutation({
    mutationFn: (s: Segment) =>
      unwrap(segments.DELETE('/api/v1/segments/{sid}', { params: { path: { sid: String(s.id) } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['segments'] }),
  });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Audiences</h1>
        <Link className="btn btn-primary" to="/audiences/new">
          Build an audience
        </Link>
      </div>
      {(duplicate.error ?? remove.error) && (
        <p className="banner banner-error" role="alert">
          {(duplicate.error ?? remove.error)?.message}
        </p>
      )}
      {list.isPending ? (
        <Skeleton rows={5} label="Loading audiences" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty action={<Link className="btn btn-primary" to="/audiences/new">Build your first audience</Link>}>
          No saved audiences yet. An audience is a set of rules, like “spent over ₹10,000 and visited at most 3 times”.
        </Empty>
      ) : (
        <ul className="list-cards">
          {list.data.items.map((s) => (
            <li key={s.id} className="list-card">
              <div className="list-card-main">
                <Link to={`/audiences/${s.id}`} className="list-card-title">
                  {s.name}
                </Link>
                <p className="muted small rules-line">{describeRules(s.rules, index)}</p>
              </div>
              <div className="list-card-meta muted small">Updated {formatAgo(s.updated_at)}</div>
              <div className="actions">
                <Link className="btn btn-small" to={`/campaigns/new?segment=${s.id}`}>
                  Send campaign
                </Link>
                <button type="button" className="btn btn-small btn-quiet" onClick={() => duplicate.mutate(s)}>
                  Duplicate
                </button>
                <button
                  type="button"
                  className="btn btn-small btn-quiet btn-danger"
                  onClick={() => {
                    if (window.confirm(`Delete the audience “${s.name}”? Campaigns already sent keep their rules.`)) {
                      remove.mutate(s);
                    }
                  }}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
