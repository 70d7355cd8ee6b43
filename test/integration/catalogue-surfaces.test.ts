// The operations catalogue drives every surface (docs/behaviour.md#operations-catalogue): each type
// has a named start mutation generated from it and `startOperation`, both answering through the same
// gate; Query.operationTypes describes each type as the catalogue does; every kind of target previews
// every type that names it. Nothing here lists the types by hand: a new catalogue entry is covered.
import { type DocumentNode, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationType } from '../../src/generated/prisma/enums.js';
import {
  OPERATIONS,
  START_MUTATIONS,
  TARGET_ARGUMENT,
  type TargetKind,
  typesTargeting,
} from '../../src/operations/catalogue.js';
import {
  CancelRun,
  StartOperation,
  TargetPreviews,
  TenantCapabilities,
  TenantStartPreviews,
} from '../support/documents.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => world?.close());

const OWNER = 'owner@contoso.test';
const TARGET_ENUM: Record<TargetKind, string> = {
  tenant: 'TENANT',
  restoreRun: 'RESTORE_RUN',
  providerConnection: 'PROVIDER_CONNECTION',
};

/** A seeded target each type can be admitted on: an onboarding tenant for types that only run there. */
function seededTarget(type: OperationType): string {
  switch (OPERATIONS[type].target) {
    case 'tenant':
      return ids.tenant(type === 'ONBOARDING_BOOTSTRAP' ? 'Elm' : 'Alpine');
    case 'restoreRun':
      return ids.restoreRun('Alpine');
    case 'providerConnection':
      return ids.connection('Alpine', 'Alpine Graph');
  }
}

type Answer = { __typename: string; run?: { id: string; type: string } };

/** The named start mutation of a type, written from the catalogue's description of it. */
function namedStart(type: OperationType): { doc: DocumentNode; variables: Record<string, unknown> } {
  const mutation = START_MUTATIONS.find((m) => m.field === OPERATIONS[type].mutation.field)!;
  const kind = mutation.kind?.values.find((k) => k.type === type);
  const doc = parse(`
    mutation ($target: ID!${kind ? `, $kind: ${mutation.kind!.enum}!` : ''}) {
      result: ${mutation.field}(${TARGET_ARGUMENT[mutation.target]}: $target${kind ? ', kind: $kind' : ''}) {
        __typename
        ... on StartAccepted { run { id type } }
        ... on StartDeduped { run { id type } }
      }
    }`);
  return { doc, variables: { target: seededTarget(type), ...(kind ? { kind: kind.value } : {}) } };
}

const answerOf = ({ __typename, run }: Answer): Answer => ({ __typename, run: run && { id: run.id, type: run.type } });

async function viaNamed(type: OperationType): Promise<Answer> {
  const { doc, variables } = namedStart(type);
  const res = await world.gql(doc as never, variables as never, OWNER);
  expect(res.errors).toBeUndefined();
  return answerOf((res.data as unknown as { result: Answer }).result);
}

async function viaGeneric(type: OperationType): Promise<Answer> {
  const res = await world.gql(StartOperation, { type, targetId: seededTarget(type) }, OWNER);
  expect(res.errors).toBeUndefined();
  return answerOf(res.data!.result as Answer);
}

describe('start mutations from the catalogue', () => {
  it.each(Object.keys(OPERATIONS) as OperationType[])(
    '%s: its named mutation and startOperation admit it and dedupe each other',
    async (type) => {
      // Generic first, then named: the named one finds the run the generic one queued.
      const first = await viaGeneric(type);
      expect(first).toMatchObject({ __typename: 'StartAccepted', run: { type } });
      const second = await viaNamed(type);
      expect(second).toEqual({ __typename: 'StartDeduped', run: first.run });
      expect((await world.gql(CancelRun, { runId: first.run!.id }, OWNER)).data?.result.__typename).toBe(
        'RunCancelled',
      );

      // Named first, then generic.
      const third = await viaNamed(type);
      expect(third).toMatchObject({ __typename: 'StartAccepted', run: { type } });
      expect(third.run!.id).not.toBe(first.run!.id);
      expect(await viaGeneric(type)).toEqual({ __typename: 'StartDeduped', run: third.run });
      expect((await world.gql(CancelRun, { runId: third.run!.id }, OWNER)).data?.result.__typename).toBe(
        'RunCancelled',
      );
    },
  );

  it('startOperation refuses what it cannot mean: a second connection for a connection target, an unknown target', async () => {
    const check = Object.values(OPERATIONS).find((o) => o.target === 'providerConnection')!;
    const twice = await world.gql(StartOperation, {
      type: check.type,
      targetId: ids.connection('Alpine', 'Alpine Graph'),
      providerConnectionId: ids.connection('Dune', 'Dune Graph'),
    });
    expect(twice.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(twice.errors?.[0].message).toBe(`${check.label} targets a connection: name it once, as targetId`);

    for (const op of Object.values(OPERATIONS)) {
      const unknown = await world.gql(StartOperation, { type: op.type, targetId: crypto.randomUUID() });
      expect(unknown.errors?.[0].extensions?.code, op.type).toBe('NOT_FOUND');
    }
    expect(await world.services.prisma.operationRun.count({ where: { status: { in: ['QUEUED', 'RUNNING'] } } })).toBe(
      0,
    );
  });
});

describe('the catalogue as clients read it', () => {
  it('Query.operationTypes describes every type as the catalogue does', async () => {
    const { data } = await world.gql(TenantCapabilities, { id: ids.tenant('Alpine') });
    expect(data?.operationTypes).toEqual(
      Object.values(OPERATIONS).map((o) => ({
        type: o.type,
        label: o.label,
        verb: o.verb,
        schedulable: o.schedulable,
        target: TARGET_ENUM[o.target],
        needsConnection: o.target === 'providerConnection',
        startMutation: o.mutation.field,
      })),
    );
  });

  it('every kind of target previews exactly the types that name it, in catalogue order', async () => {
    const tenant = await world.gql(TenantStartPreviews, { id: ids.tenant('Alpine') });
    expect(tenant.data?.tenant?.startPreviews.map((p) => p.type)).toEqual(typesTargeting('tenant'));

    const targets = await world.gql(TargetPreviews, { id: ids.tenant('Alpine') });
    const restoreRun = targets.data!.tenant!.restoreRuns.find((r) => r.id === ids.restoreRun('Alpine'))!;
    expect(restoreRun.startPreviews.map((p) => p.type)).toEqual(typesTargeting('restoreRun'));
    expect(restoreRun.startPreviews.find((p) => p.type === 'RESTORE_EXECUTE')).toEqual(restoreRun.startPreview);
    const connection = targets.data!.tenant!.providerConnections[0];
    expect(connection.startPreviews.map((p) => p.type)).toEqual(typesTargeting('providerConnection'));
    expect(connection.startPreviews.find((p) => p.type === 'PROVIDER_CONNECTION_CHECK')).toEqual(
      connection.checkPreview,
    );
  });
});
