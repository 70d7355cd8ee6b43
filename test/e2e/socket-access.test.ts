// End to end, against a real API process: a graphql-ws socket does not outlive its access
// (issue 9, items 2 and 3; docs/behaviour.md#transport-authentication-and-configuration). When its token expires, or its user is
// deleted, the server closes it with 4403; a socket with valid access stays open beside it.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseSubscribe } from '../support/clients.js';
import { StartDirectorySync } from '../support/documents.js';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let api: AtlasProcess;
const clients: Client[] = [];

beforeAll(async () => {
  world = await createWorld();
  api = await spawnAtlas('api', world.config, { VIEWER_CACHE_MS: '500' });
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await api?.stop();
  await world?.close();
});

type Socket = {
  closes: { code: number; reason: string }[];
  connected: () => boolean;
  pongs: () => number;
  ping: () => void;
};

function connect(token: string): Socket {
  const closes: Socket['closes'] = [];
  let connected = false;
  let pongs = 0;
  let socket: WebSocket | undefined;
  const client = createClient({
    url: `ws://127.0.0.1:${api.port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    keepAlive: 0,
    onNonLazyError: () => undefined,
    on: {
      opened: (s) => void (socket = s as WebSocket),
      connected: () => void (connected = true),
      pong: () => void pongs++,
      closed: (e) =>
        void closes.push({ code: (e as { code: number }).code, reason: String((e as { reason: unknown }).reason) }),
    },
  });
  clients.push(client);
  // A graphql-ws ping answered by a pong proves the socket is open and served right now.
  const ping = () => socket?.send(JSON.stringify({ type: 'ping' }));
  return { closes, connected: () => connected, pongs: () => pongs, ping };
}

/** Positive control: the socket still answers a ping. */
async function stillServed(socket: Socket) {
  const before = socket.pongs();
  socket.ping();
  await waitFor(() => socket.pongs() > before, { what: 'a pong on the control socket' });
  expect(socket.closes).toEqual([]);
}

describe('a graphql-ws socket and its access', () => {
  it('is closed with 4403 when its token expires (every socket of that token, one timer for them all)', async () => {
    const shortLived = await world.services.tokens.sign(ids.user('reader@contoso.test'), '3s');
    const expiring = connect(shortLived);
    const sameToken = connect(shortLived);
    const leaving = connect(shortLived);
    const control = connect(await world.token('reader@contoso.test'));
    await waitFor(() => [expiring, sameToken, leaving, control].every((s) => s.connected()), {
      what: 'the sockets to be acknowledged',
    });
    // One of the token's sockets goes away first: the others still expire with it.
    await clients[clients.length - 2].dispose();
    await waitFor(() => expiring.closes.length > 0 && sameToken.closes.length > 0, {
      what: 'the expired sockets to close',
      timeoutMs: 8_000,
    });
    expect(expiring.closes).toEqual([{ code: 4403, reason: 'Token expired' }]);
    expect(sameToken.closes).toEqual([{ code: 4403, reason: 'Token expired' }]);
    expect(leaving.closes.map((c) => c.code)).toEqual([1000]);
    await stillServed(control);
  });

  it('is closed with 4403 when its user is deleted', async () => {
    const { prisma } = world.services;
    const user = await prisma.user.create({
      data: {
        email: 'leaver@contoso.test',
        displayName: 'Leaver',
        memberships: { create: { workspaceId: ids.workspace('Contoso MSP'), role: 'READONLY' } },
      },
    });
    const leaving = connect(await world.services.tokens.sign(user.id));
    const control = connect(await world.token('reader@contoso.test'));
    await waitFor(() => leaving.connected() && control.connected(), { what: 'both sockets to be acknowledged' });
    await stillServed(leaving);

    await prisma.user.delete({ where: { id: user.id } });
    await waitFor(() => leaving.closes.length > 0, { what: "the deleted user's socket to close", timeoutMs: 8_000 });
    expect(leaving.closes).toEqual([{ code: 4403, reason: 'Forbidden' }]);
    await stillServed(control);
  });
});

describe('an SSE subscription and its token', () => {
  const RUN_UPDATES = 'subscription ($tenantId: ID) { operationRunUpdated(tenantId: $tenantId) { id status } }';

  it('ends with UNAUTHENTICATED when its token expires; a stream with a valid token keeps delivering', async () => {
    const variables = { tenantId: ids.tenant('Alpine') };
    const shortLived = await world.services.tokens.sign(ids.user('reader@contoso.test'), '3s');
    const expiring = await sseSubscribe(api.url, shortLived, RUN_UPDATES, variables, { ack: true });
    const control = await sseSubscribe(api.url, await world.token('reader@contoso.test'), RUN_UPDATES, variables, {
      ack: true,
    });
    await Promise.all([expiring.live, control.live]);

    await expiring.ended;
    const last = expiring.events.at(-1);
    expect(last?.errors?.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);

    // Positive control: the same subscription with a valid token still delivers the next run event.
    const started = await world.gql(StartDirectorySync, variables, 'owner@contoso.test');
    const runId = (started.data?.result as { run?: { id: string } } | undefined)?.run?.id;
    await waitFor(() => control.events.some((e) => e.data?.operationRunUpdated?.id === runId), {
      what: 'the run event on the control stream',
    });
    control.close();
  });
});
