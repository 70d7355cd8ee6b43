// The operator console: sign in, then tenants, a tenant's start buttons, the operations monitor and run pages.
import { type ReactNode, StrictMode, useCallback, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { createApiClient, type Live, SESSION_ENDED } from './client';
import { ConnectionPage, ConnectionsPage, NewConnectionPage } from './pages/ConnectionPages';
import { OnboardingPage } from './pages/OnboardingPage';
import { OperationsMonitor } from './pages/OperationsMonitor';
import { FailedStepPage, TenantRunsPage } from './pages/TenantRunsPage';
import { VerificationPage } from './pages/VerificationPage';
import { RestoreRunPage } from './pages/RestoreRunPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { RunPage } from './pages/RunPage';
import { SignIn } from './pages/SignIn';
import { TenantPage } from './pages/TenantPage';
import { TenantsOverview } from './pages/TenantsOverview';
import { NotificationBell } from './notification-bell';
import { matchRoute, type ParamsOf, type RouteName } from '../../../src/operations/routes';
import { Link, usePath } from './router';
import { ToastProvider } from './start-result';

const TOKEN_KEY = 'atlas-gate.token';
const CONNECTED: Live = { connected: true, reconnects: 0, refreshes: 0 };

function App() {
  const [token, setToken] = useState(() => localStorage.getItem(TOKEN_KEY));
  const [live, setLive] = useState<Live>(CONNECTED);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useCallback((why: string | null) => {
    localStorage.removeItem(TOKEN_KEY);
    setToken(null);
    setNotice(why);
  }, []);
  const client = useMemo(
    () => (token ? createApiClient(token, setLive, () => signOut(SESSION_ENDED)) : null),
    [token, signOut],
  );
  const path = usePath();
  if (!client) {
    return (
      <SignIn
        notice={notice}
        onToken={(value) => {
          localStorage.setItem(TOKEN_KEY, value);
          // A new client counts its reconnects from zero.
          setLive(CONNECTED);
          setNotice(null);
          setToken(value);
        }}
      />
    );
  }
  return (
    <Provider value={client}>
      <ToastProvider>
        <nav aria-label="Main">
          <Link to="/">Tenants</Link> · <Link to="/operations">Operations</Link> ·{' '}
          <NotificationBell reconnects={live.reconnects} /> ·{' '}
          <button type="button" onClick={() => signOut(null)}>
            Sign out
          </button>
        </nav>
        {!live.connected && <p role="alert">Live updates disconnected; reconnecting…</p>}
        {/* Run subscriptions resume after a reconnect (they carry the newest changeId they hold); the
            page mounts again, and its queries read again, only when one cannot resume. */}
        <main key={live.refreshes}>{route(path)}</main>
      </ToastProvider>
    </Provider>
  );
}

/**
 * The console's pages, one per route of the table the API builds its links from
 * (src/operations/routes.ts): a route without a page does not compile.
 */
const PAGES: { [N in RouteName]: (params: ParamsOf<N>) => ReactNode } = {
  tenants: () => <TenantsOverview />,
  operations: () => <OperationsMonitor />,
  run: ({ runId }) => <RunPage id={runId} />,
  failedStep: ({ runId }) => <FailedStepPage runId={runId} />,
  tenant: ({ tenantId }) => <TenantPage id={tenantId} />,
  tenantRuns: ({ tenantId }) => <TenantRunsPage tenantId={tenantId} />,
  connections: ({ tenantId }) => <ConnectionsPage tenantId={tenantId} />,
  newConnection: ({ tenantId }) => <NewConnectionPage tenantId={tenantId} />,
  connection: ({ tenantId, connectionId }) => <ConnectionPage tenantId={tenantId} id={connectionId} />,
  restoreRun: ({ tenantId, restoreRunId }) => <RestoreRunPage tenantId={tenantId} id={restoreRunId} />,
  onboarding: ({ tenantId }) => <OnboardingPage tenantId={tenantId} />,
  schedules: ({ tenantId }) => <SchedulesPage tenantId={tenantId} />,
  verification: ({ tenantId }) => <VerificationPage tenantId={tenantId} />,
};

function route(path: string) {
  const found = matchRoute(path);
  if (!found) return <p>Page not found.</p>;
  const page = PAGES[found.name] as (params: Record<string, string>) => ReactNode;
  return page(found.params);
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
