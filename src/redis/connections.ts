// The one place Redis clients are built (a guard test fails if any other file under src/ does):
// a single node from REDIS_URL, or a Redis Cluster from REDIS_CLUSTER_NODES, TLS where a URL says
// rediss://. Callers say what a client is for; this module decides its options, so a BullMQ
// connection never gives up on a command and a command client fails fast, on either topology.
import { isIP } from 'node:net';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** A client on either topology: every command the product sends works on both. */
export type RedisClient = Redis | Cluster;

/**
 * What a client is for:
 * - `commands`: request-path commands (publish, rate limits, caches); a command fails after two
 *   retries instead of holding a request while Redis is away.
 * - `bullmq`: queues and workers; BullMQ requires that a command never gives up (it owns retries).
 * - `subscriber`: a pub/sub connection; it waits for Redis, and re-subscribes after a reconnect.
 */
export type ClientRole = 'commands' | 'bullmq' | 'subscriber';

const ROLE_OPTIONS: Record<ClientRole, RedisOptions> = {
  commands: { maxRetriesPerRequest: 2 },
  bullmq: { maxRetriesPerRequest: null },
  subscriber: { maxRetriesPerRequest: null },
};

/** ioredis options from a redis:// or rediss:// URL. */
export function redisOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`unsupported Redis URL scheme ${parsed.protocol} (use redis:// or rediss://)`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without its brackets
  return {
    host,
    port: Number(parsed.port || 6379),
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    // rediss:// means TLS, certificate verified against the host name (SNI is not sent for an IP).
    ...(parsed.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
  };
}

/** REDIS_CLUSTER_NODES entries: `host:port` or a redis:// / rediss:// URL (credentials and TLS from the first). */
export function clusterNodes(nodes: string): RedisOptions[] {
  return clusterNodeUrls(nodes).map(redisOptions);
}

/** REDIS_CLUSTER_NODES entries as URLs (`host:port` is `redis://host:port`). */
export function clusterNodeUrls(nodes: string): string[] {
  return nodes
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => (/^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`));
}

export type RedisTopology = { REDIS_URL: string; REDIS_CLUSTER_NODES?: string };

export class RedisConnections {
  /** The cluster's seed nodes, or null on a single node. */
  private readonly nodes: RedisOptions[] | null;
  private readonly single: RedisOptions;

  constructor(config: RedisTopology) {
    this.nodes = config.REDIS_CLUSTER_NODES ? clusterNodes(config.REDIS_CLUSTER_NODES) : null;
    this.single = redisOptions(config.REDIS_URL);
  }

  get cluster(): boolean {
    return this.nodes !== null;
  }

  /** Where clients connect, for log lines and errors (no credentials). */
  describe(): string {
    const at = (o: RedisOptions) => `${o.host}:${o.port}`;
    return this.nodes ? `cluster ${this.nodes.map(at).join(',')}` : at(this.single);
  }

  /** A new client for `role`; `extra` adds or overrides options on either topology. */
  client(role: ClientRole, extra: RedisOptions = {}): RedisClient {
    if (!this.nodes) return new Redis({ ...this.single, ...ROLE_OPTIONS[role], ...extra });
    return new Cluster(
      this.nodes.map(({ host, port }) => ({ host, port })),
      clusterOptions(this.nodes[0], { ...ROLE_OPTIONS[role], ...extra }, role),
    );
  }

  /** A client for one bounded check of one server (start-up checks): no reconnects, no queue. */
  static probe(url: string, timeoutMs: number): Redis {
    return new Redis({
      ...redisOptions(url),
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
  }

  /**
   * The scope lock's masters, each its own client with `options`: the independent servers of
   * REDLOCK_URLS when set (Redlock wants independent masters, not one cluster), else this
   * topology's one client (a cluster counts as one master: the lock key lives on one shard).
   */
  lockMasters(redlockUrls: string | undefined, options: RedisOptions): { name: string; client: RedisClient }[] {
    if (!redlockUrls) return [{ name: this.describe(), client: this.client('commands', options) }];
    return redlockUrls.split(',').map((url) => {
      const node = redisOptions(url.trim());
      return { name: `${node.host}:${node.port}`, client: new Redis({ ...node, ...options }) };
    });
  }
}

/**
 * Cluster options from a node's options (credentials, TLS) and the role's: options a Cluster takes
 * itself (offline queue, retry strategy) move out of the per-node options. A subscriber uses
 * sharded pub/sub (SSUBSCRIBE: a message stays on its channel's shard), which ioredis delivers
 * only with `shardedSubscribers`.
 */
function clusterOptions(seed: RedisOptions, options: RedisOptions, role: ClientRole): ClusterOptions {
  const { enableOfflineQueue, retryStrategy, lazyConnect, db: _db, host: _h, port: _p, ...perNode } = options;
  const { host: _host, port: _port, db: _seedDb, ...credentials } = seed;
  return {
    redisOptions: { ...credentials, ...perNode },
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    // TLS with certificates checked against host names: keep the names the nodes announce.
    ...(credentials.tls ? { dnsLookup: (address: string, callback) => callback(null, address) } : {}),
    ...(role === 'subscriber' ? { shardedSubscribers: true } : {}),
    // A failover or resharding answers MOVED/CLUSTERDOWN for a moment: retry instead of failing.
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
  } as ClusterOptions;
}

/** 'ok' when a single node answers, or when every master of a cluster says its state is ok (every slot served). */
export async function redisState(client: RedisClient): Promise<'ok' | 'cluster state not ok'> {
  if (!(client instanceof Cluster)) {
    await client.ping();
    return 'ok';
  }
  const masters = client.nodes('master');
  if (masters.length === 0) throw new Error('no cluster master known');
  const infos = await Promise.all(masters.map((node) => node.cluster('INFO') as Promise<string>));
  return infos.every((info) => /cluster_state:ok/.test(info)) ? 'ok' : 'cluster state not ok';
}

/**
 * Resolves once a client that is still making its first connection is ready, or after `ms`; at
 * once when it is ready, or down (reconnecting, closed): callers then take their fallback.
 * A new cluster client needs a moment more than a node's (it reads the slot map first).
 */
export function connecting(client: RedisClient, ms: number): Promise<void> {
  if (client.status !== 'connecting' && client.status !== 'connect') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once('ready', done);
  });
}
