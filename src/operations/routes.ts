// The console's routes: one table that the API's links (run links, next steps, notifications) are
// built from and that the console's router (examples/console/src/main.tsx) maps to its pages, so a
// link the API hands out always names a page that exists (test/browser/console-routes opens each).
// It imports nothing: the console bundles this very file.

export const ROUTES = {
  tenants: '/',
  dashboard: '/dashboard',
  operations: '/operations',
  run: '/operations/runs/:runId',
  failedStep: '/operations/runs/:runId/failed-step',
  tenant: '/tenants/:tenantId',
  tenantRuns: '/tenants/:tenantId/operations',
  connections: '/tenants/:tenantId/provider-connections',
  newConnection: '/tenants/:tenantId/provider-connections/new',
  connection: '/tenants/:tenantId/provider-connections/:connectionId',
  restoreRun: '/tenants/:tenantId/restore-runs/:restoreRunId',
  onboarding: '/tenants/:tenantId/onboarding',
  schedules: '/tenants/:tenantId/schedules',
  verification: '/tenants/:tenantId/verification',
} as const;

export type RouteName = keyof typeof ROUTES;

/** The parameters a route pattern names: `/tenants/:tenantId` -> { tenantId: string }. */
export type RouteParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & RouteParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, never>;

export type ParamsOf<N extends RouteName> = RouteParams<(typeof ROUTES)[N]>;

/** The path of a route with its parameters filled in (each one URI-encoded). */
export function routePath<N extends RouteName>(name: N, params: ParamsOf<N>): string {
  const values = params as Record<string, string>;
  return ROUTES[name].replace(/:([A-Za-z]+)/g, (_, key: string) => encodeURIComponent(values[key] ?? ''));
}

/** The route a path names, with its parameters; literal segments win over parameters (`.../new`). */
export function matchRoute(path: string): { name: RouteName; params: Record<string, string> } | null {
  const segments = path.replace(/\/+$/, '').split('/').slice(1);
  let best: { name: RouteName; params: Record<string, string>; literals: number } | null = null;
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const pattern = ROUTES[name].replace(/\/+$/, '').split('/').slice(1);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    const fits = pattern.every((part, i) => {
      if (part.startsWith(':')) {
        if (!segments[i]) return false;
        params[part.slice(1)] = decodeURIComponent(segments[i]);
        return true;
      }
      literals++;
      return part === segments[i];
    });
    if (fits && (!best || literals > best.literals)) best = { name, params, literals };
  }
  return best && { name: best.name, params: best.params };
}

/** The SPA route of a run. */
export const runRoute = (runId: string) => routePath('run', { runId });

/** The canonical run link: the same URL in StartResult.runUrl, OperationRun.url and notifications. */
export const runUrl = (publicAppUrl: string, runId: string) => `${publicAppUrl.replace(/\/+$/, '')}${runRoute(runId)}`;
