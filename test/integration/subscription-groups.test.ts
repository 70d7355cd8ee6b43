// Subscription groups never mix visibility (src/realtime/groups.ts), through a real API server over
// graphql-ws on real PostgreSQL and Redis: two tenants, two workspaces, reader vs owner on the same
// document, a member revoked while grouped, a viewer-specific document, and a resolver that reads the
// viewer's identity anyway. Every "X does not receive" is checked after a later event reached X's
// own stream or a delivery written in the same pass, with a positive control that the allowed
// subscriber does receive.
import { buildSchema, parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OperationRun } from '../../src/generated/prisma/client.js';
import { SubscriptionGroups } from '../../src/realtime/groups.js';
import { startServer, type ApiServer } from '../../src/server.js';
import { type Recorded, runUpdates, wsSubscribe } from '../support/clients.js';
import { StartDirectorySync } from '../support/documents.js';
import { channelSubscribers } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let api: ApiServer;
const sockets: Recorded[] = [];

beforeAll(async () => {
  world = await createWorld({ VIEWER_CACHE_MS: 0 });
  api = await startServer(world.services, 0, '127.0.0.1');
});
afterAll(async () => {
  for (const s of sockets) await s.client.dispose();
  await api?.close();
  await world?.close();
});
beforeEach(async () => {
  for (const s of sockets.splice(0)) await s.client.dispose();
  await waitFor(() => api.groups.stats().members === 0, { what: 'the previous test to leave its groups' });
  await world.reset();
});

const OWNER = 'owner@contoso.test';
const READER = 'reader@contoso.test';
const OPERATOR = 'operator@contoso.test';
const OUTSIDER = 'outsider@other.test';
const CONTOSO = ids.workspace('Contoso MSP');
const port = () => Number(new URL(api.url).port);

async function subscribe(as: string, query: string, variables: Record<string, unknown> = {}): Promise<Recorded> {
  const sub = wsSubscribe(port(), await world.token(as), query, variables, 0, { ack: true });
  sockets.push(sub);
  await sub.live;
  return sub;
}

/** A BLOCKED run on the tenant (recorded and published like any run), by the workspace's owner. */
async function runOn(tenant: string): Promise<OperationRun> {
  const owner = tenant === 'Zephyr' ? OUTSIDER : OWNER;
  const viewer = (await world.services.auth.current(ids.user(owner)))!;
  return world.services.lifecycle.recordBlocked(
    {
      type: 'DIRECTORY_GROUPS_SYNC',
      tenantId: ids.tenant(tenant),
      workspaceId: tenant === 'Zephyr' ? ids.workspace('Other MSP') : CONTOSO,
      providerConnectionId: null,
      restoreRunId: null,
      initiatorId: viewer.userId,
      dedupeKey: `groups-test:${Math.random()}`,
      scopeClass: 'SHARED',
    },
    'PROVIDER_CONNECTION_MISSING',
  );
}

const got = (sub: Recorded, runId: string) => runUpdates(sub.events).filter((r) => r.id === runId);
const until = (predicate: () => boolean, what: string) => waitFor(predicate, { timeoutMs: 10_000, what });

/**
 * Each subscriber gets the runs on its own tenant and never the other's: two rounds of a run on
 * each, the "never" checked after the second round reached both (a leaked first-round run would
 * have arrived by then, on the same stream).
 */
async function expectApart([a, tenantA]: [Recorded, string], [b, tenantB]: [Recorded, string]) {
  const rounds: [OperationRun, OperationRun][] = [];
  for (let round = 1; round <= 2; round++) {
    const pair: [OperationRun, OperationRun] = [await runOn(tenantA), await runOn(tenantB)];
    rounds.push(pair);
    await until(() => got(a, pair[0].id).length === 1 && got(b, pair[1].id).length === 1, `round ${round}`);
  }
  for (const [onA, onB] of rounds) {
    expect(got(a, onB.id)).toEqual([]);
    expect(got(b, onA.id)).toEqual([]);
  }
}

const RUNS =
  'subscription($t: ID) { operationRunUpdated(tenantId: $t) { id status tenant { id name viewerRole viewerCanManageConnections } } }';

