import {
  CredentialState,
  OperationRunStatus,
  OperationType,
  Role,
  RestoreRunStatus,
  TenantStatus,
} from '../../generated/prisma/enums.js';
import { BLOCK_REASON_CODES } from '../../operations/block-reasons.js';
import { builder } from '../builder.js';

export const RoleEnum = builder.enumType(Role, { name: 'Role' });
export const TenantStatusEnum = builder.enumType(TenantStatus, { name: 'TenantStatus' });
export const CredentialStateEnum = builder.enumType(CredentialState, { name: 'CredentialState' });
export const RestoreRunStatusEnum = builder.enumType(RestoreRunStatus, { name: 'RestoreRunStatus' });
export const OperationTypeEnum = builder.enumType(OperationType, { name: 'OperationType' });
export const OperationRunStatusEnum = builder.enumType(OperationRunStatus, { name: 'OperationRunStatus' });
export const BlockReasonCodeEnum = builder.enumType('BlockReasonCode', { values: BLOCK_REASON_CODES });
export const StartStatusEnum = builder.enumType('StartStatus', {
  values: ['QUEUED', 'ALREADY_RUNNING', 'SCOPE_BUSY', 'BLOCKED'] as const,
});
