import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printSchemaSnapshot, SCHEMA_SNAPSHOT } from '../../src/graphql/snapshot.js';

describe('schema snapshot', () => {
  it('schema/schema.graphql matches the code (refresh with `npm run schema:print`)', async () => {
    const committed = await readFile(SCHEMA_SNAPSHOT, 'utf8').catch(() => '');
    expect(committed, 'schema/schema.graphql is stale: run `npm run schema:print` and commit it').toBe(
      printSchemaSnapshot(),
    );
  });

  it('has the contract names', () => {
    const sdl = printSchemaSnapshot();
    for (const name of [
      'union StartResult = StartAccepted | StartBlocked | StartDeduped | StartScopeBusy',
      'interface StartOutcome',
      'enum StartStatus',
      'startRestore(providerConnectionId: ID, restoreRunId: ID!): StartResult!',
      'startDirectorySync(kind: DirectorySyncKind! = GROUPS, providerConnectionId: ID, tenantId: ID!): StartResult!',
      'startTenantVerification(providerConnectionId: ID, tenantId: ID!): StartResult!',
      'startProviderConnectionCheck(providerConnectionId: ID!): StartResult!',
      'startOnboardingBootstrap(providerConnectionId: ID, tenantId: ID!): StartResult!',
      'operationRuns(after: String, filter: OperationRunFilter, first: Int = 20): OperationRunConnection!',
      'operationRunUpdated(after: ID, runId: ID, tenantId: ID): OperationRun!',
      'changeId: ID!',
      'myNotifications: Notification!',
      'notifications(',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
