// The operator console: sign in, then tenants, a tenant's start buttons, the operations monitor and run pages.
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { createApiClient, type Live } from './client';
import { OperationsMonitor } from './pages/OperationsMonitor';
import { RunPage } from './pages/RunPage';
import { SignIn } from './pages/SignIn';
import { TenantPage } from './pages/TenantPage';
import { TenantsOverview } from './pages/TenantsOverview';
import { Link, usePath } from './router';
import { ToastProvider } from './start-result';

const TOKEN_KEY = 'atlas-gate.token';

function App() {
  const [token, setToken] = useState(() => localStorage.getItem(TOKEN_KEY));
  const [live, setLive] = useState<Live>({ connected: true, reconnects: 0 });
  const client = useMemo(() => (token ? createApiClient(token, setLive) : null), [token]);
  const path = usePath();
  if (!client) {
    return (
      <SignIn
        onToken={(value) => {
          localStorage.setItem(TOKEN_KEY, value);
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
          <button
            type="button"
            onClick={() => {
              localStorage.removeItem(TOKEN_KEY);
              setToken(null);
            }}
          >
            Sign out
          </button>
        </nav>
        {!live.connected && <p role="alert">Live updates disconnected; reconnecting…</p>}
        {/* After a reconnect the page mounts again, so it refetches what it missed. */}
        <main key={live.reconnects}>{route(path)}</main>
      </ToastProvider>
    </Provider>
  );
}

function route(path: string) {
  const run = path.match(/^\/operations\/runs\/([^/]+)$/);
  if (run) return <RunPage id={run[1]} />;
  if (path === '/operations') return <OperationsMonitor />;
  const tenant = path.match(/^\/tenants\/([^/]+)$/);
  if (tenant) return <TenantPage id={tenant[1]} />;
  if (path === '/') return <TenantsOverview />;
  return <p>Page not found. This console does not have this page yet.</p>;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
