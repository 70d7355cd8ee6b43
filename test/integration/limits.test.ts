// Abuse bounds and truthful transient failures of one API process (issue 9, items 5, 7 and 8):
// request body and WebSocket frame size, sockets per user, subscriptions per socket and per
// user (graphql-ws and SSE), client mistakes over graphql-ws, a retryable close while PostgreSQL
// is unreachable, and a dispatch that timed out although its job was queued.
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/app.js';
import { redisOptions } from '../../src/redis/connections.js';
import { ScopeLock } from '../../src/gate/scope-lock.js';
import { StartGate, type Initiator } from '../../src/gate/start-gate.js';
import type { OperationRun } from '../../src/generated/prisma/client.js';
import { JobDispatcher } from '../../src/jobs/dispatch.js';
import { startServer, type ApiServer } from '../../src/server.js';
import { freePort } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let server: ApiServer;
const clients: Client[] = [];
const sockets: WebSocket[] = [];
const LIMITS = {
  HTTP_MAX_BODY_BYTES: 4_096,
  WS_MAX_PAYLOAD_BYTES: 4_096,
  WS_MAX_CONNECTIONS_PER_USER: 2,
  MAX_SUBSCRIPTIONS_PER_CONNECTION: 2,
  MAX_SUBSCRIPTIONS_PER_USER: 3,
};

beforeAll(async () => {
  world = await createWorld(LIMITS);
  server = await startServer(world.services, 0);
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  for (const s of sockets) s.terminate();
  await server?.close();
  await world?.close();
});

const wsUrl = () => server.url.replace('http', 'ws') + '/graphql';
const owner: Initiator = {
  userId: ids.user('owner@contoso.test'),
  roles: new Map([[ids.workspace('Contoso MSP'), 'OWNER' as const]]),
};
/** A BLOCKED start on Cedar: one run event, no worker needed. */
const blockedStart = () =>
  world.services.gate.start(owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ids.tenant('Cedar') });
const RUN_UPDATES = 'subscription { operationRunUpdated(tenantId: "' + ids.tenant('Cedar') + '") { id status } }';

type Socket = { client: Client; closes: number[]; connected: () => boolean };

async function connect(as: string, extra: Partial<Parameters<typeof createClient>[0]> = {}): Promise<Socket> {
  const closes: number[] = [];
  let connected = false;
  const client = createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${await world.token(as)}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: { connected: () => void (connected = true), closed: (e) => void closes.push((e as { code: number }).code) },
    ...extra,
  });
  clients.push(client);
  return { client, closes, connected: () => connected };
}

type Sub = { events: any[]; errors: any[]; stop: () => void };
function subscribe(socket: Socket, query = RUN_UPDATES): Sub {
  const sub: Sub = { events: [], errors: [], stop: () => undefined };
  sub.stop = socket.client.subscribe(
    { query },
    { next: (v) => sub.events.push(v), error: (e) => sub.errors.push(e), complete: () => undefined },
  );
  return sub;
}

/** Subscriptions have no "subscribed" ack: produce events until each live one has seen one. */
async function untilLive(subs: Sub[]) {
  await waitFor(
    async () => {
      if (subs.every((s) => s.events.some((e) => e.data?.operationRunUpdated))) return true;
      await blockedStart();
      return false;
    },
    { what: 'subscriptions to deliver', intervalMs: 100 },
  );
}

const errorCode = (sub: Sub) =>
  sub.events.find((e) => e.errors)?.errors[0]?.extensions?.code ?? sub.errors[0]?.[0]?.extensions?.code;

describe('HTTP body size', () => {
  const query = (padding: number) => JSON.stringify({ query: `{ me { id } } # ${'x'.repeat(padding)}` });
  const post = async (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await world.token('owner@contoso.test')}`,
        ...headers,
      },
      body,
      duplex: 'half',
    } as RequestInit);

  it('answers a body over HTTP_MAX_BODY_BYTES with 413 and a GraphQL error, by Content-Length', async () => {
    const res = await post(query(LIMITS.HTTP_MAX_BODY_BYTES));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      errors: [
        {
          message: 'Request body too large: the limit is 4096 bytes',
          extensions: { code: 'BAD_USER_INPUT', limit: 4096 },
        },
      ],
    });
  });

  it('and when it streams in chunks without a Content-Length', async () => {
    const chunks = [query(0).slice(0, -2), ` # ${'y'.repeat(3_000)}`, ` # ${'z'.repeat(3_000)}`, '"}'];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(new TextEncoder().encode(next));
        else controller.close();
      },
    });
    const res = await post(stream);
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('serves a body within the limit (control)', async () => {
    const res = await post(query(LIMITS.HTTP_MAX_BODY_BYTES - 200));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: { id: ids.user('owner@contoso.test') } } });
  });
});

