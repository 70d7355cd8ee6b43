// What a worker runs for each operation type. A Record over OperationType: a type added to the
// Prisma enum without a handler fails `tsc` here.
import type { OperationType } from '../../generated/prisma/enums.js';
import type { OperationHandler } from '../handler.js';
import { checkProviderConnection } from './connection-check.js';
import { syncDirectoryGroups } from './directory-groups.js';
import { runOnboardingBootstrap } from './onboarding-bootstrap.js';
import { executeRestore } from './restore.js';
import { syncRoleDefinitions } from './role-definitions.js';
import { verifyTenant } from './tenant-verification.js';

export const HANDLERS: Readonly<Record<OperationType, OperationHandler>> = {
  RESTORE_EXECUTE: executeRestore,
  DIRECTORY_GROUPS_SYNC: syncDirectoryGroups,
  ROLE_DEFINITIONS_SYNC: syncRoleDefinitions,
  TENANT_VERIFICATION: verifyTenant,
  PROVIDER_CONNECTION_CHECK: checkProviderConnection,
  ONBOARDING_BOOTSTRAP: runOnboardingBootstrap,
};
