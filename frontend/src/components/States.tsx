/** Calm loading, empty and error states, the same everywhere. */
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Skeleton({ rows = 3, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <div className="skeleton" role="status" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-line" />
      ))}
    </div>
  );
}

export function Empty({ children, action }: { children: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <p>{children}</p>
      {action}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const message =
    error instanceof ApiError || error instanceof Error ? error.message : 'Something went wrong.';
  if (error instanceof ApiError && error.status === 404) {
    // Retrying will not make it exist: offer the way back instead.
    return (
      <div className="error-state" role="alert">
        <p>{message}</p>
        <a className="btn" href="/campaigns">
          Go to campaigns
        </a>
      </div>
    );
  }
  return (
    <div className="error-state" role="alert">
      <p>{message}</p>
      {retry && (
        <button type="button" className="btn" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
