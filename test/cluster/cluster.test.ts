// Redis Cluster (issue 22): the work of many tenants spreads over the masters, and a master that
// dies and comes back empty strands no run and no subscriber. This file starts its own private
// 3-master cluster (the lane's shared one must not be restarted under the other files), so its
// command counts are its own.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../src/gate/start-gate.js';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import {
  commandsPerMaster,
  fetchReady,
  keysPerMaster,
  masterOf,
  seedTenants,
  tenantsOnShards,
} from '../support/cluster.js';
import { startPrivateCluster, type PrivateCluster } from '../support/private-services.js';
import { recordRunEvents } from '../support/run-events.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

const TENANTS = 2_000;
let cluster: PrivateCluster;
let world: World;
let workers: Workers | null = null;

beforeAll(async () => {
  cluster = await startPrivateCluster(3);
  world = await createWorld({
    REDIS_CLUSTER_NODES: cluster.nodes,
    // The reconciler finds runs whose job a restarted master lost (runs older than 5 s).
    RECONCILE_INTERVAL_MS: 500,
    WORKER_LOCK_MS: 1_000,
  });
}, 120_000);

afterAll(async () => {
  await workers?.close();
  await world?.close();
  await cluster?.close();
});

describe('on a 3-master Redis Cluster', () => {
  it('the world runs on it: a cluster client, ready, and the queue shards two per master', async () => {
    expect(world.services.redis).toBeInstanceOf(Cluster);
    const ready = await fetchReady(world);
    expect(ready).toMatchObject({ redis: 'ok' });
    const shards = world.services.names.operationsQueues.map((q) => masterOf(world, `${q.prefix}:operations:wait`));
    expect(shards).toHaveLength(6);
    const perMaster = new Map<number, number>();
    for (const port of shards) perMaster.set(port, (perMaster.get(port) ?? 0) + 1);
    expect([...perMaster.values()]).toEqual([2, 2, 2]);
    expect(new Set(perMaster.keys())).toEqual(new Set(cluster.ports));
  });

  it(`${TENANTS} tenants starting: every master holds jobs and carries 20-50 % of the commands`, async () => {
    const tenantIds = await seedTenants(world, TENANTS);
    const before = await commandsPerMaster(world);
    let next = 0;
    const statuses: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < tenantIds.length) {
          const tenantId = tenantIds[next++];
          statuses.push((await world.services.gate.start(SYSTEM, { type: 'TENANT_VERIFICATION', tenantId })).status);
        }
      }),
    );
    expect(statuses.filter((s) => s === 'QUEUED')).toHaveLength(TENANTS);
    const after = await commandsPerMaster(world);
    const spent = [...after].map(([port, n]) => n - before.get(port)!);
    const total = spent.reduce((a, b) => a + b, 0);
    const shares = spent.map((n) => n / total);
    for (const share of shares) {
      expect(share).toBeGreaterThanOrEqual(0.2);
      expect(share).toBeLessThanOrEqual(0.5);
    }
    // The jobs themselves: every master holds some of the 2,000, none most of them.
    const keys = await keysPerMaster(world);
    const jobs = [...keys.values()].map((found) => found.filter((k) => /:operations:[0-9a-f-]{36}$/.test(k)).length);
    expect(jobs.reduce((a, b) => a + b, 0)).toBe(TENANTS);
    for (const n of jobs) expect(n).toBeGreaterThan(TENANTS / 6);
    expect(await world.services.dispatcher.getJobCounts('waiting')).toEqual({ waiting: TENANTS });
    await world.services.dispatcher.obliterate();
    await world.services.prisma.operationRun.deleteMany();
  }, 120_000);

  it('every master killed and restarted empty: no run is stranded, the subscriber resumes, starts go on', async () => {
    // Three of the tenants seeded above, on three different queue shards (of all three masters).
    const tenants = tenantsOnShards(world, (shard) => shard % 2 === 0);
    const starts = tenants.map((tenantId) =>
      world.services.gate.start(SYSTEM, { type: 'TENANT_VERIFICATION', tenantId }),
    );
    const runIds = (await Promise.all(starts)).map((s) => {
      expect(s.status).toBe('QUEUED');
      return (s as { run: { id: string } }).run.id;
    });
    const events = await recordRunEvents(world.services.bus, ids.workspace('Contoso MSP'));
    // A master down and no replica to take its slots: the cluster says fail, and so does /ready.
    await cluster.kill(cluster.ports[0]);
    await waitFor(async () => (await cluster.stateSeenBy(cluster.ports[1])) === 'fail', {
      timeoutMs: 20_000,
      what: 'the surviving masters to see the cluster fail',
    });
    expect(await fetchReady(world)).toMatchObject({ status: 503, ok: false });
    await cluster.start(cluster.ports[0]);
    await cluster.ok();
    expect(await fetchReady(world)).toMatchObject({ status: 200, redis: 'ok' });
    // No persistence: each master comes back with its slots (nodes.conf) but none of its keys.
    for (let i = 1; i < cluster.ports.length; i++) await cluster.restartMaster(i);
    for (const runId of runIds) expect(await world.services.dispatcher.getJob(runId)).toBeUndefined();

    // Workers on the restarted cluster: the reconciler re-dispatches the queued runs whose job was lost.
    workers = await startWorkers(world.services);
    for (const runId of runIds)
      await waitFor(
        async () =>
          (await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: runId } })).status === 'SUCCEEDED',
        { timeoutMs: 30_000, what: `run ${runId} to succeed after the restarts` },
      );
    // The subscription made before the restarts saw them run (its sharded channel was re-subscribed).
    await waitFor(
      () => runIds.every((id) => events.seen.some((e) => e.run.id === id && e.run.status === 'SUCCEEDED')),
      {
        timeoutMs: 10_000,
        what: 'the SUCCEEDED events on the subscription made before the restarts',
      },
    );
    events.stop();
    // And a start after the restarts takes the lock and queues as ever.
    const again = await world.services.gate.start(SYSTEM, {
      type: 'TENANT_VERIFICATION',
      tenantId: tenants[0],
    });
    expect(again.status).toBe('QUEUED');
    expect(await world.services.dispatcher.getJob((again as { run: { id: string } }).run.id)).toBeDefined();
  }, 120_000);
});
