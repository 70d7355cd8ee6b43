// The operator console: sign in, then tenants, a tenant's start buttons, the operations monitor and run pages.
import { type ReactNode, StrictMode, useCallback, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { createApiClient, type Live, SESSION_ENDED } from './client';
import { ConnectionPage, ConnectionsPage, NewConnectionPage } from './pages/ConnectionPages';
import { OnboardingPage } from './pages/OnboardingPage';
import { OperationsMonitor } from './pages/OperationsMonitor';
import { RestoreRunPage } from './pages/RestoreRunPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { RunPage } from './pages/RunPage';
import { SignIn } from './pages/SignIn';
import { TenantPage } from './pages/TenantPage';
import { TenantsOverview } from './pages/TenantsOverview';
import { NotificationBell } from './notification-bell';
import { Link, usePath } from './router';
import { ToastProvider } from './start-result';

const TOKEN_KEY = 'atlas-gate.token';
const CONNECTED: Live = { connected: true, reconnects: 0 };

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
        {/* After a reconnect the page mounts again, so its queries (cache-and-network) refetch what it missed. */}
        <main key={live.reconnects}>{route(path)}</main>
      </ToastProvider>
    </Provider>
  );
}

/** The console's pages; next steps and run links from the API point at these paths (src/operations/reasons.ts). */
const ROUTES: [RegExp, (...ids: string[]) => ReactNode][] = [
  [/^\/$/, () => <TenantsOverview />],
  [/^\/operations$/, () => <OperationsMonitor />],
  [/^\/operations\/runs\/([^/]+)$/, (id) => <RunPage id={id} />],
  [/^\/tenants\/([^/]+)$/, (id) => <TenantPage id={id} />],
  [/^\/tenants\/([^/]+)\/provider-connections$/, (id) => <ConnectionsPage tenantId={id} />],
  [/^\/tenants\/([^/]+)\/provider-connections\/new$/, (id) => <NewConnectionPage tenantId={id} />],
  [/^\/tenants\/([^/]+)\/provider-connections\/([^/]+)$/, (id, cid) => <ConnectionPage tenantId={id} id={cid} />],
  [/^\/tenants\/([^/]+)\/restore-runs\/([^/]+)$/, (id, rid) => <RestoreRunPage tenantId={id} id={rid} />],
  [/^\/tenants\/([^/]+)\/onboarding$/, (id) => <OnboardingPage tenantId={id} />],
  [/^\/tenants\/([^/]+)\/schedules$/, (id) => <SchedulesPage tenantId={id} />],
];

function route(path: string) {
  for (const [pattern, page] of ROUTES) {
    const match = path.match(pattern);
    if (match) return page(...match.slice(1).map(decodeURIComponent));
  }
  return <p>Page not found.</p>;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
