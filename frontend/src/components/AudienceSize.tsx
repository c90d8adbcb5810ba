/**
 * The live audience size: one big number (test id `audience-size`), how long the count
 * took, the rule in words (`audience-sentence`), how many each top-level condition matches
 * alone (`condition-count`), and a few matching customers. Shows "—" while a count is slow to come back
 * rather than a number for rules no longer on screen.
 */
import type { Preview } from '../api/models';
import { formatCount } from '../lib/format';

interface Props {
  preview: Preview | undefined;
  current: boolean;
  slow: boolean;
  empty: boolean;
  error: string | null;
  compact?: boolean;
}

export function AudienceSize({ preview, current, slow, empty, error, compact }: Props) {
  const show = !empty && preview && !slow && !error;
  // What a screen reader hears: the settled size (or why there is none), nothing else of
  // the panel (not "Counting…", not the timing, not the sample).
  const announce = error ? `Audience not counted: ${error}` : show && current ? `${formatCount(preview.size)} customers match` : null;
  return (
    <section className={`card audience ${compact ? 'audience-compact' : ''}`}>
      <p className="sr-only" role="status" aria-atomic="true" data-testid="audience-announce">
        {announce}
      </p>
      <h2 className="card-label">Audience</h2>
      <div className="audience-number">
        <span
          className={`big-number ${current ? '' : 'is-updating'}`}
          data-testid="audience-size"
          data-current={current && show ? 'true' : 'false'}
        >
          {show ? formatCount(preview.size) : '—'}
        </span>
        <span className="muted"> customers</span>
      </div>
      <p className="muted small">
        {empty
          ? 'Add a rule to see who matches.'
          : error
            ? error
            : show
              ? `Counted in ${preview.took_ms < 1 ? '<1' : Math.round(preview.took_ms)} ms`
              : 'Counting…'}
      </p>
      {show && (
        <p className="audience-sentence" data-testid="audience-sentence">
          {preview.sentence}
        </p>
      )}
      {!compact && show && preview.conditions.length > 1 && (
        <div className="conditions-wrap">
          <h3 className="card-label">Each condition alone</h3>
          <ul className="conditions">
            {preview.conditions.map((c) => (
              <li key={c.index} data-testid="condition-count" data-index={c.index}>
                <span>{c.sentence}</span>
                <span className="num mono">{c.size == null ? '—' : formatCount(c.size)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {!compact && show && preview.sample.length > 0 && (
        <div className="sample-wrap">
          <h3 className="card-label">For example</h3>
          <ul className="sample">
            {preview.sample.slice(0, 8).map((s) => (
              <li key={s.customer_id}>
                <span>{s.name || 'Unnamed'}</span>
                <span className="muted mono">{s.customer_id}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
