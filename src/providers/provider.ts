// The provider interface every operation handler talks to. Two implementations: the simulated
// provider (default) and the Microsoft Graph client. Both raise ProviderError with a reason
// code from the catalog, so failures read the same whichever provider ran.
import type { CredentialState } from '../generated/prisma/enums.js';
import type { ExecutionReasonCode } from '../operations/reasons.js';
import type { BlockReasonCode } from '../operations/block-reasons.js';

/** The connection pinned on the run at admission: the only one a job may use. */
export type PinnedConnection = {
  id: string;
  /** The customer's Entra tenant id (GUID). */
  tenantExternalId: string;
  clientId: string | null;
  clientSecret: string | null;
  /** Simulated provider only: fault injection, see SimulationSettings. */
  simulation: unknown;
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
