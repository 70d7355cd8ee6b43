// Pub/sub on either topology. On a single node: PUBLISH / SUBSCRIBE. On a Redis Cluster, sharded
// pub/sub (Redis 7: SPUBLISH / SSUBSCRIBE): a message stays on the shard that owns its channel's
// slot instead of being forwarded to every node, so per-workspace channels spread over the
// masters. ioredis re-subscribes either kind after a reconnect (sharded: since its PR #2021;
// test/cluster covers a master restart). Channels are always named (never a bare SUNSUBSCRIBE:
// ioredis #2133).
import { Cluster } from 'ioredis';
import type { RedisClient } from './connections.js';

export type Publisher = { publish(channel: string, message: string): Promise<unknown> };

export type Subscriber = {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** Calls `listener` with every message of every channel this client subscribed to; returns the removal. */
  onMessage(listener: (channel: string, message: string) => void): () => void;
};

export function publisherOn(client: RedisClient): Publisher {
  if (client instanceof Cluster) return { publish: (channel, message) => client.spublish(channel, message) };
  return { publish: (channel, message) => client.publish(channel, message) };
}

export function subscriberOn(client: RedisClient): Subscriber {
  const sharded = client instanceof Cluster;
  const event = sharded ? 'smessage' : 'message';
  return {
    subscribe: (channel) => (sharded ? client.ssubscribe(channel) : client.subscribe(channel)),
    unsubscribe: (channel) => (sharded ? client.sunsubscribe(channel) : client.unsubscribe(channel)),
    onMessage(listener) {
      client.on(event, listener);
      return () => void client.off(event, listener);
    },
  };
}
