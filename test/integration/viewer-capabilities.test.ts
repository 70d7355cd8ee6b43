// What a tenant tells the caller they may do (viewerRole, viewerCanManageSchedules,
// viewerCanManageConnections) and Query.operationTypes' `schedulable`: each must say exactly what the
// corresponding mutation then answers, for every role, so a client can draw its controls from them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/operations/catalogue.js';
import type { OperationType } from '../generated/graphql.js';
import { CreateSchedule, SetConnectionEnabled, TenantCapabilities, UpdateSchedule } from '../support/documents.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => world?.close());

const ROLES = {
  'owner@contoso.test': 'OWNER',
  'manager@contoso.test': 'MANAGER',
  'operator@contoso.test': 'OPERATOR',
  'reader@contoso.test': 'READONLY',
} as const;
const ALPINE = ids.tenant('Alpine');
const alpineConnection = ids.connection('Alpine', 'Alpine Graph');
const TYPES: OperationType[] = [
  'DIRECTORY_GROUPS_SYNC',
  'ROLE_DEFINITIONS_SYNC',
  'TENANT_VERIFICATION',
  'PROVIDER_CONNECTION_CHECK',
  'RESTORE_EXECUTE',
  'ONBOARDING_BOOTSTRAP',
];

describe('viewer capabilities of a tenant', () => {
  it.each(Object.entries(ROLES))('%s: each capability matches what its mutation answers', async (email, role) => {
    const { data } = await world.gql(TenantCapabilities, { id: ALPINE }, email);
    expect(data?.tenant?.viewerRole).toBe(role);

    // Both mutations leave the state as it was (the connection is enabled, the schedule disabled).
    const connection = await world.gql(
      SetConnectionEnabled,
      { providerConnectionId: alpineConnection, enabled: true },
      email,
    );
    const connectionAllowed = !connection.errors;
    if (!connectionAllowed) expect(connection.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(data?.tenant?.viewerCanManageConnections).toBe(connectionAllowed);

    const schedule = await world.gql(UpdateSchedule, { id: ids.schedule('Alpine'), input: { enabled: false } }, email);
    const scheduleAllowed = !schedule.errors;
    if (!scheduleAllowed) expect(schedule.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(data?.tenant?.viewerCanManageSchedules).toBe(scheduleAllowed);
  });

  it("operationTypes: the catalogue's labels; schedulable exactly where createSchedule accepts; another workspace's tenant is null", async () => {
    const { data } = await world.gql(TenantCapabilities, { id: ALPINE }, 'owner@contoso.test');
    const accepted: OperationType[] = [];
    for (const type of TYPES) {
      const created = await world.gql(
        CreateSchedule,
        {
          input: {
            tenantId: ALPINE,
            type,
            cron: '0 3 * * *',
            enabled: false,
            providerConnectionId: type === 'PROVIDER_CONNECTION_CHECK' ? alpineConnection : null,
          },
        },
        'owner@contoso.test',
      );
      if (created.errors) expect(created.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
      else accepted.push(type);
    }
    const types = data?.operationTypes ?? [];
    expect(
      types
        .filter((t) => t.schedulable)
        .map((t) => t.type)
        .sort(),
    ).toEqual(accepted.sort());
    expect(types.map((t) => t.type).sort()).toEqual([...TYPES].sort());
    // The catalogue's labels (test/unit/guards.test.ts holds them to the contract's vocabulary).
    expect(Object.fromEntries(types.map((t) => [t.type, t.label]))).toEqual(
      Object.fromEntries(Object.values(OPERATIONS).map((o) => [o.type, o.label])),
    );
    expect(accepted.length).toBeGreaterThan(0);

    const outsider = await world.gql(TenantCapabilities, { id: ALPINE }, 'outsider@other.test');
    expect(outsider.data?.tenant).toBeNull();
  });
});
