// ScopeLock: a short Redlock lease on a tenant's protected scope, held only while a start is
// admitted (checks + insert). Postgres stays the source of truth; the lease only keeps
// admissions on one tenant from piling into the same row lock. With several independent Redis
// masters (REDLOCK_URLS) a lease needs a majority of them, so one master down stops nothing.
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisOptions } from 'ioredis';
import Redlock, { ExecutionError, ResourceLockedError, type ExecutionStats, type Lock } from 'redlock';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connections.js';

/** Each master's vote must come back fast, from a master that is down too. */
export const LOCK_MASTER_OPTIONS = {
  // No offline queue: a down master votes against at once instead of holding every acquire
  // until its next reconnect attempt fails.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1_000,
  // A master that hangs (rather than refuses) still votes within a bound.
  commandTimeout: 1_000,
  // A restarted master is back in the quorum within half a second.
  retryStrategy: (times: number) => Math.min(times * 50, 500),
} satisfies RedisOptions;

export class ScopeLockUnavailable extends Error {}

/** Told how each acquire attempt went and how long it took (metrics: lock wait, busy answers given without the lock). */
export type ScopeLockObserver = (result: 'acquired' | 'contended' | 'unavailable', seconds: number) => void;

export class ScopeLock {
  private readonly redlock: Redlock;
  private readonly firstConnect: Promise<unknown>;
  private owned: RedisClient[] = [];
  private readonly clients: readonly RedisClient[];

  /** `keyOf`: the lock key of a tenant's scope (RedisNames.scopeLock). */
  constructor(
    masters: RedisClient | readonly RedisClient[],
    private readonly keyOf: (tenantId: string) => string,
    readonly ttlMs = 5_000,
    private readonly observe: ScopeLockObserver = () => undefined,
  ) {
    const clients = Array.isArray(masters) ? masters : [masters as RedisClient];
    this.clients = clients;
    // No redlock retries: under contention the gate re-reads Postgres between its own attempts,
    // which usually answers the start (deduped / scope busy) without ever taking the lock.
    this.redlock = new Redlock(clients, { retryCount: 0, driftFactor: 0.01 });
    // Without an offline queue a master still making its first connection would vote against.
    this.firstConnect = Promise.all(clients.map(firstConnection));
  }

  /** A lock on its own clients, one per master (built with LOCK_MASTER_OPTIONS), closed by close(). */
  static connect(
    masters: readonly { name: string; client: RedisClient }[],
    keyOf: (tenantId: string) => string,
    log: Logger,
    ttlMs?: number,
    observe?: ScopeLockObserver,
  ): ScopeLock {
    const clients = masters.map(({ name, client }) => watchMaster(client, name, log));
    const lock = new ScopeLock(clients, keyOf, ttlMs, observe);
    lock.owned = clients;
    return lock;
  }

  /** The lease, or null when another admission holds it. Throws ScopeLockUnavailable when no majority of masters answers. */
  async tryAcquire(tenantId: string): Promise<Lock | null> {
    await this.firstConnect;
    const began = performance.now();
    const seconds = () => (performance.now() - began) / 1_000;
    try {
      const lock = await this.redlock.acquire([this.keyOf(tenantId)], this.ttlMs);
      this.observe('acquired', seconds());
      return lock;
    } catch (err) {
      if (err instanceof ExecutionError && contended(await lastAttempt(err))) {
        this.observe('contended', seconds());
        return null;
      }
      this.observe('unavailable', seconds());
      throw new ScopeLockUnavailable('scope lock store unreachable', { cause: err });
    }
  }

  async release(lock: Lock): Promise<void> {
    // An expired or lost lease is harmless here: the admission transaction already fenced it.
    await lock.release().catch(() => undefined);
  }

  /**
   * How many masters answer a PING within `timeoutMs`, of how many: admissions need a majority
   * (what /ready reports, so a replica that cannot lock is taken out of rotation).
   */
  async mastersUp(timeoutMs: number): Promise<{ up: number; total: number; quorum: boolean }> {
    const answers = await Promise.all(
      this.clients.map((client) =>
        Promise.race([
          client.ping().then(() => true),
          // Unreferenced: a silent master does not keep the process alive.
          delay(timeoutMs, false, { ref: false }),
        ]).catch(() => false),
      ),
    );
    const up = answers.filter(Boolean).length;
    return { up, total: this.clients.length, quorum: up > this.clients.length / 2 };
  }

  close(): void {
    for (const client of this.owned) client.disconnect();
  }
}

const lastAttempt = async (err: ExecutionError): Promise<ExecutionStats | undefined> =>
  (await Promise.all(err.attempts)).at(-1);

/**
 * Redlock reports contention and unreachable masters with the same error; the votes tell them
 * apart. Contention means some master answered "locked" and enough masters answered at all for
 * a majority to be possible: an unreachable master never counts as "someone else holds it".
 */
function contended(stats: ExecutionStats | undefined): boolean {
  if (!stats) return false;
  const locked = [...stats.votesAgainst.values()].filter((e) => e instanceof ResourceLockedError).length;
  return locked > 0 && stats.votesFor.size + locked >= stats.quorumSize;
}

/** Resolves once a connecting client is ready or has failed its first attempt (at once for any other state). */
function firstConnection(client: RedisClient): Promise<void> {
  if (client.status !== 'connecting' && client.status !== 'connect') return Promise.resolve();
  return new Promise((resolve) => {
    const settle = () => {
      for (const event of ['ready', 'error', 'end']) client.off(event, settle);
      resolve();
    };
    for (const event of ['ready', 'error', 'end']) client.once(event, settle);
  });
}

/** One warning when a master becomes unreachable, not one per reconnect attempt; a note when it is back. */
function watchMaster(client: RedisClient, name: string, log: Logger): RedisClient {
  let reachable = true;
  client.on('error', (err) => {
    if (reachable)
      log.warn(
        { master: name, err: err.message },
        'redlock master unreachable: admissions continue while a majority answers',
      );
    reachable = false;
  });
  client.on('ready', () => {
    if (!reachable) log.info({ master: name }, 'redlock master reachable again');
    reachable = true;
  });
  return client;
}
