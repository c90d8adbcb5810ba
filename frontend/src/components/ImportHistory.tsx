/** The imports made so far, newest first: what, from where, by whom, what became of it; undo. */
import { Link } from 'react-router';
import { useImportHistory } from '../api/imports';
import type { Import } from '../api/models';
import { formatAgo, formatCount, formatDateTime } from '../lib/format';
import { SOURCE_LABEL } from '../lib/imports';
import { FILE_INPUT_ID } from './ImportFlow';
import { ImportStatusTag } from './ImportReport';
import { Empty, ErrorState, Skeleton } from './States';
import { UndoImport } from './UndoImport';

function Row({ job }: { job: Import }) {
  const c = job.counts;
  const moving = job.status === 'open' || job.status === 'sealed';
  return (
    <tr data-testid="import-row" data-import-id={job.import_id} data-status={job.status}>
      <td data-label="File" className="cell-title">
        <Link to={`/imports/${job.import_id}`} className="cell-file">
          {job.file_name || `Import ${job.import_id}`}
        </Link>
        <span className="muted small">
          {job.kind === 'orders' ? 'Orders' : 'Customers'} · {SOURCE_LABEL[job.source] ?? job.source}
        </span>
      </td>
      <td data-label="When" className="nowrap">
        <time dateTime={job.created_at} title={formatDateTime(job.created_at)}>
          {formatAgo(job.created_at)}
        </time>
      </td>
      <td data-label="By" className="cell-wrap">
        {job.created_by ?? '—'}
      </td>
      <td data-label="Status">
        <ImportStatusTag job={job} />
        {moving && job.sent != null && (
          <span className="block small muted">
            {formatCount(job.processed)} of {formatCount(job.sent)}
          </span>
        )}
      </td>
      <td data-label="Sent" className="num">
        {formatCount(job.sent)}
      </td>
      <td data-label="New" className="num">
        {formatCount(c.new)}
      </td>
      <td data-label="Updated" className="num">
        {formatCount(c.updated + c.merged)}
      </td>
      <td data-label="Refused" className={job.bad ? 'num num-failed' : 'num'}>
        {formatCount(job.bad)}
      </td>
      <td data-label="" className="cell-actions">
        <UndoImport job={job} compact />
      </td>
    </tr>
  );
}

export function ImportHistory() {
  const list = useImportHistory();
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="stack-tight" aria-labelledby="history-title">
      <h2 id="history-title" className="h-section">
        Imports so far
      </h2>
      {list.isPending ? (
        <Skeleton rows={4} label="Loading imports" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty
          action={
            <button type="button" className="btn" onClick={() => document.getElementById(FILE_INPUT_ID)?.click()}>
              Choose a file…
            </button>
          }
        >
          No imports yet. Nothing is sent until you have seen how Beacon reads your file.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table imports">
            <caption className="sr-only">Imports, newest first</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">When</th>
                <th scope="col">By</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Sent
                </th>
                <th scope="col" className="num">
                  New
                </th>
                <th scope="col" className="num">
                  Updated
                </th>
                <th scope="col" className="num">
                  Refused
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((job) => (
                <Row key={job.import_id} job={job} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Older imports'}
        </button>
      )}
    </section>
  );
}
