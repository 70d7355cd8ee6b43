// End to end: a real API process and a separate worker process, graphql-ws and SSE clients.
// A transition made in the worker process reaches subscribers of the API process through Redis.
// Nothing here waits a fixed time: a subscription is used once the server acknowledged it (its
// Redis channel is subscribed), and every "nothing arrives" is checked only after a later event
// arrived on the same stream, so a dead or late subscription cannot pass it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  httpGql,
  isSubscriptionAck,
  runUpdates,
  sseSubscribe,
  wsSubscribe,
  type Recorded,
  type SseStream,
} from '../support/clients.js';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { ids, createWorld, type World } from '../support/world.js';

let world: World;
let api: AtlasProcess;
let worker: AtlasProcess;
const sockets: Recorded[] = [];
const streams: SseStream[] = [];

beforeAll(async () => {
  world = await createWorld({ SIM_LATENCY_MS: 400 });
  [api, worker] = await Promise.all([spawnAtlas('api', world.config), spawnAtlas('worker', world.config)]);
}, 90_000);

afterAll(async () => {
  for (const s of streams) s.close();
  for (const s of sockets) await s.client.dispose();
  await Promise.all([api?.stop(), worker?.stop()]);
  await world?.close();
});

const ALPINE = ids.tenant('Alpine');
const CEDAR = ids.tenant('Cedar');
const ZEPHYR = ids.tenant('Zephyr');
const OWNER = 'owner@contoso.test';
const MANAGER = 'manager@contoso.test';
const OPERATOR = 'operator@contoso.test';
const OUTSIDER = 'outsider@other.test';

const http = async (query: string, variables: Record<string, unknown>, as: string) =>
  httpGql(api.url, await world.token(as), query, variables);

/** A graphql-ws subscription the server has acknowledged: every event published from now on reaches it. */
async function subscribe(as: string, query: string, variables: Record<string, unknown> = {}): Promise<Recorded> {
  const sub = wsSubscribe(api.port, await world.token(as), query, variables, 0, { ack: true });
  sockets.push(sub);
  await sub.live;
  return sub;
}

