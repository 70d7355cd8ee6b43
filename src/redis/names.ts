// Every Redis key, key prefix and channel the product uses, named here and nowhere else (a guard
// test fails on a name composed in another file). Names start with REDIS_PREFIX (tests and
// environments share a Redis side by side); where keys must share a Redis Cluster hash slot, the
// part in braces is the hash tag:
//   - a BullMQ queue's keys all carry its queue's tag (BullMQ's Lua scripts touch several keys of
//     one queue at once); the operations queue is split into REDIS_QUEUE_SHARDS queues, each
//     with a tag of its own, so their work spreads over the masters;
//   - a workspace's run-event channel carries the workspace id, so sharded pub/sub spreads the
//     workspaces over the shards.
import calculateSlot from 'cluster-key-slot';

const SLOTS = 16_384;

export type QueueName = { name: string; prefix: string };

export class RedisNames {
  readonly operationsQueues: readonly QueueName[];

  constructor(
    readonly prefix: string,
    readonly queueShards = 1,
  ) {
    if (/[{}]/.test(prefix)) throw new Error('REDIS_PREFIX must not contain braces: the names add their own hash tags');
    this.operationsQueues = Array.from({ length: queueShards }, (_, shard) => ({
      name: 'operations',
      prefix: `${prefix}:bull:{${shardTag(shard, queueShards)}}`,
    }));
  }

  /** The names of a configuration: REDIS_QUEUE_SHARDS, else 6 on a cluster (two per master of 3) and 1 on a single node. */
  static of(config: { REDIS_PREFIX: string; REDIS_QUEUE_SHARDS?: number; REDIS_CLUSTER_NODES?: string }): RedisNames {
    return new RedisNames(config.REDIS_PREFIX, config.REDIS_QUEUE_SHARDS ?? (config.REDIS_CLUSTER_NODES ? 6 : 1));
  }

  /** The operations queue shard that takes a tenant's runs (every run of a tenant on one queue). */
  operationsShardOf(tenantId: string): number {
    return this.queueShards === 1 ? 0 : fnv1a(tenantId) % this.queueShards;
  }

  /** The schedule firings' queue (one: job schedulers are few and fire rarely). */
  get schedulesQueue(): QueueName {
    return { name: 'schedules', prefix: `${this.prefix}:bull:{schedules}` };
  }

  /** The tenant scope lock's key (one key per lease: no hash tag needed). */
  scopeLock(tenantId: string): string {
    return `${this.prefix}:scope:tenant:${tenantId}`;
  }

  /** rate-limiter-flexible's key prefix for one kind of budget (it appends the user id). */
  rateLimit(kind: string): string {
    return `${this.prefix}:ratelimit:${kind}`;
  }

  /** The prefix of every workspace's run-event channel (what a message's channel starts with). */
  get runsChannelPrefix(): string {
    return `${this.prefix}:events:runs:`;
  }

  /** A workspace's run events. */
  runsChannel(workspaceId: string): string {
    return `${this.runsChannelPrefix}{${workspaceId}}`;
  }

  get notificationsChannel(): string {
    return `${this.prefix}:events:notifications`;
  }

  get tenantsChannel(): string {
    return `${this.prefix}:events:tenants`;
  }

  get cancelChannel(): string {
    return `${this.prefix}:control:cancel`;
  }
}

/**
 * The hash tag of operations queue shard `shard` of `shards`: the first `ops-<shard>-<n>` whose
 * slot lies in the shard's own `1/shards` of the slot range. A cluster whose masters split the
 * slots evenly (what `redis-cli --cluster create` does) then holds the shards evenly: with 6
 * shards, two on each of 3 masters. The same on every process, whatever its REDIS_PREFIX.
 */
export function shardTag(shard: number, shards: number): string {
  const low = Math.floor((shard * SLOTS) / shards);
  const high = Math.floor(((shard + 1) * SLOTS) / shards);
  for (let n = 0; ; n++) {
    const tag = `ops-${shard}-${n}`;
    const slot = calculateSlot(tag);
    if (slot >= low && slot < high) return tag;
  }
}

/** A stable 32-bit hash (FNV-1a) of a tenant id: its shard must not depend on the process. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
