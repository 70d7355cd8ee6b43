import type { CredentialState } from '../generated/prisma/enums.js';

/** The contract's BlockReasonCode enum, in preflight order. */
export const BLOCK_REASON_CODES = [
  'TENANT_ARCHIVED',
  'RESTORE_RUN_NOT_READY',
  'PROVIDER_CONNECTION_MISSING',
  'PROVIDER_CONNECTION_DISABLED',
  'PROVIDER_OPERATION_UNSUPPORTED',
  'PROVIDER_CREDENTIALS_EXPIRED',
  'PROVIDER_CREDENTIALS_MISSING',
  'PROVIDER_CONSENT_REQUIRED',
] as const;
export type BlockReasonCode = (typeof BLOCK_REASON_CODES)[number];

/** A connection whose credentials are not VALID blocks a start, and fails a connection check, with this code. */
export const CREDENTIAL_BLOCKS: Readonly<Record<Exclude<CredentialState, 'VALID'>, BlockReasonCode>> = {
  EXPIRED: 'PROVIDER_CREDENTIALS_EXPIRED',
  MISSING: 'PROVIDER_CREDENTIALS_MISSING',
  CONSENT_REQUIRED: 'PROVIDER_CONSENT_REQUIRED',
};
