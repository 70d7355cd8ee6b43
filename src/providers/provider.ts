// The provider interface every operation handler talks to. Two kinds, chosen per connection by
// `ProviderConnection.provider` (src/providers/registry.ts): the simulator and the Microsoft Graph
// client. Both raise ProviderError with a reason code from the catalog, so failures read the same
// whichever provider ran.
import type { ProviderConnection } from '../generated/prisma/client.js';
import type { CredentialState, OperationType, Provider as ProviderName } from '../generated/prisma/enums.js';
import type { ExecutionReasonCode } from '../operations/reasons.js';
import type { BlockReasonCode } from '../operations/block-reasons.js';

/** The connection pinned on the run at admission: the only one a job may use. */
export type PinnedConnection = {
  id: string;
  /** The customer's Entra tenant id (GUID). */
  tenantExternalId: string;
  /** Opaque to everything but the connection's provider, which reads them from the row (ProviderKind.pin). */
  credentials: unknown;
};

export type DirectoryGroupRecord = { externalId: string; displayName: string; mail: string | null };
export type RoleDefinitionRecord = { externalId: string; displayName: string; isBuiltIn: boolean };
export type VerificationReport = {
  organizationId: string;
  displayName: string;
  verifiedDomains: string[];
  checks: { name: string; passed: boolean; detail?: string }[];
};
export type RestoreItem = { kind: string; name: string; payload?: Record<string, unknown> };
export type ConnectionCheckResult = { credentialState: CredentialState; detail: string };

/** Which attempt of the run this is (1-based); fault injection and logs use it. */
export type CallContext = { attempt: number; signal?: AbortSignal };

export interface Provider {
  verifyTenant(connection: PinnedConnection, call: CallContext): Promise<VerificationReport>;
  listGroups(connection: PinnedConnection, call: CallContext): Promise<DirectoryGroupRecord[]>;
  listRoleDefinitions(connection: PinnedConnection, call: CallContext): Promise<RoleDefinitionRecord[]>;
  /** Never throws for bad credentials: reporting them is its job. */
  checkConnection(connection: PinnedConnection, call: CallContext): Promise<ConnectionCheckResult>;
  applyRestoreItem(connection: PinnedConnection, item: RestoreItem, call: CallContext): Promise<'applied' | 'skipped'>;
}

/** The columns of a connection row a provider reads its credentials from. */
export type ConnectionRow = Pick<ProviderConnection, 'id' | 'provider' | 'clientId' | 'clientSecret' | 'simulation'>;

/**
 * One kind of provider (`ProviderConnection.provider`): the client that calls it, the operation
 * types it can run (preflight blocks the others with PROVIDER_OPERATION_UNSUPPORTED), and how it
 * reads a connection's credentials.
 */
export type ProviderKind = {
  name: ProviderName;
  client: Provider;
  operations: readonly OperationType[];
  pin(row: ConnectionRow, tenantExternalId: string): PinnedConnection;
};

export type ProviderErrorCode = ExecutionReasonCode | BlockReasonCode;

export class ProviderError extends Error {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    /** Transient errors (throttling, 5xx, network) are retried with backoff; others end the run. */
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
