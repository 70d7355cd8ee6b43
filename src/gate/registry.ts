// The OperationRegistry: one entry per provider-backed operation type (CONTRACT.md section 2).
// Adding a type means adding an entry here and one job handler; the gate, the presenter, the
// GraphQL mutations' capability checks and the guard tests all read from this table.
import type { OperationType, Role, ScopeClass } from '../generated/prisma/enums.js';
import type { OperationHandler } from '../jobs/handler.js';
import { checkProviderConnection } from '../jobs/handlers/connection-check.js';
import { syncDirectoryGroups } from '../jobs/handlers/directory-groups.js';
import { runOnboardingBootstrap } from '../jobs/handlers/onboarding-bootstrap.js';
import { executeRestore } from '../jobs/handlers/restore.js';
import { syncRoleDefinitions } from '../jobs/handlers/role-definitions.js';
import { verifyTenant } from '../jobs/handlers/tenant-verification.js';

/** What a start names: the object whose existence and workspace decide NOT_FOUND. */
export type TargetKind = 'tenant' | 'restoreRun' | 'providerConnection';

/** The resolved target a dedupe key is computed from. */
export type DedupeInput = { tenantId: string; connectionId: string | null; restoreRunId: string | null };

export type OperationDefinition = {
  type: OperationType;
  /** Operator-facing name, used in every start message and notification. */
  label: string;
  /** Verb phrase for FORBIDDEN messages: "Your role does not allow you to <verb>". */
  verb: string;
  roles: readonly Role[];
  target: TargetKind;
  scope: ScopeClass;
  /** Whether preflight blocks on credential state (a connection check must not: it re-checks them). */
  requiresValidCredentials: boolean;
  dedupeKey: (t: DedupeInput) => string;
  /** Ordered child steps, for operations that run others under their own scope. */
  steps?: readonly OperationType[];
  /** What the worker runs for an admitted run of this type. */
  handler: OperationHandler;
};

const ALL_WRITERS = ['OWNER', 'MANAGER', 'OPERATOR'] as const;
const MANAGERS = ['OWNER', 'MANAGER'] as const;

const byConnection = (type: string) => (t: DedupeInput) => `${type}:${t.tenantId}:${t.connectionId ?? 'none'}`;

export const OPERATIONS: Readonly<Record<OperationType, OperationDefinition>> = {
  RESTORE_EXECUTE: {
    type: 'RESTORE_EXECUTE',
    label: 'Restore',
    verb: 'execute restores',
    roles: MANAGERS,
    target: 'restoreRun',
    scope: 'EXCLUSIVE',
    requiresValidCredentials: true,
    dedupeKey: (t) => `RESTORE_EXECUTE:${t.restoreRunId}`,
    handler: executeRestore,
  },
  DIRECTORY_GROUPS_SYNC: {
    type: 'DIRECTORY_GROUPS_SYNC',
    label: 'Group sync',
    verb: 'sync directory groups',
    roles: ALL_WRITERS,
    target: 'tenant',
    scope: 'SHARED',
    requiresValidCredentials: true,
    dedupeKey: byConnection('DIRECTORY_GROUPS_SYNC'),
    handler: syncDirectoryGroups,
  },
  ROLE_DEFINITIONS_SYNC: {
    type: 'ROLE_DEFINITIONS_SYNC',
    label: 'Role definitions sync',
    verb: 'sync role definitions',
    roles: ALL_WRITERS,
    target: 'tenant',
    scope: 'SHARED',
    requiresValidCredentials: true,
    dedupeKey: byConnection('ROLE_DEFINITIONS_SYNC'),
    handler: syncRoleDefinitions,
  },
  TENANT_VERIFICATION: {
    type: 'TENANT_VERIFICATION',
    label: 'Tenant verification',
    verb: 'verify tenants',
    roles: ALL_WRITERS,
    target: 'tenant',
    scope: 'SHARED',
    requiresValidCredentials: true,
    dedupeKey: byConnection('TENANT_VERIFICATION'),
    handler: verifyTenant,
  },
  PROVIDER_CONNECTION_CHECK: {
    type: 'PROVIDER_CONNECTION_CHECK',
    label: 'Connection check',
    verb: 'check provider connections',
    roles: ALL_WRITERS,
    target: 'providerConnection',
    scope: 'SHARED',
    requiresValidCredentials: false,
    dedupeKey: (t) => `PROVIDER_CONNECTION_CHECK:${t.connectionId}`,
    handler: checkProviderConnection,
  },
  ONBOARDING_BOOTSTRAP: {
    type: 'ONBOARDING_BOOTSTRAP',
    label: 'Onboarding bootstrap',
    verb: 'bootstrap onboarding tenants',
    roles: MANAGERS,
    target: 'tenant',
    scope: 'EXCLUSIVE',
    requiresValidCredentials: true,
    dedupeKey: (t) => `ONBOARDING_BOOTSTRAP:${t.tenantId}`,
    steps: ['TENANT_VERIFICATION', 'DIRECTORY_GROUPS_SYNC', 'ROLE_DEFINITIONS_SYNC'],
    handler: runOnboardingBootstrap,
  },
};

export function operation(type: OperationType): OperationDefinition {
  return OPERATIONS[type];
}

/** Child steps are never dedupe targets for outside starts: their keys live in their own namespace. */
export const stepDedupeKey = (parentId: string, step: number) => `step:${parentId}:${step}`;

