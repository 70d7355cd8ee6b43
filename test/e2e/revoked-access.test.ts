// Access revoked while subscriptions are open, across two real API processes: a removed member
// stops receiving the workspace's runs (graphql-ws and SSE) within VIEWER_CACHE_MS, a deleted
// user's streams end, and old notifications stop exposing the tenant. Before the fix, roles were
// captured once at subscribe time and events kept flowing until the client reconnected.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGql, runUpdates, sseSubscribe, wsSubscribe } from '../support/clients.js';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

const CACHE_MS = 400;
let world: World;
let apiA: AtlasProcess;
let apiB: AtlasProcess;
let worker: AtlasProcess;

beforeAll(async () => {
  world = await createWorld({ SIM_LATENCY_MS: 100 });
  const env = { VIEWER_CACHE_MS: String(CACHE_MS) };
  [apiA, apiB, worker] = await Promise.all([
    spawnAtlas('api', world.config, env),
    spawnAtlas('api', world.config, env),
    spawnAtlas('worker', world.config, env),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([apiA?.stop(), apiB?.stop(), worker?.stop()]);
  await world?.close();
});

const ALPINE = ids.tenant('Alpine');
const CONTOSO = ids.workspace('Contoso MSP');
const RUN_UPDATES = `subscription { operationRunUpdated { id status tenant { name } } }`;
const START_SYNC = `mutation ($t: ID!) { startDirectorySync(tenantId: $t) { __typename ... on StartAccepted { run { id } } } }`;
const NOTIFICATIONS = `{ notifications { id title run { id tenant { name } } } }`;

/** A throwaway OPERATOR of Contoso MSP (the seeded users stay as they are for other files). */
async function temporaryMember(): Promise<{ id: string; token: string }> {
  const id = randomUUID();
  await world.services.prisma.user.create({
    data: {
      id,
      email: `temp-${id}@contoso.test`,
      displayName: 'Temp Member',
      memberships: { create: { workspaceId: CONTOSO, role: 'OPERATOR' } },
    },
  });
  return { id, token: await world.services.tokens.sign(id) };
}

async function syncAlpine(token: string): Promise<string> {
  const res = await httpGql(apiA.url, token, START_SYNC, { t: ALPINE });
  expect(res.data.startDirectorySync.__typename).toBe('StartAccepted');
  const id = res.data.startDirectorySync.run.id;
  await waitFor(
    async () => (await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id } })).status === 'SUCCEEDED',
    { what: 'the sync to end' },
  );
  return id;
}

/** Waits until both API processes answer the member's `tenants` query as `gone` says, within about VIEWER_CACHE_MS. */
async function forgotten(token: string, gone: (res: Awaited<ReturnType<typeof httpGql>>) => boolean): Promise<void> {
  for (const api of [apiA, apiB]) {
    await waitFor(async () => gone(await httpGql(api.url, token, '{ tenants { id } }')), {
      timeoutMs: CACHE_MS + 2_000,
      what: `API ${api.port} to see the revoked access`,
    });
  }
}

const saw = (events: any[], runId: string) =>
  runUpdates(events).some((r) => r.id === runId && r.status === 'SUCCEEDED');

describe('revoked access while subscribed', () => {
  it('a removed member stops receiving runs on every API process and loses the tenant from old notifications', async () => {
    const member = await temporaryMember();
    const control = await world.token('manager@contoso.test');
    const memberWs = wsSubscribe(apiA.port, member.token, RUN_UPDATES, {}, 0, { ack: true });
    const memberSse = await sseSubscribe(apiB.url, member.token, RUN_UPDATES, {}, { ack: true });
    const controlWs = wsSubscribe(apiB.port, control, RUN_UPDATES, {}, 0, { ack: true });
    await Promise.all([memberWs.live, memberSse.live, controlWs.live]);

    // While a member: both streams deliver, and the member's own run notifies them.
    const before = await syncAlpine(member.token);
    await waitFor(
      () => saw(memberWs.events, before) && saw(memberSse.events, before) && saw(controlWs.events, before),
      { what: 'every stream to see the first run' },
    );
    const notes = await waitFor(async () =>
      (await httpGql(apiA.url, member.token, NOTIFICATIONS)).data.notifications.at(0),
    );
    expect(notes.run).toEqual({ id: before, tenant: { name: 'Alpine' } });

    await world.services.prisma.membership.deleteMany({ where: { userId: member.id } });
    // Each process's membership cache (shared by its HTTP requests and its subscriptions) lets go
    // of the workspace within about VIEWER_CACHE_MS: observed, on both processes, over HTTP.
    await forgotten(member.token, (res) => res.data?.tenants?.length === 0);

    const after = await syncAlpine(control);
    // The control on the same channel proves the event was delivered; the removed member got none of it.
    await waitFor(() => saw(controlWs.events, after), { what: 'the control to see the second run' });
    const delivered = (events: any[]) => runUpdates(events).filter((r) => r.id === after);
    expect(delivered(memberWs.events)).toEqual([]);
    expect(delivered(memberSse.events)).toEqual([]);
    // Old notifications no longer reach into the workspace.
    expect((await httpGql(apiB.url, member.token, NOTIFICATIONS)).data.notifications).toEqual([]);

    memberSse.close();
    await Promise.all([memberWs.client.dispose(), controlWs.client.dispose()]);
  });

  it("a deleted user's streams end instead of delivering", async () => {
    const member = await temporaryMember();
    const control = await world.token('manager@contoso.test');
    const memberWs = wsSubscribe(apiA.port, member.token, RUN_UPDATES, {}, 0, { ack: true });
    const memberSse = await sseSubscribe(apiB.url, member.token, RUN_UPDATES, {}, { ack: true });
    const controlSse = await sseSubscribe(apiB.url, control, RUN_UPDATES, {}, { ack: true });
    await Promise.all([memberWs.live, memberSse.live, controlSse.live]);
    const before = await syncAlpine(control);
    await waitFor(
      () => saw(memberWs.events, before) && saw(memberSse.events, before) && saw(controlSse.events, before),
      { what: 'every stream to see the first run' },
    );

    await world.services.prisma.user.delete({ where: { id: member.id } });
    await forgotten(member.token, (res) => res.errors?.[0]?.extensions.code === 'UNAUTHENTICATED');

    const after = await syncAlpine(control);
    await waitFor(() => saw(controlSse.events, after), { what: 'the control to see the second run' });
    expect(runUpdates(memberWs.events).filter((r) => r.id === after)).toEqual([]);
    expect(runUpdates(memberSse.events).filter((r) => r.id === after)).toEqual([]);
    // The SSE stream ends with UNAUTHENTICATED; the socket is closed with 4403 (or the subscription errors).
    await memberSse.ended;
    expect(memberSse.events.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await waitFor(
      () => memberWs.closed.code === 4403 || memberWs.errors.length > 0 || memberWs.events.some((e) => e.errors),
      {
        what: 'the deleted user’s socket to be closed or its subscription to end',
      },
    );

    controlSse.close();
    await memberWs.client.dispose();
  });
});
