// The operations catalogue: one entry per provider-backed operation type (docs/behaviour.md#operations-catalogue).
// The gate, the presenter, monitoring, notifications, the GraphQL start mutations and the guard
// tests all read from this table. It imports nothing from the rest of the product (a checked
// rule, see .dependency-cruiser.cjs), so every layer can depend on it without cycles. What a
// worker runs for each type is the jobs layer's own table (src/jobs/handlers/index.ts).
import type { OperationType, Role, ScopeClass } from '../generated/prisma/enums.js';

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
  /**
   * The named GraphQL mutation that starts it (generated from this table, src/graphql/schema/starts.ts).
   * Types that share a mutation are told apart by its `kind` argument: the enum's name, this type's
   * value, and whether that value is the argument's default. Every type is also started by
   * `startOperation(type:, targetId:)`.
   */
  mutation: { field: string; kind?: { enum: string; value: string; isDefault?: boolean } };
  /** Whether a schedule may start it (docs/behaviour.md#schedules). */
  schedulable: boolean;
  /** Who may cancel a run of this type: any run of their workspace, or only runs they initiated. */
  cancel: { anyRun: readonly Role[]; ownRun: readonly Role[] };
};

const ALL_WRITERS = ['OWNER', 'MANAGER', 'OPERATOR'] as const;
const MANAGERS = ['OWNER', 'MANAGER'] as const;

const CANCEL = { anyRun: MANAGERS, ownRun: ALL_WRITERS } as const;

/** Who may create, update and delete schedules (every member reads them). */
export const SCHEDULE_MANAGERS: readonly Role[] = MANAGERS;

/** Who may enable or disable a provider connection and choose a tenant's default (docs/behaviour.md#previews-and-provider-connections). */
export const CONNECTION_MANAGERS: readonly Role[] = MANAGERS;

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
    mutation: { field: 'startRestore' },
    schedulable: false,
    cancel: CANCEL,
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
    mutation: { field: 'startDirectorySync', kind: { enum: 'DirectorySyncKind', value: 'GROUPS', isDefault: true } },
    schedulable: true,
    cancel: CANCEL,
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
    mutation: { field: 'startDirectorySync', kind: { enum: 'DirectorySyncKind', value: 'ROLE_DEFINITIONS' } },
    schedulable: true,
    cancel: CANCEL,
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
    mutation: { field: 'startTenantVerification' },
    schedulable: true,
    cancel: CANCEL,
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
    mutation: { field: 'startProviderConnectionCheck' },
    schedulable: true,
    cancel: CANCEL,
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
    mutation: { field: 'startOnboardingBootstrap' },
    schedulable: false,
    cancel: CANCEL,
  },
};

export function operation(type: OperationType): OperationDefinition {
  return OPERATIONS[type];
}

/** The argument of a start that names its target. */
export const TARGET_ARGUMENT: Readonly<Record<TargetKind, 'tenantId' | 'restoreRunId' | 'providerConnectionId'>> = {
  tenant: 'tenantId',
  restoreRun: 'restoreRunId',
  providerConnection: 'providerConnectionId',
};

/** Whether a start must name a provider connection (its target is one); the others may pin one. */
export const needsConnection = (op: OperationDefinition) => op.target === 'providerConnection';

/** The generic start mutation: any type, by its target's id. */
export const GENERIC_START_FIELD = 'startOperation';

/** The bulk start: one type on up to BULK_START_MAX targets, one StartResult each, each start counted. */
export const BULK_START_FIELD = 'startOperations';
export const BULK_START_MAX = 100;

/** A named start mutation as the catalogue describes it: its target and, where shared, its kinds. */
export type StartMutation = {
  field: string;
  target: TargetKind;
  /** The type it starts (the first, where a `kind` argument selects among several). */
  type: OperationType;
  kind: { enum: string; values: { value: string; type: OperationType }[]; defaultValue?: string } | null;
};

/** The named start mutations, in catalogue order, each with the types it starts. */
export const START_MUTATIONS: readonly StartMutation[] = (() => {
  const byField = new Map<string, StartMutation>();
  for (const op of Object.values(OPERATIONS)) {
    const { field, kind } = op.mutation;
    const known = byField.get(field);
    if (known && known.target !== op.target) throw new Error(`${field} starts types of different targets`);
    const mutation: StartMutation = known ?? { field, target: op.target, type: op.type, kind: null };
    if (kind) {
      mutation.kind ??= { enum: kind.enum, values: [] };
      mutation.kind.values.push({ value: kind.value, type: op.type });
      if (kind.isDefault) mutation.kind.defaultValue = kind.value;
    }
    byField.set(field, mutation);
  }
  return [...byField.values()];
})();

/** Every GraphQL mutation field that starts an operation. */
export const START_MUTATION_FIELDS: ReadonlySet<string> = new Set([
  ...START_MUTATIONS.map((m) => m.field),
  GENERIC_START_FIELD,
  BULK_START_FIELD,
]);

/** The operation types whose start names a target of this kind, in catalogue order. */
export const typesTargeting = (kind: TargetKind): OperationType[] =>
  Object.values(OPERATIONS)
    .filter((o) => o.target === kind)
    .map((o) => o.type);

/**
 * Who may cancel a run: a role that may cancel any run of the type in the run's workspace, or one
 * that may cancel its own and initiated it. `role` is the viewer's role in the run's workspace.
 */
export function mayCancel(
  type: OperationType,
  role: Role | undefined,
  viewerId: string,
  initiatorId: string | null,
): boolean {
  const may = OPERATIONS[type].cancel;
  return role !== undefined && (may.anyRun.includes(role) || (may.ownRun.includes(role) && initiatorId === viewerId));
}

/** Child steps are never dedupe targets for outside starts: their keys live in their own namespace. */
export const stepDedupeKey = (parentId: string, step: number) => `step:${parentId}:${step}`;
