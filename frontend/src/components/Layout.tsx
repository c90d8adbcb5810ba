/** The frame of every signed-in page: brand, navigation, live status, the person, sign out. */
import { Suspense } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useSession } from '../auth/RequireAuth';
import { signOut } from '../auth/session';
import { ConnectionStatus, LiveOfflineBanner } from './ConnectionStatus';
import { Skeleton } from './States';

function initials(name: string): string {
  return name
    .split(/\s+/u)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? '')
    .join('');
}

export function Layout() {
  const session = useSession();
  const navigate = useNavigate();
  const user = session?.user;
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <NavLink to="/campaigns" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Beacon
          </NavLink>
          <nav aria-label="Main" className="nav">
            <NavLink to="/campaigns" end={false}>
              Campaigns
            </NavLink>
            <NavLink to="/audiences">Audiences</NavLink>
            <NavLink to="/customers">Customers</NavLink>
            <NavLink to="/imports">Import</NavLink>
            {user?.roles.includes('admin') && <NavLink to="/people">People</NavLink>}
          </nav>
          <div className="topbar-right">
            <ConnectionStatus />
            {user && (
              <span className="user" title={user.email}>
                {user.picture ? (
                  <img src={user.picture} alt="" className="avatar" referrerPolicy="no-referrer" />
                ) : (
                  <span className="avatar" aria-hidden="true">
                    {initials(user.name || user.email)}
                  </span>
                )}
                <span className="user-name">{user.name || user.email}</span>
              </span>
            )}
            <button
              type="button"
              className="btn btn-quiet btn-small"
              onClick={() => {
                void signOut().then(() => navigate('/signin'));
              }}
            >
              Sign out
            </button>
          </div>
        </div>
      </header>
      <LiveOfflineBanner />
      <main id="main" className="main">
        <Suspense fallback={<Skeleton rows={6} />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
