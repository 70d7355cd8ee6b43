// The subscription ack is an observation of Redis, not a guess: with the API's SUBSCRIBE held
// back by a proxy, no ack comes (and an event published meanwhile never reaches the
// subscription); once Redis has the SUBSCRIBE, the ack comes first and later events arrive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/app.js';
import { startServer, type ApiServer } from '../../src/server.js';
import { runUpdates, wsSubscribe, type Recorded } from '../support/clients.js';
import { StartDirectorySync } from '../support/documents.js';
import { startRedisProxy, type RedisProxy } from '../support/redis-proxy.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let proxy: RedisProxy;
let services: Services;
let api: ApiServer;
const sockets: Recorded[] = [];

beforeAll(async () => {
  world = await createWorld();
  proxy = await startRedisProxy(world.config.REDIS_URL);
  // The API's Redis clients go through the proxy; the world's own (which publish here) do not.
  services = createServices(
    { ...world.config, REDIS_URL: proxy.url, REDLOCK_URLS: undefined },
    { log: world.services.log },
  );
  api = await startServer(services, 0, '127.0.0.1');
});

afterAll(async () => {
  for (const s of sockets) await s.client.dispose();
  await api?.close();
  await services?.close();
  await proxy?.close();
  await world?.close();
});

const CEDAR = ids.tenant('Cedar');
const RUN_UPDATES = 'subscription ($tenantId: ID) { operationRunUpdated(tenantId: $tenantId) { id status } }';
const port = () => Number(new URL(api.url).port);

/** A blocked start on Cedar: recorded and published at once (through the world's own Redis client). */
async function blockedOnCedar(): Promise<string> {
  const res = await world.gql(StartDirectorySync, { tenantId: CEDAR });
  const result = res.data!.result;
  if (result.__typename !== 'StartBlocked') throw new Error(`expected StartBlocked, got ${JSON.stringify(result)}`);
  return result.run.id;
}

describe('subscription acknowledgement', () => {
  it('comes only once Redis has subscribed the channel, and before every event', async () => {
    proxy.holdSubscribes();
    const sub = wsSubscribe(port(), await world.token('owner@contoso.test'), RUN_UPDATES, { tenantId: CEDAR }, 0, {
      ack: true,
    });
    sockets.push(sub);
    await waitFor(() => proxy.heldSubscribes() > 0, { what: "the API's SUBSCRIBE to reach the proxy" });

    // Redis has not subscribed the API yet: this event is lost to the subscription, so no ack may have come.
    const duringHold = await blockedOnCedar();
    expect(sub.events).toEqual([]);

    proxy.release();
    await sub.live;
    const afterAck = await blockedOnCedar();
    await waitFor(() => runUpdates(sub.events).some((r) => r.id === afterAck), {
      what: 'the event published after the ack',
    });
    expect(sub.events[0]).toEqual({ extensions: { subscribed: true } });
    expect(runUpdates(sub.events)).toEqual([{ id: afterAck, status: 'BLOCKED' }]);
    expect(duringHold).not.toBe(afterAck);
  });
});
