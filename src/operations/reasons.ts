// The reason catalog: every code a run can carry (block reasons and execution failures),
// translated into operator-facing text with next steps. Monitoring, the start presenter and
// notifications all read reasons from here, so a reason reads the same on every surface.
import type { BlockReasonCode } from './block-reasons.js';
import { routePath } from './routes.js';

export type NextStep = { label: string; action: string; url: string | null };
export type Reason = { code: string; message: string; nextSteps: NextStep[] };

/** Where the reason happened: enough to build the SPA routes of its next steps. */
export type ReasonScope = {
  tenantId: string;
  connectionId?: string | null;
  restoreRunId?: string | null;
  /** The run the reason is on (a bootstrap's "Open the failed step" opens its failed step). */
  runId?: string | null;
  step?: string;
  actor?: string;
};

export type ExecutionReasonCode =
  | 'PROVIDER_THROTTLED'
  | 'PROVIDER_AUTH_FAILED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_PERMISSION_DENIED'
  | 'PROVIDER_ERROR'
  | 'RESTORE_ITEMS_FAILED'
  | 'RESTORE_ITEMS_PARTIALLY_FAILED'
  | 'VERIFICATION_CHECKS_FAILED'
  | 'BOOTSTRAP_STEP_FAILED'
  | 'CANCELLED_AFTER_FAILED_STEP'
  | 'CANCELLED_BY_USER'
  | 'WORKER_LOST'
  | 'DISPATCH_FAILED'
  | 'DATABASE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export type ReasonCode = BlockReasonCode | ExecutionReasonCode;

const tenantRoute = (s: ReasonScope) => routePath('tenant', { tenantId: s.tenantId });
const connectionsRoute = (s: ReasonScope) => routePath('connections', { tenantId: s.tenantId });
const connectionRoute = (s: ReasonScope) =>
  s.connectionId
    ? routePath('connection', { tenantId: s.tenantId, connectionId: s.connectionId })
    : connectionsRoute(s);
const restoreRunRoute = (s: ReasonScope) =>
  s.restoreRunId ? routePath('restoreRun', { tenantId: s.tenantId, restoreRunId: s.restoreRunId }) : tenantRoute(s);
/** Where the run can be started again: its restore run's page, else the tenant's runs with its start buttons. */
const startAgainRoute = (s: ReasonScope) =>
  s.restoreRunId ? restoreRunRoute(s) : routePath('tenantRuns', { tenantId: s.tenantId });

const openConnection = (s: ReasonScope): NextStep => ({
  label: 'Open provider connection',
  action: 'OPEN_PROVIDER_CONNECTION',
  url: connectionRoute(s),
});
const openRestoreRun = (s: ReasonScope): NextStep => ({
  label: 'Open restore run',
  action: 'OPEN_RESTORE_RUN',
  url: restoreRunRoute(s),
});
const checkConnection = (s: ReasonScope): NextStep => ({
  label: 'Run a connection check',
  action: 'START_CONNECTION_CHECK',
  url: connectionRoute(s),
});
/** setDefaultProviderConnection: every later start without an explicit connection pins the new default. */
const chooseDefault = (s: ReasonScope): NextStep => ({
  label: 'Choose the default connection',
  action: 'CHOOSE_DEFAULT_CONNECTION',
  url: connectionsRoute(s),
});
/** A start pinned to another connection: the tenant page opens its connection picker (`?connection=choose`). */
const chooseConnection = (s: ReasonScope): NextStep => ({
  label: 'Choose another connection',
  action: 'CHOOSE_PROVIDER_CONNECTION',
  url: `${tenantRoute(s)}?connection=choose`,
});
const retry = (s: ReasonScope): NextStep => ({ label: 'Try again later', action: 'RETRY', url: tenantRoute(s) });

