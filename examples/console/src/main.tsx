// The operator console: sign in, then a dashboard, tenants (bulk starts), a tenant's start controls,
// the operations monitor and run pages, in one Mantine shell that follows the system's colour scheme.
import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import {
  Alert,
  AppShell,
  Burger,
  Button,
  Group,
  MantineProvider,
  NavLink,
  Text,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { type ReactNode, StrictMode, useCallback, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { matchRoute, type ParamsOf, type RouteName } from '../../../src/operations/routes';
import { createApiClient, type Live, SESSION_ENDED } from './client';
import { NotificationBell } from './notification-bell';
import { ConnectionPage, ConnectionsPage, NewConnectionPage } from './pages/ConnectionPages';
import { DashboardPage } from './pages/DashboardPage';
import { OnboardingPage } from './pages/OnboardingPage';
import { OperationsMonitor } from './pages/OperationsMonitor';
import { RestoreRunPage } from './pages/RestoreRunPage';
import { RunPage } from './pages/RunPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { SignIn } from './pages/SignIn';
import { TenantPage } from './pages/TenantPage';
import { FailedStepPage, TenantRunsPage } from './pages/TenantRunsPage';
import { TenantsOverview } from './pages/TenantsOverview';
import { VerificationPage } from './pages/VerificationPage';
import { navigate, usePath } from './router';
import { ToastProvider } from './start-result';
import { cssVariablesResolver, theme } from './theme';

const TOKEN_KEY = 'atlas-gate.token';
const CONNECTED: Live = { connected: true, reconnects: 0, refreshes: 0 };

const NAV: { label: string; to: string; route: RouteName[] }[] = [
  { label: 'Dashboard', to: '/dashboard', route: ['dashboard'] },
  { label: 'Tenants', to: '/', route: ['tenants'] },
  { label: 'Operations', to: '/operations', route: ['operations', 'run', 'failedStep'] },
];

function App() {
  const [token, setToken] = useState(() => localStorage.getItem(TOKEN_KEY));
  const [live, setLive] = useState<Live>(CONNECTED);
  const [notice, setNotice] = useState<string | null>(null);
  const [navOpen, nav] = useDisclosure(false);
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
  const current = matchRoute(path)?.name;
  return (
    <Provider value={client}>
      <ToastProvider>
        <AppShell
          header={{ height: 56 }}
          navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !navOpen } }}
          padding="md"
        >
          <AppShell.Header>
            <Group h="100%" px="md" justify="space-between" wrap="nowrap">
              <Group gap="xs" wrap="nowrap">
                <Burger
                  opened={navOpen}
                  onClick={nav.toggle}
                  hiddenFrom="sm"
                  size="sm"
                  aria-label="Toggle navigation"
                />
                <Text fw={700} size="lg" style={{ whiteSpace: 'nowrap' }}>
                  atlas-gate
                </Text>
              </Group>
              <Group gap="xs" wrap="nowrap">
                <NotificationBell reconnects={live.reconnects} />
                {/* On a phone these two live in the navigation menu (the burger), so the header fits. */}
                <Group gap="xs" wrap="nowrap" visibleFrom="sm">
                  <AccountControls onSignOut={() => signOut(null)} />
                </Group>
              </Group>
            </Group>
          </AppShell.Header>
          <AppShell.Navbar p="xs" component="nav" aria-label="Main">
            {NAV.map((item) => (
              <NavLink
                key={item.to}
                href={item.to}
                label={item.label}
                active={current !== undefined && item.route.includes(current)}
                onClick={(event) => {
                  if (event.metaKey || event.ctrlKey) return;
                  event.preventDefault();
                  nav.close();
                  navigate(item.to);
                }}
              />
            ))}
            <Group gap="xs" mt="md" hiddenFrom="sm">
              <AccountControls onSignOut={() => signOut(null)} />
            </Group>
          </AppShell.Navbar>
          <AppShell.Main>
            {!live.connected && (
              <Alert color="yellow" role="alert" mb="sm">
                Live updates disconnected; reconnecting…
              </Alert>
            )}
            {/* Run subscriptions resume after a reconnect (they carry the newest changeId they hold); the
                page mounts again, and its queries read again, only when one cannot resume. */}
            <div key={live.refreshes}>{route(path)}</div>
          </AppShell.Main>
        </AppShell>
      </ToastProvider>
    </Provider>
  );
}

/** The colour toggle and sign-out: in the header, or in the navigation menu on a phone. */
function AccountControls({ onSignOut }: { onSignOut: () => void }) {
  return (
    <>
      <ColorSchemeToggle />
      <Button variant="subtle" size="compact-sm" onClick={onSignOut}>
        Sign out
      </Button>
    </>
  );
}

/** Light or dark: the system's setting until the operator picks one here (kept in localStorage). */
function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light');
  const next = computed === 'dark' ? 'light' : 'dark';
  return (
    <Button variant="subtle" size="compact-sm" onClick={() => setColorScheme(next)} aria-label={`Use ${next} mode`}>
      {computed === 'dark' ? 'Light' : 'Dark'}
    </Button>
  );
}

/**
 * The console's pages, one per route of the table the API builds its links from
 * (src/operations/routes.ts): a route without a page does not compile.
 */
const PAGES: { [N in RouteName]: (params: ParamsOf<N>) => ReactNode } = {
  tenants: () => <TenantsOverview />,
  dashboard: () => <DashboardPage />,
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
    <MantineProvider theme={theme} defaultColorScheme="auto" cssVariablesResolver={cssVariablesResolver}>
      <App />
    </MantineProvider>
  </StrictMode>,
);
