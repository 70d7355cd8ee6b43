// Live start previews (docs/behaviour.md#previews-and-provider-connections, startPreviewsChanged) through a real API server over
// graphql-ws and SSE, on real Postgres, Redis and BullMQ: the full list once when subscribed, a new
// list when a run on the tenant starts or ends, a connection is enabled, disabled or made the
// default, or a connection check records a credential state; nothing when nothing changed (each
// "nothing" is followed by a push through the same stream); and one computation per change, tenant
// and role, however many operators watch.
import { print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWorkers } from '../../src/jobs/worker.js';
import { startServer, type ApiServer } from '../../src/server.js';
import { type Recorded, sseSubscribe, type SseStream, wsSubscribe } from '../support/clients.js';
import {
  SetConnectionEnabled,
  SetDefaultConnection,
  StartConnectionCheck,
  StartDirectorySync,
  StartPreviewsChanged,
} from '../support/documents.js';
import type { StartPreviewFieldsFragment } from '../generated/graphql.js';
import { channelSubscribers } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let api: ApiServer;
const sockets: Recorded[] = [];
const streams: SseStream[] = [];

beforeAll(async () => {
  world = await createWorld();
  api = await startServer(world.services, 0, '127.0.0.1');
});
afterAll(async () => {
  for (const s of sockets) await s.client.dispose();
  for (const s of streams) s.close();
  await api?.close();
  await world?.close();
});
beforeEach(async () => {
  await world.services.prisma.providerConnection.updateMany({ data: { isDefault: false } });
  await world.reset();
});

const OWNER = 'owner@contoso.test';
const MANAGER = 'manager@contoso.test';
const OPERATOR = 'operator@contoso.test';
const QUERY = print(StartPreviewsChanged);
const port = () => Number(new URL(api.url).port);

type Stream = { events: any[] };
const lists = (s: Stream): StartPreviewFieldsFragment[][] =>
  s.events.map((e) => e.data?.startPreviewsChanged).filter(Boolean);
/** A list as `type: status` (plus the run it names), the way a console would render its buttons. */
const statuses = (list: StartPreviewFieldsFragment[]) =>
  Object.fromEntries(list.map((p) => [p.type, p.run ? `${p.status} ${p.run.id}` : p.status]));
const latest = (s: Stream) => statuses(lists(s).at(-1) ?? []);

async function subscribe(tenant: string, as: string): Promise<Recorded> {
  const sub = wsSubscribe(port(), await world.token(as), QUERY, { tenantId: ids.tenant(tenant) }, 0, { ack: true });
  sockets.push(sub);
  await sub.live;
  await waitFor(() => lists(sub).length === 1, { what: `the list ${as} gets when subscribing to ${tenant}` });
  return sub;
}

const pushes = (s: Stream, n: number, what: string) => waitFor(() => lists(s).length >= n, { what });

const READY_FOR_OPERATOR = {
  DIRECTORY_GROUPS_SYNC: 'READY',
  ROLE_DEFINITIONS_SYNC: 'READY',
  TENANT_VERIFICATION: 'READY',
  ONBOARDING_BOOTSTRAP: 'FORBIDDEN',
};
const all = (status: string) => ({
  DIRECTORY_GROUPS_SYNC: status,
  ROLE_DEFINITIONS_SYNC: status,
  TENANT_VERIFICATION: status,
  ONBOARDING_BOOTSTRAP: status,
});

