// Another user's memberships show only the workspaces the viewer shares with them: a run's
// initiator who also manages another MSP's customers must not disclose that workspace (its name,
// id or their role there) to this workspace's members. The user's own `me` lists all of theirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MyMemberships, RunInitiatorMemberships, StartDirectorySync } from '../support/documents.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
  // The operator of Contoso MSP is also a reader in Other MSP.
  await world.services.prisma.membership.create({
    data: { userId: ids.user('operator@contoso.test'), workspaceId: ids.workspace('Other MSP'), role: 'READONLY' },
  });
});
afterAll(async () => world?.close());

describe('User.memberships', () => {
  it("another user's: only shared workspaces; one's own (me): all of them", async () => {
    const started = await world.gql(StartDirectorySync, { tenantId: ids.tenant('Alpine') }, 'operator@contoso.test');
    const result = started.data?.result;
    if (result?.__typename !== 'StartAccepted') throw new Error(`not accepted: ${JSON.stringify(started)}`);

    const asOwner = await world.gql(RunInitiatorMemberships, { id: result.run.id }, 'owner@contoso.test');
    expect(asOwner.errors).toBeUndefined();
    expect(asOwner.data?.operationRun?.initiator).toEqual({
      email: 'operator@contoso.test',
      memberships: [{ role: 'OPERATOR', workspace: { name: 'Contoso MSP' } }],
    });

    const own = await world.gql(MyMemberships, {}, 'operator@contoso.test');
    expect(own.data?.me.memberships).toEqual([
      { role: 'OPERATOR', workspace: { name: 'Contoso MSP' } },
      { role: 'READONLY', workspace: { name: 'Other MSP' } },
    ]);
  });
});