describe('subscription groups', () => {
  it('one execution per event for subscribers with the same document, variables and roles', async () => {
    const a = await subscribe(OWNER, RUNS);
    const b = await subscribe(OWNER, RUNS);
    expect(api.groups.stats()).toMatchObject({ groups: 1, members: 2 });
    const before = api.groups.stats().executions;
    const { metrics } = world.services;
    const observed = async () => ({
      executions: (await metrics.groupExecutionSeconds.get()).values.find((v) => v.metricName?.endsWith('_count'))!
        .value,
      frames: (await metrics.groupFramesTotal.get()).values[0]?.value ?? 0,
    });
    const metricsBefore = await observed();
    const run = await runOn('Alpine');
    await until(() => got(a, run.id).length === 1 && got(b, run.id).length === 1, 'both members');
    expect(api.groups.stats().executions - before).toBe(1);
    expect(got(a, run.id)).toEqual(got(b, run.id));
    // What /metrics tells an SRE: one shared execution, two frames.
    const metricsAfter = await observed();
    expect(metricsAfter.executions - metricsBefore.executions).toBe(1);
    expect(metricsAfter.frames - metricsBefore.frames).toBe(2);
  });

  it("a group event that selects the run's tenant reads nothing: the tenant row travels with the event", async () => {
    const store = world.services.store;
    const read = store.tenantsByIds.bind(store);
    let reads = 0;
    store.tenantsByIds = (ids) => {
      reads++;
      return read(ids);
    };
    try {
      const live = await subscribe(OWNER, RUNS, { t: ids.tenant('Alpine') });
      const run = await runOn('Alpine');
      await until(() => got(live, run.id).length === 1, 'the live event');
      expect(got(live, run.id)[0].tenant).toMatchObject({ id: ids.tenant('Alpine'), name: 'Alpine' });
      expect(reads).toBe(0);
      // Control: a replayed run is read from the database without its tenant, which is then loaded.
      const replayed = await subscribe(
        OWNER,
        'subscription($t: ID, $a: ID) { operationRunUpdated(tenantId: $t, after: $a) { id tenant { id name } } }',
        { t: ids.tenant('Alpine'), a: '0' },
      );
      await until(() => got(replayed, run.id).length === 1, 'the replayed run');
      expect(got(replayed, run.id)[0].tenant).toEqual({ id: ids.tenant('Alpine'), name: 'Alpine' });
      expect(reads).toBe(1);
    } finally {
      store.tenantsByIds = read;
    }
  });

  it("two tenants: a tenant-narrowed group gets its tenant only (the other tenant's subscriber does get its own)", async () => {
    const alpine = await subscribe(OWNER, RUNS, { t: ids.tenant('Alpine') });
    const birch = await subscribe(OWNER, RUNS, { t: ids.tenant('Birch') });
    expect(api.groups.stats().groups).toBe(2);
    await expectApart([alpine, 'Alpine'], [birch, 'Birch']);
  });

  it("two workspaces: the same unnarrowed document never carries one workspace's run to the other", async () => {
    const owner = await subscribe(OWNER, RUNS);
    const outsider = await subscribe(OUTSIDER, RUNS);
    expect(api.groups.stats().groups).toBe(2);
    await expectApart([owner, 'Alpine'], [outsider, 'Zephyr']);
  });

  it('reader vs owner on the same document: separate groups, each answer computed for its own role', async () => {
    const owner = await subscribe(OWNER, RUNS);
    const reader = await subscribe(READER, RUNS);
    expect(api.groups.stats().groups).toBe(2);
    const run = await runOn('Alpine');
    await until(() => got(owner, run.id).length === 1 && got(reader, run.id).length === 1, 'both');
    expect(got(owner, run.id)[0].tenant).toMatchObject({ viewerRole: 'OWNER', viewerCanManageConnections: true });
    expect(got(reader, run.id)[0].tenant).toMatchObject({ viewerRole: 'READONLY', viewerCanManageConnections: false });
  });

  it('a member revoked while grouped gets nothing more; the member beside it keeps receiving', async () => {
    // A second owner of Contoso: the same roles as the seeded owner, so the same group.
    const twin = await world.services.prisma.user.create({
      data: {
        email: 'twin@contoso.test',
        displayName: 'Twin Owner',
        memberships: { create: { workspaceId: CONTOSO, role: 'OWNER' } },
      },
    });
    const owner = await subscribe(OWNER, RUNS);
    const revoked = wsSubscribe(port(), await world.services.tokens.sign(twin.id), RUNS, {}, 0, { ack: true });
    sockets.push(revoked);
    await revoked.live;
    expect(api.groups.stats()).toMatchObject({ groups: 1, members: 2 });
    const shared = await runOn('Alpine');
    await until(
      () => got(owner, shared.id).length === 1 && got(revoked, shared.id).length === 1,
      'both, while a member',
    );

    await world.services.prisma.membership.deleteMany({ where: { userId: twin.id } });
    const after = await runOn('Alpine');
    const later = await runOn('Birch');
    await until(() => got(owner, after.id).length === 1 && got(owner, later.id).length === 1, 'the owner (control)');
    expect(runUpdates(revoked.events).map((r) => r.id)).toEqual([shared.id]);
  });

  it('a viewer-specific document is not grouped, and each subscriber gets its own answer', async () => {
    const query = 'subscription { operationRunUpdated { id viewerCanCancel } }';
    const owner = await subscribe(OWNER, query);
    const operator = await subscribe(OPERATOR, query);
    expect(api.groups.stats().groups).toBe(0);
    const started: any = await world.gql(StartDirectorySync, { tenantId: ids.tenant('Alpine') }, OWNER);
    const runId = started.data.result.run.id as string;
    await until(() => got(owner, runId).length >= 1 && got(operator, runId).length >= 1, 'both');
    expect(got(owner, runId)[0].viewerCanCancel).toBe(true); // an owner may cancel any run
    expect(got(operator, runId)[0].viewerCanCancel).toBe(false); // an operator only their own
  });
});

