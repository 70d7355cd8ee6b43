// What a tenant tells the caller they may do (viewerRole, viewerCanManageSchedules,
// viewerCanManageConnections) and Query.operationTypes' `schedulable`: each must say exactly what the
// corresponding mutation then answers, for every role, so a client can draw its controls from them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/operations/catalogue.js';
import type { OperationType } from '../generated/graphql.js';
import {
  CancelRun,
  CreateSchedule,
  RunCapabilities,
  SetConnectionEnabled,
  StartBootstrap,
  StartDirectorySync,
  TenantCapabilities,
  UpdateSchedule,
} from '../support/documents.js';
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
const TYPES = Object.keys(OPERATIONS) as OperationType[];

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
    for (const { type, needsConnection } of data?.operationTypes ?? []) {
      const created = await world.gql(
        CreateSchedule,
        {
          input: {
            tenantId: ALPINE,
            type,
            cron: '0 3 * * *',
            enabled: false,
            providerConnectionId: needsConnection ? alpineConnection : null,
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

describe('viewer capabilities of a run', () => {
  /** An active run the given user started (or the one already running for them). */
  async function activeRun(kind: 'GROUPS' | 'ROLE_DEFINITIONS', as: string): Promise<string> {
    const res = await world.gql(StartDirectorySync, { tenantId: ALPINE, kind }, as);
    const result = res.data?.result;
    if (result?.__typename !== 'StartAccepted' && result?.__typename !== 'StartDeduped')
      throw new Error(String(result?.__typename));
    return result.run.id;
  }

  it.each(Object.entries(ROLES))(
    "%s: viewerCanCancel is exactly what cancelOperationRun then does, on one's own run and another's",
    async (email) => {
      // An operator's own run and one the owner started: every role sees both (one workspace).
      const runs = {
        own: await activeRun('GROUPS', 'operator@contoso.test'),
        other: await activeRun('ROLE_DEFINITIONS', 'owner@contoso.test'),
      };
      for (const runId of Object.values(runs)) {
        const before = await world.gql(RunCapabilities, { id: runId }, email);
        const may = before.data!.operationRun!.viewerCanCancel;
        const answer = await world.gql(CancelRun, { runId }, email);
        if (may) expect(answer.data?.result.__typename, `${email} on ${runId}`).toBe('RunCancelled');
        else expect(answer.errors?.[0].extensions?.code, `${email} on ${runId}`).toBe('FORBIDDEN');
      }
    },
  );

  it('a finished run offers no cancel, and a bootstrap step answers as its bootstrap', async () => {
    const finished = await activeRun('GROUPS', 'owner@contoso.test');
    await world.gql(CancelRun, { runId: finished }, 'owner@contoso.test');
    const after = await world.gql(RunCapabilities, { id: finished }, 'owner@contoso.test');
    expect(after.data?.operationRun).toMatchObject({ status: 'CANCELLED', viewerCanCancel: false });

    const started = await world.gql(StartBootstrap, { tenantId: world.ids.tenant('Elm') }, 'manager@contoso.test');
    if (started.data?.result.__typename !== 'StartAccepted') throw new Error(started.data?.result.__typename);
    const bootstrap = started.data.result.run.id;
    const expected = {
      'owner@contoso.test': true,
      'manager@contoso.test': true,
      'operator@contoso.test': false,
      'reader@contoso.test': false,
    };
    for (const [email, may] of Object.entries(expected)) {
      const { data } = await world.gql(RunCapabilities, { id: bootstrap }, email);
      expect(data?.operationRun?.viewerCanCancel, email).toBe(may);
      expect(
        data?.operationRun?.children.map((c) => c.viewerCanCancel),
        email,
      ).toEqual([may, may, may]);
    }
    // An operator cancelling a step is refused as on the bootstrap itself.
    const step = (await world.gql(RunCapabilities, { id: bootstrap })).data!.operationRun!.children[0].id;
    expect((await world.gql(CancelRun, { runId: step }, 'operator@contoso.test')).errors?.[0].extensions?.code).toBe(
      'FORBIDDEN',
    );
  });
});
