/**
 * The live audience size: one big number (test id `audience-size`), how long the count
 * took, and a few matching customers. Shows "—" while a count is slow to come back
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
