/**
 * /audiences/new and /audiences/:id: name an audience, build its rules, watch its size
 * follow every edit, save it (the page's one primary action).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { RuleGroupType } from 'react-querybuilder';
import { ApiError, downloadWithAuth, segments, unwrap } from '../api/client';
import type { Segment } from '../api/models';
import { useAudiencePreview, useFields, useSegment } from '../api/queries';
import { AudienceSize } from '../components/AudienceSize';
import { RuleEditor } from '../components/RuleEditor';
import { ErrorState, Skeleton } from '../components/States';
import { completeRules, fromApiRules, indexFields, problemsByRule, starterQuery, toApiRules } from '../lib/rules';
import { useTitle } from '../lib/title';

export default function AudienceBuilder() {
  const { id } = useParams();
  const fields = useFields();
  const segment = useSegment(id);
  useTitle(id ? (segment.data ? `${segment.data.name} · Audiences` : 'Audience') : 'Build an audience');
  if (fields.isPending || (id && segment.isPending)) return <Skeleton rows={8} label="Loading audience" />;
  if (fields.isError) return <ErrorState error={fields.error} retry={() => void fields.refetch()} />;
  if (id && segment.isError) return <ErrorState error={segment.error} retry={() => void segment.refetch()} />;
  return <Builder key={id ?? 'new'} id={id} initial={segment.data} />;
}

function Builder({ id, initial }: { id: string | undefined; initial: Segment | undefined }) {
  const fields = useFields().data?.fields ?? [];
  const index = useMemo(() => indexFields(fields), [fields]);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState(initial?.name ?? '');
  const [query, setQuery] = useState<RuleGroupType>(() => (initial ? fromApiRules(initial.rules) : starterQuery()));
  const [saved, setSaved] = useState(false);

  const pruned = useMemo(() => completeRules(query, index), [query, index]);
  const preview = useAudiencePreview(pruned?.json ?? null);

  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), rules: toApiRules(query, index) };
      return id
        ? unwrap(segments.PUT('/api/v1/segments/{sid}', { params: { path: { sid: id } }, body }))
        : unwrap(segments.POST('/api/v1/segments', { body }));
    },
    onSuccess: (segment) => {
      void queryClient.invalidateQueries({ queryKey: ['segments'] });
      setSaved(true);
      if (!id) navigate(`/audiences/${segment.id}`, { replace: true });
    },
  });
  useEffect(() => setSaved(false), [query, name]);

  const saveProblems = save.error instanceof ApiError ? save.error.problems : [];
  const problems = useMemo(
    () =>
      saveProblems.length
        ? problemsByRule(query, saveProblems)
        : problemsByRule(query, preview.problems, pruned?.paths),
    [query, saveProblems, preview.problems, pruned],
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const previewError =
    preview.error && !(preview.error instanceof ApiError && preview.error.status === 422)
      ? preview.error.message
      : preview.problems.length
        ? 'Fix the highlighted rule to see the size.'
        : null;

  return (
    <form className="page" onSubmit={submit}>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/audiences">Audiences</Link> /
          </p>
          <h1>{id ? name || 'Audience' : 'Build an audience'}</h1>
        </div>
        <div className="actions">
          {id && <ExportMembers id={id} name={initial?.name ?? name} />}
          {id && (
            <Link className="btn" to={`/campaigns/new?segment=${id}`}>
              New campaign to this audience
            </Link>
          )}
          <button type="submit" className="btn btn-primary" disabled={save.isPending || !name.trim()}>
            {save.isPending ? 'Saving…' : id ? 'Save changes' : 'Save audience'}
          </button>
        </div>
      </div>
      {saved && (
        <p className="banner banner-ok" role="status">
          Saved.
        </p>
      )}
      {save.error && !saveProblems.some((p) => p.field.startsWith('body.rules')) && (
        <p className="banner banner-error" role="alert">
          {save.error.message}
        </p>
      )}
      <div className="split">
        <div className="stack">
          <label className="field">
            <span>Audience name</span>
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="e.g. Big spenders, few visits"
              maxLength={200}
              required
            />
          </label>
          <section className="card" aria-labelledby="rules-title">
            <h2 className="card-label" id="rules-title">
              Who is in it
            </h2>
            <RuleEditor fields={fields} query={query} onQueryChange={setQuery} problems={problems} />
          </section>
        </div>
        <aside className="split-side">
          <AudienceSize
            preview={preview.data}
            current={preview.current}
            slow={preview.slow}
            empty={pruned == null}
            error={previewError}
          />
        </aside>
      </div>
    </form>
  );
}

/**
 * The saved audience's members as CSV (fetched with the session: a plain link cannot carry
 * the token). The file is the audience as saved, not edits not yet saved.
 */
function ExportMembers({ id, name }: { id: string; name: string }) {
  const [state, setState] = useState<'idle' | 'busy' | string>('idle');
  const file = `${(name || `audience-${id}`).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase() || `audience-${id}`}.csv`;
  const run = () => {
    setState('busy');
    downloadWithAuth(`/api/v1/segments/${encodeURIComponent(id)}/export`, file)
      .then(() => setState('idle'))
      .catch((error: unknown) => setState(error instanceof Error ? `Export failed: ${error.message}` : 'Export failed.'));
  };
  return (
    <>
      {state !== 'idle' && state !== 'busy' && (
        <span className="form-error" role="alert">
          {state}
        </span>
      )}
      <button type="button" className="btn" onClick={run} disabled={state === 'busy'} title="The members of the saved audience, as a CSV file">
        {state === 'busy' ? 'Exporting…' : 'Export CSV'}
      </button>
    </>
  );
}
