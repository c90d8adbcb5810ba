/** Signed out, any page leads to /signin, which brings the person back here afterwards. */
import { useSyncExternalStore, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { getSession, subscribe } from './session';

export function useSession() {
  return useSyncExternalStore(subscribe, getSession, getSession);
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}
