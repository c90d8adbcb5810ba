/**
 * /people (admins): everyone who signs in, with their role and open sessions. Change a
 * role, disable someone or end their sessions; every service refuses their older tokens
 * within seconds (issue 25). The API refuses changes to yourself and to the last admin,
 * and the page says why.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { campaigns, unwrap } from '../api/client';
import type { Person } from '../api/models';
import { useSession } from '../auth/RequireAuth';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Empty, ErrorState, Skeleton } from '../components/States';
import { formatAgo } from '../lib/format';
import { useTitle } from '../lib/title';

type Role = Person['role'];
type Change = { role?: Role; disabled?: boolean };
type Asking = { person: Person; what: 'disable' | 'end' } | null;

const ROLES: Role[] = ['viewer', 'marketer', 'admin'];

export default function People() {
  useTitle('People');
  const me = useSession()?.user;
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<Asking>(null);
  const list = useQuery({
    queryKey: ['people'],
    queryFn: ({ signal }) => unwrap(campaigns.GET('/api/v1/users', { signal })),
  });
  const updated = (person: Person) => {
    queryClient.setQueryData<{ items: Person[] }>(['people'], (old) =>
      old ? { ...old, items: old.items.map((p) => (p.sub === person.sub ? person : p)) } : old,
    );
    setAsking(null);
  };
  const change = useMutation({
    mutationFn: ({ person, body }: { person: Person; body: Change }) =>
      unwrap(campaigns.PATCH('/api/v1/users/{sub}', { params: { path: { sub: person.sub } }, body })),
    onSuccess: updated,
  });
  const end = useMutation({
    mutationFn: (person: Person) =>
      unwrap(campaigns.POST('/api/v1/users/{sub}/end-sessions', { params: { path: { sub: person.sub } } })),
    onSuccess: updated,
  });
  const failure = change.error ?? end.error;

  return (
    <div className="page">
      <div className="page-head">
        <h1>People</h1>
      </div>
      <p className="muted">
        Everyone who has signed in. Disabling someone or ending their sessions signs them out everywhere within
        seconds; a new role applies at their next request.
      </p>
      {failure && (
        <p className="banner banner-error" role="alert">
          {failure.message}
        </p>
      )}
      {list.isPending ? (
        <Skeleton rows={4} label="Loading people" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>Nobody has signed in yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="people-table">
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Sessions
                </th>
                <th scope="col">Last sign-in</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => {
                const self = p.sub === me?.sub;
                const locked = self || p.role_from_settings;
                return (
                  <tr key={p.sub} data-testid="people-row" data-sub={p.sub} data-disabled={String(p.disabled)}>
                    <td>
                      <strong>{p.name}</strong>
                      <div className="muted small">{p.email}</div>
                    </td>
                    <td>
                      <select
                        aria-label={`Role of ${p.email}`}
                        value={p.role}
                        disabled={locked || change.isPending}
                        title={
                          self
                            ? 'You cannot change your own role'
                            : p.role_from_settings
                              ? 'Admin by BEACON_AUTH_ADMIN_EMAILS: change that list instead'
                              : undefined
                        }
                        onChange={(e) => change.mutate({ person: p, body: { role: e.target.value as Role } })}
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <span className={`tag ${p.disabled ? 'tag-failed' : 'tag-completed'}`}>
                        {p.disabled ? 'Disabled' : 'Active'}
                      </span>
                    </td>
                    <td className="num">{p.open_sessions}</td>
                    <td>{formatAgo(p.last_sign_in_at)}</td>
                    <td>
                      <div className="actions">
                        {p.disabled ? (
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => change.mutate({ person: p, body: { disabled: false } })}
                          >
                            Enable <span className="sr-only">{p.email}</span>
                          </button>
                        ) : (
                          <>
                            <button
                              type="button"
                              className="btn btn-small btn-quiet"
                              disabled={p.open_sessions === 0}
                              onClick={() => setAsking({ person: p, what: 'end' })}
                            >
                              End sessions <span className="sr-only">of {p.email}</span>
                            </button>
                            <button
                              type="button"
                              className="btn btn-small btn-quiet btn-danger"
                              disabled={self}
                              onClick={() => setAsking({ person: p, what: 'disable' })}
                            >
                              Disable <span className="sr-only">{p.email}</span>
                            </button>
                          </>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={asking != null}
        title={asking?.what === 'disable' ? `Disable ${asking.person.email}?` : `End ${asking?.person.email}'s sessions?`}
        confirmLabel={asking?.what === 'disable' ? 'Disable' : 'End sessions'}
        danger
        busy={change.isPending || end.isPending}
        error={failure?.message}
        onCancel={() => setAsking(null)}
        onConfirm={() => {
          if (!asking) return;
          if (asking.what === 'disable') change.mutate({ person: asking.person, body: { disabled: true } });
          else end.mutate(asking.person);
        }}
      >
        {asking?.what === 'disable'
          ? 'They are signed out everywhere within seconds and cannot sign in until enabled again.'
          : 'They are signed out everywhere within seconds and can sign in again.'}
      </ConfirmDialog>
    </div>
  );
}