const CATALOG: Record<ReasonCode, { message: (s: ReasonScope) => string; nextSteps: (s: ReasonScope) => NextStep[] }> =
  {
    PROVIDER_CONNECTION_MISSING: {
      message: () => 'the tenant has no provider connection',
      nextSteps: (s) => [
        {
          label: 'Add a provider connection',
          action: 'ADD_PROVIDER_CONNECTION',
          url: routePath('newConnection', { tenantId: s.tenantId }),
        },
        // "No connection" also means "no default" on a tenant that has connections.
        chooseDefault(s),
      ],
    },
    PROVIDER_CONNECTION_DISABLED: {
      message: () => 'the provider connection is disabled',
      nextSteps: (s) => [
        // setProviderConnectionEnabled(enabled: true)
        { label: 'Enable the connection', action: 'ENABLE_PROVIDER_CONNECTION', url: connectionRoute(s) },
        chooseConnection(s),
        chooseDefault(s),
      ],
    },
    PROVIDER_OPERATION_UNSUPPORTED: {
      message: () => "the provider connection's provider cannot run this operation",
      nextSteps: (s) => [chooseConnection(s), openConnection(s)],
    },
    PROVIDER_CREDENTIALS_EXPIRED: {
      message: () => "the provider connection's credentials have expired",
      nextSteps: (s) => [
        { label: 'Renew credentials', action: 'RENEW_CREDENTIALS', url: connectionRoute(s) },
        checkConnection(s),
      ],
    },
    PROVIDER_CREDENTIALS_MISSING: {
      message: () => 'the provider connection has no credentials',
      nextSteps: (s) => [{ label: 'Add credentials', action: 'ADD_CREDENTIALS', url: connectionRoute(s) }],
    },
    PROVIDER_CONSENT_REQUIRED: {
      message: () => 'admin consent has not been granted for the provider connection',
      nextSteps: (s) => [
        { label: 'Grant admin consent', action: 'GRANT_ADMIN_CONSENT', url: connectionRoute(s) },
        checkConnection(s),
      ],
    },
    TENANT_ARCHIVED: {
      message: () => 'the tenant is archived',
      nextSteps: (s) => [{ label: 'Open tenant', action: 'OPEN_TENANT', url: tenantRoute(s) }],
    },
    RESTORE_RUN_NOT_READY: {
      message: () => 'the restore run is not ready to execute',
      nextSteps: (s) => [openRestoreRun(s)],
    },
    PROVIDER_THROTTLED: {
      message: () => 'the provider kept throttling requests (HTTP 429) after several retries',
      nextSteps: (s) => [retry(s)],
    },
    PROVIDER_AUTH_FAILED: {
      message: () => "the provider rejected the connection's credentials",
      nextSteps: (s) => [
        { label: 'Renew credentials', action: 'RENEW_CREDENTIALS', url: connectionRoute(s) },
        checkConnection(s),
      ],
    },
    PROVIDER_PERMISSION_DENIED: {
      message: () => 'the connection lacks a permission this operation needs',
      nextSteps: (s) => [{ label: 'Grant admin consent', action: 'GRANT_ADMIN_CONSENT', url: connectionRoute(s) }],
    },
    PROVIDER_UNAVAILABLE: {
      message: () => 'the provider was unavailable after several retries',
      nextSteps: (s) => [retry(s)],
    },
    PROVIDER_ERROR: {
      message: () => 'the provider returned an unexpected error',
      nextSteps: (s) => [retry(s), openConnection(s)],
    },
    RESTORE_ITEMS_FAILED: {
      message: () => 'every restore item failed to apply',
      nextSteps: (s) => [openRestoreRun(s)],
    },
    RESTORE_ITEMS_PARTIALLY_FAILED: {
      message: () => 'some restore items failed to apply',
      nextSteps: (s) => [openRestoreRun(s)],
    },
    VERIFICATION_CHECKS_FAILED: {
      message: () => 'the tenant did not pass every verification check',
      nextSteps: (s) => [
        {
          label: 'Open verification report',
          action: 'OPEN_TENANT_VERIFICATION',
          url: routePath('verification', { tenantId: s.tenantId }),
        },
      ],
    },
    BOOTSTRAP_STEP_FAILED: {
      message: (s) => `the ${s.step ?? 'bootstrap'} step failed`,
      nextSteps: (s) => [
        {
          label: 'Open the failed step',
          action: 'OPEN_OPERATION_RUN',
          url: s.runId
            ? routePath('failedStep', { runId: s.runId })
            : routePath('tenantRuns', { tenantId: s.tenantId }),
        },
        retry(s),
      ],
    },
    CANCELLED_AFTER_FAILED_STEP: {
      message: (s) => `not run because the ${s.step ?? 'previous'} step failed`,
      nextSteps: (s) => [{ label: 'Open tenant', action: 'OPEN_TENANT', url: tenantRoute(s) }],
    },
    CANCELLED_BY_USER: {
      message: (s) => `cancelled by ${s.actor ?? 'a member of the workspace'}`,
      nextSteps: (s) => [{ label: 'Start it again', action: 'RETRY', url: startAgainRoute(s) }],
    },
    WORKER_LOST: {
      message: () => 'the worker executing the run stopped before it finished',
      nextSteps: (s) => [retry(s)],
    },
    DISPATCH_FAILED: {
      message: () => 'the run could not be queued because the job queue was unreachable',
      nextSteps: (s) => [retry(s)],
    },
    DATABASE_UNAVAILABLE: {
      message: () => 'the database was unreachable while the run was executing',
      nextSteps: (s) => [retry(s)],
    },
    INTERNAL_ERROR: {
      message: () => 'an unexpected error stopped the run',
      nextSteps: (s) => [retry(s)],
    },
  };

/** Every code a run can carry, in catalog order. */
export const REASON_CODES = Object.keys(CATALOG) as ReasonCode[];

export function isReasonCode(code: string): code is ReasonCode {
  return code in CATALOG;
}

/** The translated reason for a code. The message is a lower-case clause so it composes into sentences. */
export function translateReason(code: ReasonCode, scope: ReasonScope): Reason {
  const entry = CATALOG[code];
  return { code, message: entry.message(scope), nextSteps: entry.nextSteps(scope) };
}

export const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
