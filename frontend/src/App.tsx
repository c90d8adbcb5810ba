/** Routes (ARCHITECTURE.md, Dashboard). Every page but sign-in is its own chunk. */
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { RequireAuth, useSession } from './auth/RequireAuth';
import { Layout } from './components/Layout';
import { Skeleton } from './components/States';
import { LiveStatsProvider } from './live/LiveStats';

const SignIn = lazy(() => import('./auth/SignIn'));
const Campaigns = lazy(() => import('./pages/Campaigns'));
const NewCampaign = lazy(() => import('./pages/NewCampaign'));
const CampaignPage = lazy(() => import('./pages/CampaignPage'));
const Audiences = lazy(() => import('./pages/Audiences'));
const AudienceBuilder = lazy(() => import('./pages/AudienceBuilder'));
const Customers = lazy(() => import('./pages/Customers'));
const CustomerPage = lazy(() => import('./pages/CustomerPage'));
const Imports = lazy(() => import('./pages/Imports'));
const People = lazy(() => import('./pages/People'));
const Suppressions = lazy(() => import('./pages/Suppressions'));
const NotFound = lazy(() => import('./pages/NotFound'));

export function App() {
  const session = useSession();
  return (
    <LiveStatsProvider enabled={session != null}>
      <Suspense fallback={<Skeleton rows={6} />}>
        <Routes>
          <Route path="/signin" element={<SignIn />} />
          <Route
            element={
              <RequireAuth>
                <Layout />
              </RequireAuth>
            }
          >
            <Route path="/campaigns" element={<Campaigns />} />
            <Route path="/campaigns/new" element={<NewCampaign />} />
            <Route path="/campaigns/:id" element={<CampaignPage />} />
            <Route path="/audiences" element={<Audiences />} />
            <Route path="/audiences/new" element={<AudienceBuilder />} />
            <Route path="/audiences/:id" element={<AudienceBuilder />} />
            <Route path="/customers" element={<Customers />} />
            <Route path="/customers/:id" element={<CustomerPage />} />
            <Route path="/imports" element={<Imports />} />
            <Route path="/imports/:id" element={<Imports />} />
            <Route path="/people" element={<People />} />
            <Route path="/suppressions" element={<Suppressions />} />
            <Route path="/" element={<Navigate to="/campaigns" replace />} />
            {/* Signed out, an unknown path still leads to sign-in first (RequireAuth). */}
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </Suspense>
    </LiveStatsProvider>
  );
}
