// A client that stops reading (docs/behaviour.md#realtime-subscriptions), against a real API
// process: once its socket's unsent data passes WS_MAX_BUFFERED_BYTES the server closes it with
// 1013, and a subscriber beside it receives every event meanwhile, exactly once and in order.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let api: AtlasProcess;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  world = await createWorld();
  api = await spawnAtlas('api', world.config, { WS_MAX_BUFFERED_BYTES: '65536' });
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.terminate();
  await api?.stop();
  await world?.close();
});

const SUBSCRIPTION = `subscription ($tenantId: ID) {
  operationRunUpdated(tenantId: $tenantId) { id status reason { code message } }
}`;

type Subscriber = { socket: WebSocket; received: string[]; closed: Promise<{ code: number; reason: string }> };

/** A graphql-ws subscriber on the raw protocol, so the test can stop reading its TCP socket. */
async function subscribe(token: string): Promise<Subscriber> {
  const socket = new WebSocket(`ws://127.0.0.1:${api.port}/graphql`, 'graphql-transport-ws');
  sockets.push(socket);
  const received: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const acked = new Promise<void>((resolve) =>
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === 'connection_ack') resolve();
      if (message.type === 'next') received.push(message.payload.data.operationRunUpdated.id);
    }),
  );
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  socket.send(
    JSON.stringify({
      id: '1',
      type: 'subscribe',
      payload: { query: SUBSCRIPTION, variables: { tenantId: ids.tenant('Alpine') } },
    }),
  );
  return { socket, received, closed };
}

describe('a subscriber that stops reading', () => {
  it('is closed with 1013 once its unsent data passes WS_MAX_BUFFERED_BYTES; the subscriber beside it gets every event', {
    timeout: 120_000,
  }, async () => {
    const token = await world.token('owner@contoso.test');
    const healthy = await subscribe(token);
    const stalled = await subscribe(token);

    // Both live: a probe event reaches both.
    const run = await world.services.prisma.operationRun.create({
      data: {
        type: 'DIRECTORY_GROUPS_SYNC',
        status: 'RUNNING',
        tenantId: ids.tenant('Alpine'),
        dedupeKey: 'slow-consumer-probe',
        scopeClass: 'SHARED',
      },
    });
    const workspaceId = ids.workspace('Contoso MSP');
    await waitFor(
      async () => {
        await world.services.bus.runUpdated({ workspaceId, run });
        return healthy.received.length > 0 && stalled.received.length > 0;
      },
      { what: 'both subscriptions to be live' },
    );

    // The stalled client stops reading; ~12 MB of events follow (more than the kernel's socket
    // buffers on both ends, so the server's own buffer fills past the bound).
    (stalled.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const EVENTS = 200;
    const big = 'x'.repeat(60_000);
    const sent = Array.from({ length: EVENTS }, () => crypto.randomUUID());
    for (const [i, id] of sent.entries()) {
      await world.services.bus.runUpdated({
        workspaceId,
        run: { ...run, id, reasonCode: 'PROVIDER_ERROR', reasonMessage: `${i} ${big}` },
      });
    }
    const bulk = (s: Subscriber) => s.received.filter((id) => id !== run.id);
    await waitFor(() => bulk(healthy).length === EVENTS, {
      timeoutMs: 60_000,
      what: `the healthy subscriber to receive all ${EVENTS} events`,
    });
    expect(bulk(healthy)).toEqual(sent);
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN);

    // Reading again, the stalled client finds what was queued before the bound, then the close.
    (stalled.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const close = await stalled.closed;
    expect(close).toEqual({ code: 1013, reason: 'Try again later: too slow' });
    expect(bulk(stalled).length).toBeLessThan(EVENTS);
    expect(api.output.join('')).toMatch(/websocket closed: the client is not reading/);
  });
});
