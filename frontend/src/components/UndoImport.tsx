/**
 * Undo an import: a confirmation that says what will happen, then the import is polled
 * until it is undone and the result (restored, removed, conflicts) is shown in a live region.
 */
import { useState } from 'react';
import { useImportJob, useUndoImport } from '../api/imports';
import type { Import } from '../api/models';
import { formatCount } from '../lib/format';
import { undoScope } from '../lib/imports';
import { ConfirmDialog } from './ConfirmDialog';

export function UndoResult({ job }: { job: Import }) {
  if (!job.undo) return null;
  const u = job.undo;
  if (job.status === 'undoing') {
    return (
      <span className="small" data-testid="undo-progress">
        Undoing… {formatCount(u.removed)} removed, {formatCount(u.restored)} restored so far
      </span>
    );
  }
  return (
    <span className="small" data-testid="undo-result">
      Undone: <strong>{formatCount(u.removed)}</strong> removed, <strong>{formatCount(u.restored)}</strong> restored
      {u.conflicts > 0 ? (
        <>
          , <span className="num-pending">{formatCount(u.conflicts)} left as they were</span> (changed since by someone
          else)
        </>
      ) : (
        ', no conflicts'
      )}
    </span>
  );
}

export function UndoImport({ job: given, compact = false }: { job: Import; compact?: boolean }) {
  const [asking, setAsking] = useState(false);
  const [requested, setRequested] = useState(false);
  const undo = useUndoImport();
  // Once asked, follow this import until it is undone (the list follows it too).
  const polled = useImportJob(requested || given.status === 'undoing' ? given.import_id : null, given);
  const job = (requested || given.status === 'undoing') && polled.data ? polled.data : given;
  const { created, changed } = undoScope(job);
  const name = job.file_name || `import ${job.import_id}`;

  return (
    <div className="undo" aria-live="polite">
      {job.status === 'done' && (
        <button
          type="button"
          className={compact ? 'btn btn-small btn-danger' : 'btn btn-danger'}
          onClick={() => setAsking(true)}
          aria-label={compact ? `Undo ${name}` : undefined}
        >
          Undo{compact ? '' : ' this import'}…
        </button>
      )}
      {(job.status === 'undoing' || job.status === 'undone') && <UndoResult job={job} />}
      <ConfirmDialog
        open={asking}
        title={`Undo ${name}?`}
        confirmLabel="Undo the import"
        busyLabel="Asking…"
        danger
        busy={undo.isPending}
        error={undo.error ? undo.error.message : null}
        onCancel={() => {
          setAsking(false);
          undo.reset();
        }}
        onConfirm={() =>
          undo.mutate(job.import_id, {
            onSuccess: () => {
              setRequested(true);
              setAsking(false);
            },
          })
        }
      >
        <p data-testid="undo-question">
          Remove the {formatCount(created)} {created === 1 ? 'row' : 'rows'} it created and restore the{' '}
          {formatCount(changed)} it changed?
        </p>
        <p className="small">
          Rows someone changed after this import are left as they are and counted as conflicts. Profiles and audience
          sizes follow within moments.
        </p>
      </ConfirmDialog>
    </div>
  );
}
