// End to end: a real API process and a separate worker process, graphql-ws and SSE clients.
// A transition made in the worker process reaches subscribers of the API process through Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ids, createWorld, type World } from '../support/world.js';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';

let world: World;
let api: AtlasProcess;
let worker: AtlasProcess;
const clients: Client[] = [];

beforeAll(async () => {
  world = await createWorld({ SIM_LATENCY_MS: 400 });
  [api, worker] = await Promise.all([spawnAtlas('api', world.config), spawnAtlas('worker', world.config)]);
}, 90_000);

afterAll(async () => {
  for (const c of clients) await c.dispose();
  await Promise.all([api?.stop(), worker?.stop()]);
  await world?.close();
});

const ALPINE = ids.tenant('Alpine');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function http(query: string, variables: Record<string, unknown>, as: string) {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await world.token(as)}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions: { code: string } }[] };
}

type Subscription = { events: any[]; errors: unknown[]; closed: { code?: number } };

async function subscribe(as: string | null, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Subscription> {
  const sub: Subscription = { events: [], errors: [], closed: {} };
  const authorization = token ?? (as ? `Bearer ${await world.token(as)}` : undefined);
  const client = createClient({
    url: `ws://127.0.0.1:${api.port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined, // a refused connection is asserted through the close code
    on: { closed: (event) => (sub.closed.code = (event as { code: number }).code) },
  });
  clients.push(client);
  client.subscribe({ query, variables }, { next: (v) => sub.events.push(v), error: (e) => sub.errors.push(e), complete: () => undefined });
  await sleep(600); // the subscription reaches the API process and Redis
  return sub;
}

async function until(predicate: () => boolean, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(25);
  }
}

const RUN_UPDATES = `subscription ($tenantId: ID, $runId: ID) {
  operationRunUpdated(tenantId: $tenantId, runId: $runId) { id type status summary { total succeeded failed skipped } initiator { email } reason { code } }
}`;
const MY_NOTIFICATIONS = `subscription { myNotifications { id title body url run { id status } } }`;
const START_SYNC = `mutation ($tenantId: ID!) { startDirectorySync(tenantId: $tenantId) { __typename ... on StartOutcome { status message } ... on StartAccepted { run { id } runUrl } ... on StartBlocked { run { id } } } }`;

describe('live monitoring over graphql-ws', () => {
  it('delivers QUEUED, RUNNING, SUCCEEDED in order, and exactly one notification to the initiator only', async () => {
    const monitor = await subscribe('manager@contoso.test', RUN_UPDATES, { tenantId: ALPINE });
    const ownerInbox = await subscribe('operator@contoso.test', MY_NOTIFICATIONS);
    const managerInbox = await subscribe('manager@contoso.test', MY_NOTIFICATIONS);
    const outsider = await subscribe('outsider@other.test', RUN_UPDATES);
    const outsiderInbox = await subscribe('outsider@other.test', MY_NOTIFICATIONS);

    const started = await http(START_SYNC, { tenantId: ALPINE }, 'operator@contoso.test');
    expect(started.data.startDirectorySync.__typename).toBe('StartAccepted');
    const runId = started.data.startDirectorySync.run.id;

    await until(() => monitor.events.some((e) => e.data.operationRunUpdated.status === 'SUCCEEDED'));
    const statuses = monitor.events.filter((e) => e.data.operationRunUpdated.id === runId).map((e) => e.data.operationRunUpdated.status);
    expect(statuses).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    const done = monitor.events.at(-1).data.operationRunUpdated;
    expect(done.initiator.email).toBe('operator@contoso.test');
    expect(done.summary.total).toBeGreaterThan(0);
    expect(done.summary).toEqual({ total: done.summary.total, succeeded: done.summary.total, failed: 0, skipped: 0 });

    await until(() => ownerInbox.events.length > 0);
    await sleep(500); // nothing else is on its way
    expect(ownerInbox.events).toHaveLength(1);
    const note = ownerInbox.events[0].data.myNotifications;
    expect(note.title).toBe('Group sync succeeded');
    expect(note.url).toBe(started.data.startDirectorySync.runUrl);
    expect(note.body).toContain(note.url);
    expect(note.run).toEqual({ id: runId, status: 'SUCCEEDED' });
    expect(managerInbox.events).toEqual([]);
    expect(outsider.events).toEqual([]);
    expect(outsiderInbox.events).toEqual([]);

    const stored = await http('{ notifications { id title run { id } } }', {}, 'operator@contoso.test');
    expect(stored.data.notifications).toEqual([{ id: note.id, title: 'Group sync succeeded', run: { id: runId } }]);
    expect((await http('{ notifications { id } }', {}, 'manager@contoso.test')).data.notifications).toEqual([]);
  });

  it('a blocked start is shown as BLOCKED and notifies nobody', async () => {
    const monitor = await subscribe('owner@contoso.test', RUN_UPDATES, { tenantId: ids.tenant('Cedar') });
    const inbox = await subscribe('owner@contoso.test', MY_NOTIFICATIONS);
    const started = await http(START_SYNC, { tenantId: ids.tenant('Cedar') }, 'owner@contoso.test');
    expect(started.data.startDirectorySync.__typename).toBe('StartBlocked');
    await until(() => monitor.events.length > 0);
    await sleep(800);
    expect(monitor.events.map((e) => [e.data.operationRunUpdated.status, e.data.operationRunUpdated.reason.code])).toEqual([['BLOCKED', 'PROVIDER_CONNECTION_MISSING']]);
    expect(inbox.events).toEqual([]);
  });

  it("an outsider cannot subscribe to another workspace's tenant or run", async () => {
    const byTenant = await subscribe('outsider@other.test', RUN_UPDATES, { tenantId: ALPINE });
    await until(() => byTenant.events.length + byTenant.errors.length > 0);
    expect(byTenant.events).toEqual([{ errors: [expect.objectContaining({ message: 'Tenant not found', extensions: { code: 'NOT_FOUND' } })] }]);
    const run = await world.services.prisma.operationRun.findFirstOrThrow({ where: { tenantId: ALPINE } });
    const byRun = await subscribe('outsider@other.test', RUN_UPDATES, { runId: run.id });
    await until(() => byRun.events.length + byRun.errors.length > 0);
    expect(byRun.events).toEqual([{ errors: [expect.objectContaining({ message: 'Operation run not found', extensions: { code: 'NOT_FOUND' } })] }]);
  });

  it.each([
    ['no token', null, undefined],
    ['a garbage token', null, 'Bearer garbage'],
  ])('closes the socket with 4403 for %s', async (_name, as, token) => {
    const sub = await subscribe(as, RUN_UPDATES, {}, token ?? undefined);
    await until(() => sub.closed.code !== undefined);
    expect(sub.closed.code).toBe(4403);
  });
});

describe('subscriptions over SSE', () => {
  it('streams run updates as server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await world.token('owner@contoso.test')}` },
      body: JSON.stringify({ query: RUN_UPDATES, variables: { tenantId: ALPINE } }),
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })();
    await sleep(400);
    const started = await http(START_SYNC, { tenantId: ALPINE }, 'owner@contoso.test');
    const runId = started.data.startDirectorySync.run.id;
    await until(() => text.includes('"SUCCEEDED"'));
    controller.abort();
    await reading;
    const statuses = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)).data?.operationRunUpdated)
      .filter((r) => r?.id === runId)
      .map((r) => r.status);
    expect(statuses).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
  });
});

describe('health and readiness', () => {
  it('/health is 200 and /ready reports Postgres and Redis', async () => {
    const health = await fetch(`${api.url}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${api.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { ok: true, postgres: 'ok', redis: 'ok' }]);
  });

  // /ready 503 while Redis is down: test/e2e/redis-outage.test.ts (an API can no longer start without Redis).
});
