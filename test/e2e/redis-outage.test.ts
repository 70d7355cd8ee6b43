// Redis stopped under a real API process and a real worker process while runs transition, then
// started again (empty, as a Redis without persistence comes back). Before the fix the first run
// event published during the outage killed both processes about a second later (an unhandled
// MaxRetriesPerRequestError from the pub/sub publish) and admitted runs stayed QUEUED forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGql, runUpdates, wsSubscribe } from '../support/clients.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let redis: PrivateRedis;
let world: World;
let api: AtlasProcess;
let worker: AtlasProcess;

beforeAll(async () => {
  redis = await startPrivateRedis();
  world = await createWorld({ REDIS_URL: redis.url, SIM_LATENCY_MS: 1500 });
  const env = { WORKER_CONCURRENCY: '1', RECONCILE_INTERVAL_MS: '500' };
  [api, worker] = await Promise.all([spawnAtlas('api', world.config, env), spawnAtlas('worker', world.config, env)]);
}, 90_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await redis?.start().catch(() => undefined); // world.close() removes its keys from this Redis
  await world?.close();
  await redis?.close();
});

const ALPINE = ids.tenant('Alpine');
const START_SYNC = `mutation ($tenantId: ID!, $c: ID) { startDirectorySync(tenantId: $tenantId, providerConnectionId: $c) {
  __typename ... on StartOutcome { status message } ... on StartAccepted { run { id } } ... on StartBlocked { run { id status } } } }`;
const START_CHECK = `mutation ($c: ID!) { startProviderConnectionCheck(providerConnectionId: $c) { __typename ... on StartAccepted { run { id } } } }`;
const RUN_UPDATES = `subscription { operationRunUpdated { id status } }`;

const token = (email: string) => world.token(email);
const alive = (p: AtlasProcess) => p.child.exitCode === null && p.child.signalCode === null;
const row = (id: string) => world.services.prisma.operationRun.findUniqueOrThrow({ where: { id } });

describe('a Redis outage under running API and worker processes', () => {
  it('keeps both processes up, answers starts truthfully, and resumes subscriptions and runs when Redis is back', async () => {
    const monitor = wsSubscribe(api.port, await token('owner@contoso.test'), RUN_UPDATES);

    // Before: a sync is RUNNING in the worker (which takes one job at a time) and a connection
    // check waits behind it in the queue. The subscription is live: it delivered the sync's RUNNING.
    const sync = await httpGql(api.url, await token('owner@contoso.test'), START_SYNC, { tenantId: ALPINE });
    expect(sync.data.startDirectorySync.__typename).toBe('StartAccepted');
    const syncId = sync.data.startDirectorySync.run.id;
    await waitFor(() => runUpdates(monitor.events).some((r) => r.id === syncId && r.status === 'RUNNING'), {
      what: 'RUNNING over graphql-ws',
    });
    const check = await httpGql(api.url, await token('owner@contoso.test'), START_CHECK, {
      c: ids.connection('Elm', 'Elm Graph'),
    });
    expect(check.data.startProviderConnectionCheck.__typename).toBe('StartAccepted');
    const queuedId = check.data.startProviderConnectionCheck.run.id;
    expect((await row(queuedId)).status).toBe('QUEUED');

    await redis.stop();

    // During: an admission needs the lock store, so it is SERVICE_UNAVAILABLE and creates nothing.
    const refused = await httpGql(api.url, await token('owner@contoso.test'), START_SYNC, {
      tenantId: ids.tenant('Birch'),
      c: ids.connection('Birch', 'Birch Graph (secondary)'),
    });
    expect(refused.errors?.[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(await world.services.prisma.operationRun.count({ where: { tenantId: ids.tenant('Birch') } })).toBe(0);
    // A blocked start needs only PostgreSQL: it is recorded and answered; its event is lost, not fatal.
    const blocked = await httpGql(api.url, await token('owner@contoso.test'), START_SYNC, {
      tenantId: ids.tenant('Cedar'),
    });
    expect(blocked.data.startDirectorySync.__typename).toBe('StartBlocked');
    expect((await row(blocked.data.startDirectorySync.run.id)).status).toBe('BLOCKED');

    // The worker finishes the sync it had in hand (PostgreSQL is up) and publishes into the void.
    await waitFor(async () => (await row(syncId)).status === 'SUCCEEDED', {
      what: 'the in-flight sync to finish during the outage',
    });
    // The old crash was the lost publish's rejection going unhandled. Here each process reports the
    // rejection it handled ("run event not published", once ioredis gave up on the command); after
    // that moment both still answer: the API answers its probes and the worker process has not exited.
    await waitFor(() => [api, worker].every((p) => p.output.join('').includes('run event not published')), {
      timeoutMs: 15_000,
      what: 'both processes to report a lost run event',
    });
    const ready = await fetch(`${api.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([
      503,
      { ok: false, postgres: 'ok', redis: 'unreachable', locks: '0/1 masters, no quorum' },
    ]);
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
    expect([alive(api), alive(worker)]).toEqual([true, true]);
    expect(api.output.join('') + worker.output.join('')).not.toMatch(
      /Unhandled error event|unhandledRejection|uncaughtException|^Error: /im,
    );

    await redis.start();

    // After: Redis came back empty, so the queued check's job is gone; the reconciler dispatches
    // it again and it reaches a terminal state. Nothing admitted stays active.
    await waitFor(async () => (await fetch(`${api.url}/ready`)).status === 200, { what: '/ready to recover' });
    const recovered = await waitFor(
      async () => {
        const r = await row(queuedId);
        return ['QUEUED', 'RUNNING'].includes(r.status) ? null : r;
      },
      { timeoutMs: 30_000, what: 'the queued run to be re-dispatched and finish' },
    );
    expect(recovered.status).toBe('SUCCEEDED');
    expect(await world.services.prisma.operationRun.count({ where: { status: { in: ['QUEUED', 'RUNNING'] } } })).toBe(
      0,
    );

    // The graphql-ws subscription opened before the outage delivers again (its socket never
    // closed: the API stayed up, and the subscriber re-subscribed its Redis channel).
    const again = await waitFor(
      async () => {
        const res = await httpGql(api.url, await token('owner@contoso.test'), START_SYNC, { tenantId: ALPINE });
        return res.data?.startDirectorySync?.__typename === 'StartAccepted' ? res.data.startDirectorySync.run.id : null;
      },
      { what: 'starts to be admitted again' },
    );
    await waitFor(() => runUpdates(monitor.events).some((r) => r.id === again && r.status === 'SUCCEEDED'), {
      timeoutMs: 15_000,
      what: 'the pre-outage subscription to deliver a post-outage run',
    });
    expect(monitor.closed.code).toBeUndefined();
    expect([alive(api), alive(worker)]).toEqual([true, true]);
    await monitor.client.dispose();
  });
});