/** Without the ack: for answers that refuse the subscription or the socket, and for clients that do not ask. */
function subscribeUnacknowledged(
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Recorded {
  const sub = wsSubscribe(api.port, token, query, variables);
  sockets.push(sub);
  return sub;
}

async function sse(as: string, query: string, variables: Record<string, unknown>, ack: boolean): Promise<SseStream> {
  const stream = await sseSubscribe(api.url, await world.token(as), query, variables, { ack });
  streams.push(stream);
  return stream;
}

const until = (predicate: () => boolean, what: string) => waitFor(predicate, { timeoutMs: 15_000, what });
const notes = (events: any[]) => events.map((e) => e.data?.myNotifications).filter(Boolean);
const statusesOf = (events: any[], runId: string) =>
  runUpdates(events)
    .filter((r) => r.id === runId)
    .map((r) => r.status);

const RUN_UPDATES = `subscription ($tenantId: ID, $runId: ID) {
  operationRunUpdated(tenantId: $tenantId, runId: $runId) { id type status summary { total succeeded failed skipped } initiator { email } reason { code } }
}`;
const MY_NOTIFICATIONS = `subscription { myNotifications { id title body url run { id status } } }`;
const START_SYNC = `mutation ($tenantId: ID!) { startDirectorySync(tenantId: $tenantId) { __typename ... on StartOutcome { status message } ... on StartAccepted { run { id } runUrl } ... on StartBlocked { run { id } } } }`;
const START_VERIFICATION = `mutation ($tenantId: ID!) { startTenantVerification(tenantId: $tenantId) { __typename ... on StartAccepted { run { id } } } }`;

/** The run id of an accepted start (fails the test on any other answer). */
function accepted(res: { data?: any; errors?: unknown }, field: string): string {
  expect(res.data?.[field]?.__typename, JSON.stringify(res)).toBe('StartAccepted');
  return res.data[field].run.id;
}

/** A blocked start on Cedar (no connection): recorded and published at once, no worker involved. */
async function blockedOnCedar(): Promise<string> {
  const res = await http(START_SYNC, { tenantId: CEDAR }, OWNER);
  expect(res.data?.startDirectorySync?.__typename, JSON.stringify(res)).toBe('StartBlocked');
  return res.data.startDirectorySync.run.id;
}

describe('live monitoring over graphql-ws', () => {
  it('delivers QUEUED, RUNNING, SUCCEEDED in order, and exactly one notification to the initiator only', async () => {
    const monitor = await subscribe(MANAGER, RUN_UPDATES, { tenantId: ALPINE });
    const operatorInbox = await subscribe(OPERATOR, MY_NOTIFICATIONS);
    const managerInbox = await subscribe(MANAGER, MY_NOTIFICATIONS);
    const outsider = await subscribe(OUTSIDER, RUN_UPDATES);
    const outsiderInbox = await subscribe(OUTSIDER, MY_NOTIFICATIONS);

    const started = await http(START_SYNC, { tenantId: ALPINE }, OPERATOR);
    const runId = accepted(started, 'startDirectorySync');

    await until(() => statusesOf(monitor.events, runId).includes('SUCCEEDED'), 'the sync to succeed on the monitor');
    expect(statusesOf(monitor.events, runId)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    const done = runUpdates(monitor.events).at(-1);
    expect(done.initiator.email).toBe(OPERATOR);
    expect(done.summary.total).toBeGreaterThan(0);
    expect(done.summary).toEqual({ total: done.summary.total, succeeded: done.summary.total, failed: 0, skipped: 0 });
    await until(() => notes(operatorInbox.events).length > 0, "the operator's notification");

    // Controls, each started after the first run ended, so each arrives after anything the first
    // run could still have sent on the same stream: the operator's next run, the manager's own
    // run, and the outsider's run on its own workspace's tenant.
    const markerId = accepted(
      await http(START_VERIFICATION, { tenantId: ALPINE }, OPERATOR),
      'startTenantVerification',
    );
    const managerRunId = accepted(await http(START_SYNC, { tenantId: ALPINE }, MANAGER), 'startDirectorySync');
    const zephyrRunId = accepted(await http(START_SYNC, { tenantId: ZEPHYR }, OUTSIDER), 'startDirectorySync');

    await until(
      () => notes(operatorInbox.events).some((n) => n.run.id === markerId),
      "the operator's later notification",
    );
    const [note, ...rest] = notes(operatorInbox.events);
    expect(rest.map((n) => n.run.id)).toEqual([markerId]); // nothing else for the first run came in between
    expect(note.title).toBe('Group sync on Alpine succeeded');
    expect(note.url).toBe(started.data.startDirectorySync.runUrl);
    expect(note.body).toContain(note.url);
    expect(note.run).toEqual({ id: runId, status: 'SUCCEEDED' });

    await until(() => notes(managerInbox.events).length > 0, "the manager's own notification");
    expect(notes(managerInbox.events).map((n) => [n.run.id, n.title])).toEqual([
      [managerRunId, 'Group sync on Alpine succeeded'],
    ]);

    await until(
      () => statusesOf(outsider.events, zephyrRunId).includes('SUCCEEDED'),
      "the outsider's own run to succeed",
    );
    expect(runUpdates(outsider.events).map((r) => [r.id, r.status])).toEqual([
      [zephyrRunId, 'QUEUED'],
      [zephyrRunId, 'RUNNING'],
      [zephyrRunId, 'SUCCEEDED'],
    ]);
    await until(() => notes(outsiderInbox.events).length > 0, "the outsider's own notification");
    expect(notes(outsiderInbox.events).map((n) => n.run.id)).toEqual([zephyrRunId]);

    const stored = await http('{ notifications { id title run { id } } }', {}, OPERATOR);
    expect(stored.data.notifications).toHaveLength(2);
    expect(stored.data.notifications).toContainEqual({
      id: note.id,
      title: 'Group sync on Alpine succeeded',
      run: { id: runId },
    });
    expect((await http('{ notifications { run { id } } }', {}, MANAGER)).data.notifications).toEqual([
      { run: { id: managerRunId } },
    ]);
  });

  it('a blocked start is shown as BLOCKED and notifies nobody', async () => {
    const monitor = await subscribe(OWNER, RUN_UPDATES, { tenantId: CEDAR });
    const inbox = await subscribe(OWNER, MY_NOTIFICATIONS);
    const blockedId = await blockedOnCedar();
    // Controls: a second blocked start on the same monitor, and a run of the owner's own that notifies.
    const laterId = await blockedOnCedar();
    const ownRunId = accepted(await http(START_VERIFICATION, { tenantId: ALPINE }, OWNER), 'startTenantVerification');

    await until(
      () => runUpdates(monitor.events).some((r) => r.id === laterId),
      'the later blocked start on the monitor',
    );
    expect(runUpdates(monitor.events).map((r) => [r.id, r.status, r.reason.code])).toEqual([
      [blockedId, 'BLOCKED', 'PROVIDER_CONNECTION_MISSING'],
      [laterId, 'BLOCKED', 'PROVIDER_CONNECTION_MISSING'],
    ]);
    await until(() => notes(inbox.events).length > 0, "the owner's own notification");
    expect(notes(inbox.events).map((n) => n.run.id)).toEqual([ownRunId]);
  });

  it("an outsider cannot subscribe to another workspace's tenant or run", async () => {
    const byTenant = subscribeUnacknowledged(await world.token(OUTSIDER), RUN_UPDATES, { tenantId: ALPINE });
    await until(() => byTenant.events.length + byTenant.errors.length > 0, 'an answer');
    expect(byTenant.events).toEqual([
      { errors: [expect.objectContaining({ message: 'Tenant not found', extensions: { code: 'NOT_FOUND' } })] },
    ]);
    const run = await world.services.prisma.operationRun.findFirstOrThrow({ where: { tenantId: ALPINE } });
    const byRun = subscribeUnacknowledged(await world.token(OUTSIDER), RUN_UPDATES, { runId: run.id });
    await until(() => byRun.events.length + byRun.errors.length > 0, 'an answer');
    expect(byRun.events).toEqual([
      { errors: [expect.objectContaining({ message: 'Operation run not found', extensions: { code: 'NOT_FOUND' } })] },
    ]);
  });

  it.each([
    ['no token', null],
    ['a garbage token', 'garbage'],
  ])('closes the socket with 4403 for %s', async (_name, token) => {
    const sub = subscribeUnacknowledged(token, RUN_UPDATES);
    await until(() => sub.closed.code !== undefined, 'the socket to close');
    expect(sub.closed.code).toBe(4403);
  });
});

describe('subscriptions over SSE', () => {
  it('streams run updates as server-sent events', async () => {
    const stream = await sse(OWNER, RUN_UPDATES, { tenantId: ALPINE }, true);
    await stream.live;
    const runId = accepted(await http(START_SYNC, { tenantId: ALPINE }, OWNER), 'startDirectorySync');
    await until(() => statusesOf(stream.events, runId).includes('SUCCEEDED'), 'the sync to succeed over SSE');
    stream.close();
    expect(statusesOf(stream.events, runId)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
  });
});

describe('subscription acknowledgement', () => {
  const openers = {
    'graphql-ws': async () => {
      const sub = wsSubscribe(api.port, await world.token(OWNER), RUN_UPDATES, { tenantId: CEDAR }, 0, { ack: true });
      sockets.push(sub);
      return { events: sub.events, live: sub.live, close: () => sub.client.dispose() };
    },
    SSE: async () => {
      const stream = await sse(OWNER, RUN_UPDATES, { tenantId: CEDAR }, true);
      return { events: stream.events, live: stream.live, close: async () => stream.close() };
    },
  };

  it.each(Object.keys(openers) as (keyof typeof openers)[])(
    '%s: the ack comes first, once the channel is subscribed; a run started right after it is delivered',
    async (transport) => {
      // Fresh subscriptions, each used the moment it is acknowledged: a premature ack would lose the event.
      for (let i = 0; i < 5; i++) {
        const sub = await openers[transport]();
        await sub.live;
        const runId = await blockedOnCedar();
        await until(() => runUpdates(sub.events).some((r) => r.id === runId), `the blocked run ${runId} after the ack`);
        expect(isSubscriptionAck(sub.events[0])).toBe(true);
        expect(sub.events[0]).toEqual({ extensions: { subscribed: true } });
        expect(sub.events.slice(1).map((e) => [Boolean(e.data?.operationRunUpdated), isSubscriptionAck(e)])).toEqual(
          sub.events.slice(1).map(() => [true, false]),
        );
        await sub.close();
      }
    },
  );

  it('clients that do not ask get no ack: their first payload is an event', async () => {
    const ws = subscribeUnacknowledged(await world.token(OWNER), RUN_UPDATES, { tenantId: CEDAR });
    const stream = await sse(OWNER, RUN_UPDATES, { tenantId: CEDAR }, false);
    // Without an ack there is no telling when they are live: keep starting blocked runs until both saw one.
    await waitFor(
      async () => {
        if (runUpdates(ws.events).length > 0 && runUpdates(stream.events).length > 0) return true;
        await blockedOnCedar();
        return false;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'both unacknowledged streams to deliver a run' },
    );
    for (const events of [ws.events, stream.events]) {
      expect(events.some(isSubscriptionAck)).toBe(false);
      expect(events.every((e) => e.data?.operationRunUpdated?.status === 'BLOCKED' && e.extensions === undefined)).toBe(
        true,
      );
    }
  });
});

describe('health and readiness', () => {
  it('/health is 200 and /ready reports Postgres, Redis and the lock masters', async () => {
    const health = await fetch(`${api.url}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${api.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([
      200,
      { ok: true, postgres: 'ok', redis: 'ok', locks: '1/1 masters' },
    ]);
  });

  // /ready 503 while Redis is down: test/e2e/redis-outage.test.ts (an API can no longer start without Redis).
});
