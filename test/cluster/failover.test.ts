// Redis Cluster failover (issue 22): three masters with one replica each. The master that holds
// the workspace's run channel and two of the queue shards is killed for good; its replica takes
// over. No run is stranded, the subscription made before the failover goes on receiving, /ready
// answers 503 until every slot is served again, and starts go on. Its own private cluster (six
// nodes), so killing a master never touches the lane's shared one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../src/gate/start-gate.js';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import { fetchReady, masterOf, seedTenants, tenantsOnShards } from '../support/cluster.js';
import { startPrivateCluster, type PrivateCluster } from '../support/private-services.js';
import { recordRunEvents } from '../support/run-events.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let cluster: PrivateCluster;
let world: World;
let workers: Workers | null = null;

beforeAll(async () => {
  cluster = await startPrivateCluster(3, 1);
  world = await createWorld({
    REDIS_CLUSTER_NODES: cluster.nodes,
    // The reconciler re-dispatches a queued run whose job the failover lost (asynchronous
    // replication may lose the newest writes); a worker's lock on a lost job expires soon.
    RECONCILE_INTERVAL_MS: 500,
    WORKER_LOCK_MS: 1_000,
  });
  await seedTenants(world, 200);
}, 120_000);

afterAll(async () => {
  await workers?.close();
  await world?.close();
  await cluster?.close();
});

const statusOf = async (runId: string) =>
  (await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: runId } })).status;

describe('a 3-master Redis Cluster with one replica per master', () => {
  it('a master fails over to its replica: no run stranded, the subscriber goes on, /ready follows, starts go on', async () => {
    const workspaceId = ids.workspace('Contoso MSP');
    const { names } = world.services;
    expect(await cluster.masters()).toHaveLength(3);
    // The victim serves the workspace's run channel and two of the six queue shards.
    const victim = masterOf(world, names.runsChannel(workspaceId));
    const onVictim = (shard: number) =>
      masterOf(world, `${names.operationsQueues[shard].prefix}:operations:wait`) === victim;
    const victimTenants = tenantsOnShards(world, onVictim);
    const otherTenant = tenantsOnShards(world, (shard) => !onVictim(shard))[0];
    expect(victimTenants).toHaveLength(2);
    const tenants = [...victimTenants, otherTenant];

    const events = await recordRunEvents(world.services.bus, workspaceId);
    const runIds: string[] = [];
    for (const tenantId of tenants) {
      const started = await world.services.gate.start(SYSTEM, { type: 'TENANT_VERIFICATION', tenantId });
      expect(started.status).toBe('QUEUED');
      runIds.push((started as { run: { id: string } }).run.id);
    }
    await waitFor(() => runIds.every((id) => events.statusesOf(id).includes('QUEUED')), {
      timeoutMs: 10_000,
      what: 'the QUEUED events before the failover',
    });

    // /ready while the failover happens: 503 until every slot is served again, then 200.
    const answers: number[] = [];
    const watched = waitFor(
      async () => {
        answers.push((await fetchReady(world)).status as number);
        return answers.includes(503) && answers.at(-1) === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: '/ready to answer 503 during the failover and 200 after it' },
    );
    await cluster.kill(victim);
    await waitFor(async () => !(await cluster.masters()).includes(victim) && (await cluster.masters()).length === 3, {
      timeoutMs: 30_000,
      what: `a replica of ${victim} to be promoted`,
    });
    await cluster.ok();
    await watched;
    expect(answers.indexOf(503)).toBeLessThan(answers.lastIndexOf(200));

    // Workers after the failover: every run reaches SUCCEEDED (its job replicated, or re-dispatched).
    workers = await startWorkers(world.services);
    for (const runId of runIds)
      await waitFor(async () => (await statusOf(runId)) === 'SUCCEEDED', {
        timeoutMs: 30_000,
        what: `run ${runId} to succeed after the failover`,
      });
    // The subscription made before the failover gets the events published on the promoted replica.
    await waitFor(() => runIds.every((id) => events.statusesOf(id).includes('SUCCEEDED')), {
      timeoutMs: 10_000,
      what: 'the SUCCEEDED events on the subscription made before the failover',
    });
    events.stop();

    // A start on a failed-over shard takes the lock, queues its job on the new master and runs.
    const again = await world.services.gate.start(SYSTEM, { type: 'TENANT_VERIFICATION', tenantId: victimTenants[0] });
    expect(again.status).toBe('QUEUED');
    const runId = (again as { run: { id: string } }).run.id;
    expect(await world.services.dispatcher.getJob(runId, victimTenants[0])).toBeDefined();
    await waitFor(async () => (await statusOf(runId)) === 'SUCCEEDED', {
      timeoutMs: 30_000,
      what: 'the start after the failover to succeed',
    });
  }, 180_000);
});
