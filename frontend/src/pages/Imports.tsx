/**
 * /imports: load customers or orders from a shop's export (Shopify, WooCommerce, any CSV),
 * seeing how Beacon reads the file before anything is sent; below, the imports so far,
 * each of which can be undone. /imports/:id: one import, followed live, with its undo.
 */
import { Link, useParams } from 'react-router';
import { useImportJob } from '../api/imports';
import { ImportFlow } from '../components/ImportFlow';
import { ImportHistory } from '../components/ImportHistory';
import { ImportCounts, ImportProgress, ImportStatusTag } from '../components/ImportReport';
import { ErrorState, Skeleton } from '../components/States';
import { UndoImport } from '../components/UndoImport';
import { formatDateTime } from '../lib/format';
import { SOURCE_LABEL } from '../lib/imports';
import { useTitle } from '../lib/title';

export default function Imports() {
  useTitle('Import');
  const { id } = useParams();
  if (id) return <OneImport id={id} />;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Import</h1>
          <p className="muted">
            Customers and orders from Shopify, WooCommerce or any CSV. You see how Beacon reads the file before anything
            is sent, and an import can be undone.
          </p>
        </div>
      </div>
      <ImportFlow />
      <ImportHistory />
    </div>
  );
}

function OneImport({ id }: { id: string }) {
  const query = useImportJob(id);
  const job = query.data;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/imports">Imports</Link> /
          </p>
          <h1>{job?.file_name || `Import ${id}`}</h1>
        </div>
      </div>
      {query.isPending ? (
        <Skeleton rows={5} label="Loading the import" />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => void query.refetch()} />
      ) : job ? (
        <section className="card stack" aria-live="polite">
          <p className="small">
            <ImportStatusTag job={job} /> {job.kind === 'orders' ? 'Orders' : 'Customers'} from{' '}
            {SOURCE_LABEL[job.source] ?? job.source} · {formatDateTime(job.created_at)}
            {job.created_by ? ` · by ${job.created_by}` : ''}
          </p>
          {job.status === 'open' || job.status === 'sealed' ? <ImportProgress job={job} /> : <ImportCounts job={job} />}
          <UndoImport job={job} />
        </section>
      ) : null}
    </div>
  );
}
