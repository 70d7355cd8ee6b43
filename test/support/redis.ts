import { Cluster } from 'ioredis';
import { type RedisClient, RedisConnections, type RedisTopology } from '../../src/redis/connections.js';

/**
 * Removes every key under a test's (or benchmark's) prefix, and nothing else: on a single node
 * (a URL, or a config without REDIS_CLUSTER_NODES) or on every master of a cluster. Keys are
 * unlinked one by one: on a cluster a multi-key command must stay within one slot.
 */
export async function deleteRedisPrefix(where: string | RedisTopology, prefix: string): Promise<string[]> {
  const topology = typeof where === 'string' ? { REDIS_URL: where } : where;
  const client = new RedisConnections(topology).client('commands');
  const deleted: string[] = [];
  try {
    const nodes = client instanceof Cluster ? await masters(client) : [client];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length) {
          const pipeline = node.pipeline();
          for (const key of keys) pipeline.unlink(key);
          await pipeline.exec();
        }
        deleted.push(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}

/** A cluster's masters, once it has learnt its slots. */
async function masters(cluster: Cluster) {
  if (cluster.status !== 'ready') await new Promise((resolve) => cluster.once('ready', resolve));
  return cluster.nodes('master');
}

/** How many connections subscribe to a channel: PUBSUB NUMSUB on a node, SHARDNUMSUB summed over a cluster's masters. */
export async function channelSubscribers(client: RedisClient, channel: string): Promise<number> {
  if (!(client instanceof Cluster)) return Number(((await client.pubsub('NUMSUB', channel)) as [string, number])[1]);
  let total = 0;
  for (const node of await masters(client))
    total += Number(((await node.pubsub('SHARDNUMSUB', channel)) as [string, number])[1]);
  return total;
}