describe('per-workspace channels', () => {
  it('an API process listens on a workspace channel only while a subscriber may see it, by reference count', async () => {
    const numsub = (workspaceId: string) =>
      channelSubscribers(world.services.redis, world.services.bus.runsTopic(workspaceId));
    const OTHER = ids.workspace('Other MSP');
    await waitFor(async () => (await numsub(CONTOSO)) === 0, { what: 'no listener left from before' });
    const grouped = await subscribe(OWNER, RUNS, { t: ids.tenant('Alpine') });
    const alone = await subscribe(OPERATOR, 'subscription { operationRunUpdated { id viewerCanCancel } }');
    expect([await numsub(CONTOSO), await numsub(OTHER)]).toEqual([1, 0]); // Contoso's subscribers only
    await grouped.client.dispose();
    await waitFor(() => api.groups.stats().members === 0, { what: 'the group to be left' });
    expect(await numsub(CONTOSO)).toBe(1); // the ungrouped subscription still listens
    await alone.client.dispose();
    await waitFor(async () => (await numsub(CONTOSO)) === 0, { what: 'the channel to be let go' });
    const outsider = await subscribe(OUTSIDER, RUNS);
    expect([await numsub(CONTOSO), await numsub(OTHER)]).toEqual([0, 1]);
    await outsider.client.dispose();
  });
});

describe('the run-time guard', () => {
  it('a resolver that reads the viewer identity in a group is caught: each member is served its own answer', async () => {
    // A schema with an unmarked field that answers the caller's user id: groupable() cannot know.
    const schema = buildSchema(`
      type Run { id: ID! whoAsks: String! }
      type Query { ok: Boolean }
      type Subscription { operationRunUpdated(tenantId: ID): Run! }
    `);
    (schema.getType('Run') as any).getFields().whoAsks.resolve = (_r: unknown, _a: unknown, ctx: any) =>
      ctx.viewer.userId;
    (schema.getSubscriptionType() as any).getFields().operationRunUpdated.resolve = (run: unknown) => run;
    const warnings: string[] = [];
    const groups = new SubscriptionGroups({
      schema,
      members: world.services.auth,
      listen: (workspaces, onEvent) => world.services.bus.listen(workspaces, onEvent),
      scope: async () => [CONTOSO],
      quota: { admit: () => ({ release: () => undefined }) },
      context: (viewer) => ({ viewer }),
      maskError: (e) => e as Error,
      log: {
        ...world.services.log,
        warn: (_o: unknown, m: string) => void warnings.push(m),
        error: () => undefined,
      } as never,
    });
    const twin = await world.services.prisma.user.create({
      data: {
        email: 'twin2@contoso.test',
        displayName: 'Twin',
        memberships: { create: { workspaceId: CONTOSO, role: 'OWNER' } },
      },
    });
    const query = 'subscription { operationRunUpdated { id whoAsks } }';
    const document = parse(query);
    const frames: Record<string, string[]> = { owner: [], twin: [] };
    const streams = [];
    for (const [name, userId] of [
      ['owner', ids.user(OWNER)],
      ['twin', twin.id],
    ] as const) {
      const viewer = (await world.services.auth.current(userId))!;
      const stream = await groups.subscribe({
        viewer,
        delivery: { socket: { readyState: 1, send: (f: string) => void frames[name].push(f) }, id: name },
        document,
        queryText: query,
        ack: true,
      });
      if (!stream) throw new Error('not grouped');
      const iterator = stream[Symbol.asyncIterator]();
      // The first pull answers once the group's Redis channel is subscribed: the acknowledgement.
      expect(await iterator.next()).toEqual({ done: false, value: { extensions: { subscribed: true } } });
      streams.push(iterator);
    }
    expect(groups.stats()).toMatchObject({ groups: 1, members: 2 });
    const run = await runOn('Alpine');
    await until(() => frames.owner.length === 1 && frames.twin.length === 1, 'both frames');
    expect(JSON.parse(frames.owner[0]).payload.data.operationRunUpdated).toEqual({
      id: run.id,
      whoAsks: ids.user(OWNER),
    });
    expect(JSON.parse(frames.twin[0]).payload.data.operationRunUpdated).toEqual({ id: run.id, whoAsks: twin.id });
    expect(warnings).toEqual(['a resolver read the viewer identity: this group is served per member']);
    expect(groups.stats().executions).toBe(0); // no shared execution was delivered
    for (const it of streams) await it.return?.();
    expect(groups.stats()).toMatchObject({ groups: 0, members: 0 });
  });
});
