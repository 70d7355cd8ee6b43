// Helpers of the Redis Cluster files (test/cluster): which master serves a key, commands per master,
// tenants to spread over the queue shards, and /ready of an API on a world's services.
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { startServer } from '../../src/server.js';
import { createTenants, tenantIdOf } from './tenants.js';
import { ids, type World } from './world.js';

const clusterOf = (world: World) => world.services.redis as Cluster;

/** Which master (by port) serves a key's slot, as the world's client sees the cluster now. */
export function masterOf(world: World, key: string): number {
  const [nodeKey] = clusterOf(world).slots[calculateSlot(key)];
  return Number(nodeKey.split(':')[1]);
}

/** Commands each master has processed so far, by port. */
export async function commandsPerMaster(world: World): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const node of clusterOf(world).nodes('master')) {
    const info = (await node.info('stats')) as string;
    counts.set(node.options.port!, Number(/total_commands_processed:(\d+)/.exec(info)![1]));
  }
  return counts;
}

/** Every key of the world's prefix, by the master holding it. */
export async function keysPerMaster(world: World): Promise<Map<number, string[]>> {
  const keys = new Map<number, string[]>();
  for (const node of clusterOf(world).nodes('master')) {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${world.config.REDIS_PREFIX}:*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    keys.set(node.options.port!, found);
  }
  return keys;
}

export const clusterTenantId = (i: number) => tenantIdOf('Cluster', i);

/** `count` active tenants of Contoso MSP with a valid simulated default connection each. */
export function seedTenants(world: World, count: number): Promise<string[]> {
  return createTenants(world.services.prisma, ids.workspace('Contoso MSP'), 'Cluster', count);
}

/** One seeded tenant per operations queue shard accepted by `want`, in shard order. */
export function tenantsOnShards(world: World, want: (shard: number) => boolean): string[] {
  const picked = new Map<number, string>();
  const shards = world.services.names.operationsQueues.map((_, i) => i).filter(want);
  for (let i = 0; picked.size < shards.length; i++) {
    const shard = world.services.names.operationsShardOf(clusterTenantId(i));
    if (shards.includes(shard) && !picked.has(shard)) picked.set(shard, clusterTenantId(i));
  }
  return [...picked.entries()].sort(([a], [b]) => a - b).map(([, tenantId]) => tenantId);
}

/** /ready's answer of an API on the world's services. */
export async function fetchReady(world: World): Promise<Record<string, unknown>> {
  const server = await startServer(world.services, 0, '127.0.0.1');
  try {
    const res = await fetch(`${server.url}/ready`);
    return { status: res.status, ...((await res.json()) as Record<string, unknown>) };
  } finally {
    await server.close();
  }
}