describe('startPreviewsChanged', () => {
  it('the list once when subscribed, ALREADY_RUNNING when a run starts, READY when it ends, nothing when nothing changed', async () => {
    const feed = world.services.previewFeed;
    const sub = await subscribe('Alpine', OPERATOR);
    expect(sub.events[0]).toEqual({ extensions: { subscribed: true } });
    expect(latest(sub)).toEqual(READY_FOR_OPERATOR);

    const started = (await world.gql(StartDirectorySync, { tenantId: ids.tenant('Alpine') })).data!.result;
    if (started.__typename !== 'StartAccepted') throw new Error(started.__typename);
    await pushes(sub, 2, 'the list after the sync started');
    expect(latest(sub)).toEqual({ ...READY_FOR_OPERATOR, DIRECTORY_GROUPS_SYNC: `ALREADY_RUNNING ${started.run.id}` });

    // Changes that leave the list as it is: the run going RUNNING, a connection "enabled" that was
    // enabled, and a run on another tenant (not even recomputed for Alpine). Each is seen (the feed
    // recomputed) before the next step, so a push it caused would come before the one below.
    let computed = feed.computed;
    await world.services.lifecycle.markRunning(started.run.id);
    await waitFor(() => feed.computed > computed, { what: 'the RUNNING transition to be recomputed' });
    computed = feed.computed;
    const same = await world.gql(SetConnectionEnabled, {
      providerConnectionId: ids.connection('Alpine', 'Alpine Graph'),
      enabled: true,
    });
    expect(same.errors).toBeUndefined();
    await waitFor(() => feed.computed > computed, { what: 'the no-op connection change to be recomputed' });
    computed = feed.computed;
    await world.gql(StartDirectorySync, { tenantId: ids.tenant('Cedar') }); // BLOCKED, published on Cedar

    await world.services.lifecycle.finish(started.run.id, { status: 'SUCCEEDED' });
    await pushes(sub, 3, 'the list after the sync ended');
    expect(latest(sub)).toEqual(READY_FOR_OPERATOR);
    expect(feed.computed).toBe(computed + 1); // the Cedar event was not computed for Alpine
    expect(lists(sub)).toHaveLength(3);
    expect(sub.errors).toEqual([]);
  });

  it('pushes when a connection is enabled, disabled or made the default', async () => {
    const sub = await subscribe('Birch', OWNER);
    expect(latest(sub)).toEqual(all('BLOCKED'));
    expect(lists(sub)[0][0].reason?.code).toBe('PROVIDER_CONNECTION_DISABLED');

    const secondary = ids.connection('Birch', 'Birch Graph (secondary)');
    await world.gql(SetDefaultConnection, { providerConnectionId: secondary }, MANAGER);
    await pushes(sub, 2, 'the list after the default changed');
    expect(latest(sub)).toEqual(all('READY'));
    expect(lists(sub)[1].map((p) => p.providerConnection?.id)).toEqual([secondary, secondary, secondary, secondary]);

    await world.gql(SetConnectionEnabled, { providerConnectionId: secondary, enabled: false }, OWNER);
    await pushes(sub, 3, 'the list after the default was disabled');
    expect(latest(sub)).toEqual(all('BLOCKED'));

    const primary = ids.connection('Birch', 'Birch Graph (primary)');
    await world.gql(SetDefaultConnection, { providerConnectionId: primary }, OWNER);
    await world.gql(SetConnectionEnabled, { providerConnectionId: primary, enabled: true }, OWNER);
    await waitFor(() => latest(sub).DIRECTORY_GROUPS_SYNC === 'READY', { what: 'READY on the enabled primary' });
    expect(
      lists(sub)
        .at(-1)!
        .map((p) => p.providerConnection?.id),
    ).toEqual([primary, primary, primary, primary]);
  });

  it('pushes the credential state a connection check records (through a real worker)', async () => {
    const sub = await subscribe('Dune', OWNER);
    expect(latest(sub)).toEqual(all('BLOCKED'));
    expect(lists(sub)[0][0].reason?.code).toBe('PROVIDER_CONSENT_REQUIRED');

    const check = await world.gql(StartConnectionCheck, { providerConnectionId: ids.connection('Dune', 'Dune Graph') });
    expect(check.data!.result.__typename).toBe('StartAccepted');
    const workers = await startWorkers(world.services);
    try {
      // The simulated provider reports VALID (Dune's connection has no fault set): consent was granted.
      await waitFor(() => latest(sub).DIRECTORY_GROUPS_SYNC === 'READY', { what: 'READY after the check' });
    } finally {
      await workers.close();
    }
    expect(latest(sub)).toEqual(all('READY'));
    expect(lists(sub).at(-1)![0].providerConnection?.credentialState).toBe('VALID');
    // A recomputation may also land between the check's write and its run's end (syncs READY, the
    // bootstrap SCOPE_BUSY behind the running check); each push differs from the one before it.
    const seen = lists(sub).map(statuses);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i], `push ${i}: ${JSON.stringify(lists(sub))}`).not.toEqual(seen[i - 1]);
  });

  it('computes once per change, tenant and role, however many subscribers (graphql-ws and SSE)', async () => {
    const feed = world.services.previewFeed;
    const watchers = [
      await subscribe('Elm', OWNER),
      await subscribe('Elm', OWNER),
      await subscribe('Elm', MANAGER),
      await subscribe('Elm', MANAGER),
      await subscribe('Elm', OPERATOR),
      await subscribe('Elm', OPERATOR),
    ];
    const sse = await sseSubscribe(
      api.url,
      await world.token(MANAGER),
      QUERY,
      { tenantId: ids.tenant('Elm') },
      { ack: true },
    );
    streams.push(sse);
    await sse.live;
    await waitFor(() => lists(sse).length === 1, { what: 'the SSE subscriber list' });

    const before = feed.computed;
    const started = (await world.gql(StartDirectorySync, { tenantId: ids.tenant('Elm') }, OPERATOR)).data!.result;
    if (started.__typename !== 'StartAccepted') throw new Error(started.__typename);
    for (const [i, w] of [...watchers, sse].entries()) await pushes(w, 2, `subscriber ${i}'s second list`);

    expect(feed.computed - before).toBe(3); // OWNER, MANAGER, OPERATOR
    const busy = `SCOPE_BUSY ${started.run.id}`;
    const running = `ALREADY_RUNNING ${started.run.id}`;
    for (const w of [watchers[0], watchers[1], watchers[2], watchers[3], sse])
      expect(latest(w)).toEqual({ ...all('READY'), DIRECTORY_GROUPS_SYNC: running, ONBOARDING_BOOTSTRAP: busy });
    for (const w of [watchers[4], watchers[5]])
      expect(latest(w)).toEqual({ ...READY_FOR_OPERATOR, DIRECTORY_GROUPS_SYNC: running });
  });

  it('lets go of its pub/sub listeners when the subscribers leave', async () => {
    await subscribe('Fir', OWNER);
    const channel = world.services.bus.tenantsTopic;
    const listeners = async () => channelSubscribers(world.services.redis, channel);
    expect(await listeners()).toBe(1); // control: the API process listens while anyone is subscribed
    for (const s of sockets.splice(0)) await s.client.dispose();
    for (const s of streams.splice(0)) s.close();
    await waitFor(async () => (await listeners()) === 0, { what: 'the tenant channel to be unsubscribed' });
  });

  it('is NOT_FOUND for a tenant of another workspace, an unknown or a malformed id', async () => {
    for (const [as, tenantId] of [
      ['outsider@other.test', ids.tenant('Alpine')],
      [OWNER, '00000000-0000-4000-8000-000000000000'],
      [OWNER, 'not-a-uuid'],
    ]) {
      const sub = wsSubscribe(port(), await world.token(as), QUERY, { tenantId });
      sockets.push(sub);
      await waitFor(() => sub.events.length > 0, { what: `the answer to ${tenantId}` });
      expect(sub.events).toHaveLength(1);
      expect([sub.events[0].data ?? null, sub.events[0].errors?.[0]?.extensions?.code]).toEqual([null, 'NOT_FOUND']);
    }
  });
});
