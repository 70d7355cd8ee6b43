// A cancel is decided by the database, so a Redis that hangs (it takes connections and answers
// nothing, as during a failover) must not hold the answer: the run event, the job's withdrawal and
// the relay to the worker follow when Redis answers. Before, the answer waited on each of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelRun, StartDirectorySync } from '../support/documents.js';
import { startRedisProxy, type RedisProxy } from '../support/redis-proxy.js';
import { createWorld, ids, type World } from '../support/world.js';

let proxy: RedisProxy;
let world: World;
beforeAll(async () => {
  proxy = await startRedisProxy(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  world = await createWorld({ REDIS_URL: proxy.url });
});
afterAll(async () => {
  proxy?.release();
  await world?.close();
  await proxy?.close();
});

const startSync = async (tenant: string) => {
  const res = await world.gql(StartDirectorySync, { tenantId: ids.tenant(tenant) });
  if (res.data?.result.__typename !== 'StartAccepted') throw new Error(JSON.stringify(res));
  return res.data.result.run.id;
};

describe('cancel while Redis hangs', () => {
  it('answers from the database: a QUEUED run is cancelled, a RUNNING one has its request recorded', async () => {
    const queued = await startSync('Alpine');
    const running = await startSync('Elm');
    await world.services.lifecycle.markRunning(running);

    proxy.holdEverything();
    const [first, second] = await Promise.all([
      world.gql(CancelRun, { runId: queued }),
      world.gql(CancelRun, { runId: running }),
    ]);
    expect([first.data?.result.__typename, second.data?.result.__typename]).toEqual([
      'RunCancelled',
      'CancelRequested',
    ]);
    const rows = await world.services.prisma.operationRun.findMany({
      where: { id: { in: [queued, running] } },
      orderBy: { tenant: { name: 'asc' } },
    });
    expect(rows.map((r) => [r.status, r.cancelRequestedAt !== null])).toEqual([
      ['CANCELLED', true],
      ['RUNNING', true],
    ]);
    // Control: Redis really was holding everything while the cancels were answered.
    expect(await Promise.race([world.services.redis.ping(), new Promise((r) => setImmediate(() => r('held')))])).toBe(
      'held',
    );
  });
});