describe('WebSocket bounds', () => {
  it('closes a socket that sends a frame over WS_MAX_PAYLOAD_BYTES with 1009, and keeps serving others', async () => {
    const raw = new WebSocket(wsUrl(), 'graphql-transport-ws');
    sockets.push(raw);
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { authorization: `Bearer ${await world.token('reader@contoso.test')}`, pad: 'x'.repeat(5_000) },
      }),
    );
    expect(await closed).toBe(1009);

    const control = await connect('reader@contoso.test');
    const sub = subscribe(control);
    await untilLive([sub]);
    control.client.dispose();
  });

  it('refuses a user their third socket with 4429, while another user connects', async () => {
    const first = await connect('manager@contoso.test');
    const second = await connect('manager@contoso.test');
    await waitFor(() => first.connected() && second.connected(), { what: 'two sockets' });
    const third = await connect('manager@contoso.test');
    await waitFor(() => third.closes.length > 0, { what: 'the third socket to close' });
    expect(third.closes).toEqual([4429]);
    expect(third.connected()).toBe(false);
    const other = await connect('operator@contoso.test');
    await waitFor(() => other.connected(), { what: 'another user' });

    // A closed socket frees its place.
    await first.client.dispose();
    const again = await connect('manager@contoso.test');
    await waitFor(() => again.connected(), { what: 'a socket after one closed' });
    for (const s of [second, other, again]) await s.client.dispose();
  });

  it('bounds subscriptions per connection: the third gets RATE_LIMITED, the first two keep delivering', async () => {
    const socket = await connect('operator@contoso.test');
    const [a, b] = [subscribe(socket), subscribe(socket)];
    await untilLive([a, b]);
    const c = subscribe(socket);
    await waitFor(() => errorCode(c), { what: 'the third subscription to be refused' });
    expect(errorCode(c)).toBe('RATE_LIMITED');
    const [aBefore, bBefore] = [a.events.length, b.events.length];
    await blockedStart();
    await waitFor(() => a.events.length > aBefore && b.events.length > bBefore, {
      what: 'the first two to keep delivering',
    });

    // Completing one frees its place on the connection.
    a.stop();
    const d = subscribe(socket);
    await untilLive([d]);
    expect(errorCode(d)).toBeUndefined();
    await socket.client.dispose();
  });

  it('bounds subscriptions per user across sockets and SSE', async () => {
    const [one, two] = [await connect('owner@contoso.test'), await connect('owner@contoso.test')];
    const subs = [subscribe(one), subscribe(one), subscribe(two)];
    await untilLive(subs);
    // Grouped (they skip Yoga's envelop): the quota counts them all the same.
    expect(server.groups.stats().members).toBe(3);
    const fourth = subscribe(two);
    await waitFor(() => errorCode(fourth), { what: 'the fourth subscription to be refused' });
    expect(errorCode(fourth)).toBe('RATE_LIMITED');
    expect(fourth.events.find((e) => e.errors)?.errors[0]?.message ?? '').toMatch(
      /Too many subscriptions: this user has 3 open \(limit 3\)/,
    );

    const sse = async () => {
      const controller = new AbortController();
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${await world.token('owner@contoso.test')}`,
        },
        body: JSON.stringify({ query: RUN_UPDATES }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      })();
      return { text: () => text, close: () => controller.abort() };
    };
    const refused = await sse();
    await waitFor(() => refused.text().includes('RATE_LIMITED'), { what: 'SSE to be refused' });
    refused.close();

    // Ending a WebSocket subscription lets the SSE one in, and it delivers.
    subs[0].stop();
    const admitted = await sse();
    await waitFor(
      async () => {
        if (admitted.text().includes('"operationRunUpdated"')) return true;
        await blockedStart();
        return false;
      },
      { what: 'the SSE subscription to deliver', intervalMs: 100 },
    );
    expect(admitted.text()).not.toContain('RATE_LIMITED');
    admitted.close();
    await one.client.dispose();
    await two.client.dispose();
  });

  it('answers a syntax error or an armor limit over graphql-ws as an error for that operation, not a 4500 close', async () => {
    const socket = await connect('reader@contoso.test');
    const broken = subscribe(socket, 'subscription { operationRunUpdated(');
    const deep = subscribe(
      socket,
      `subscription { operationRunUpdated { ${'parent { '.repeat(12)}id${' }'.repeat(12)} } }`,
    );
    await waitFor(() => broken.errors.length > 0 && deep.errors.length > 0, { what: 'both errors' });
    expect(broken.errors[0][0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(deep.errors[0][0]).toEqual(
      expect.objectContaining({
        message: expect.stringMatching(/^Query depth limit of 12 exceeded/),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    );
    const live = subscribe(socket);
    await untilLive([live]);
    expect(socket.closes).toEqual([]);
    await socket.client.dispose();
  });
});

describe('PostgreSQL unreachable while a client connects', () => {
  it('closes with 1013 Try Again Later, which the graphql-ws client retries', async () => {
    const deadPort = await freePort();
    const log = pino({ level: 'silent' });
    const services = createServices(
      { ...world.config, DATABASE_URL: `postgresql://postgres@127.0.0.1:${deadPort}/atlas_gate_nowhere` },
      { log },
    );
    const cut = await startServer(services, 0);
    try {
      let attempts = 0;
      const closes: number[] = [];
      const client = createClient({
        url: cut.url.replace('http', 'ws') + '/graphql',
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${await world.token('owner@contoso.test')}` },
        retryAttempts: 2,
        retryWait: async () => undefined,
        lazy: false,
        onNonLazyError: () => undefined,
        on: { connecting: () => void attempts++, closed: (e) => void closes.push((e as { code: number }).code) },
      });
      clients.push(client);
      await waitFor(() => closes.length >= 3, { what: 'the first attempt and two retries', timeoutMs: 15_000 });
      expect(closes.slice(0, 3)).toEqual([1013, 1013, 1013]);
      expect(attempts).toBeGreaterThanOrEqual(3);
    } finally {
      await cut.close();
      await services.close();
    }
  });
});

describe('a dispatch that times out', () => {
  /** A real BullMQ queue whose add succeeds but whose answer never arrives (a stalled reply). */
  class SilentAfterAdd extends JobDispatcher {
    override async dispatch(run: Pick<OperationRun, 'id' | 'type' | 'providerConnectionId' | 'tenantId'>) {
      await super.dispatch(run);
      await new Promise(() => undefined);
    }
  }
  /** Never reaches the queue at all. */
  class NeverAdds extends JobDispatcher {
    override dispatch(): Promise<void> {
      return new Promise(() => undefined);
    }
  }

  const gateWith = (Dispatcher: typeof JobDispatcher) => {
    const connection = new Redis({ ...redisOptions(world.config.REDIS_URL), maxRetriesPerRequest: 2 });
    const dispatcher = new Dispatcher(connection, world.services.names, world.services.log);
    const { store, lifecycle, log, redis } = world.services;
    const gate = new StartGate(
      store,
      lifecycle,
      new ScopeLock(redis, (tenantId) => world.services.names.scopeLock(tenantId)),
      dispatcher,
      world.services.providers,
      log,
      {
        dispatchTimeoutMs: 300,
      },
    );
    return { gate, close: () => dispatcher.close() };
  };

  it('is an accepted start when the job is in fact queued', async () => {
    const { gate, close } = gateWith(SilentAfterAdd);
    try {
      const outcome = await gate.start(owner, { type: 'TENANT_VERIFICATION', tenantId: ids.tenant('Alpine') });
      expect(outcome.status).toBe('QUEUED');
      const run = await world.services.prisma.operationRun.findUniqueOrThrow({
        where: { id: outcome.status === 'QUEUED' ? outcome.run.id : '' },
      });
      expect(run.status).toBe('QUEUED');
      expect(await world.services.dispatcher.getJob(run.id)).toBeTruthy();
    } finally {
      await close();
    }
  });

  it('fails the run with DISPATCH_FAILED and answers SERVICE_UNAVAILABLE when it is not (control)', async () => {
    const { gate, close } = gateWith(NeverAdds);
    try {
      await expect(
        gate.start(owner, {
          type: 'TENANT_VERIFICATION',
          tenantId: ids.tenant('Birch'),
          providerConnectionId: ids.connection('Birch', 'Birch Graph (secondary)'),
        }),
      ).rejects.toMatchObject({
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      const run = await world.services.prisma.operationRun.findFirstOrThrow({
        where: { tenantId: ids.tenant('Birch'), type: 'TENANT_VERIFICATION' },
      });
      expect([run.status, run.reasonCode]).toEqual(['FAILED', 'DISPATCH_FAILED']);
      expect(await world.services.dispatcher.getJob(run.id)).toBeFalsy();
    } finally {
      await close();
    }
  });
});
