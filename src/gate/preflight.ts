// Preflight (docs/behaviour.md#starting-an-operation, step 4): the first reason, in contract order, that makes a
// start bound to fail. Pure: it judges what the gate resolved and touches nothing.
import type { CredentialState, RestoreRunStatus, TenantStatus } from '../generated/prisma/enums.js';
import { type BlockReasonCode, CREDENTIAL_BLOCKS } from '../operations/block-reasons.js';
import type { OperationDefinition } from '../operations/catalogue.js';

export type PreflightInput = {
  tenant: { status: TenantStatus };
  restoreRun: { status: RestoreRunStatus } | null;
  connection: { enabled: boolean; credentialState: CredentialState } | null;
  /** Whether the connection's kind of provider can run the type (ProviderRegistry.canRun). */
  connectionCanRun: boolean;
};

export function preflight(op: OperationDefinition, input: PreflightInput): BlockReasonCode | null {
  if (input.tenant.status === 'ARCHIVED') return 'TENANT_ARCHIVED';
  if (op.target === 'restoreRun' && input.restoreRun?.status !== 'READY') return 'RESTORE_RUN_NOT_READY';
  return connectionBlock(input.connection, op.requiresValidCredentials, input.connectionCanRun);
}

/** Also used by workers' pre-execute guard: a pinned connection may have changed since admission. */
export function connectionBlock(
  connection: PreflightInput['connection'],
  requiresValidCredentials: boolean,
  canRun: boolean,
): BlockReasonCode | null {
  if (!connection) return 'PROVIDER_CONNECTION_MISSING';
  if (!connection.enabled) return 'PROVIDER_CONNECTION_DISABLED';
  if (!canRun) return 'PROVIDER_OPERATION_UNSUPPORTED';
  if (requiresValidCredentials && connection.credentialState !== 'VALID')
    return CREDENTIAL_BLOCKS[connection.credentialState];
  return null;
}
