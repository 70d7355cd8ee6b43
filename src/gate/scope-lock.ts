// ScopeLock: a short Redlock lease on a tenant's protected scope, held only while a start is
// admitted (checks + insert). Postgres stays the source of truth; the lease only keeps
// admissions on one tenant from piling into the same row lock.
import type { Redis } from 'ioredis';
import Redlock, { ExecutionError, ResourceLockedError, type Lock } from 'redlock';

export class ScopeLockUnavailable extends Error {}

export class ScopeLock {
  private readonly redlock: Redlock;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    readonly ttlMs = 5_000,
  ) {
    // No redlock retries: under contention the gate re-reads Postgres between its own attempts,
    // which usually answers the start (deduped / scope busy) without ever taking the lock.
    this.redlock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01 });
  }

  /** The lease, or null when another admission holds it. Throws ScopeLockUnavailable when Redis is unreachable. */
  async tryAcquire(tenantId: string): Promise<Lock | null> {
    try {
      return await this.redlock.acquire([`${this.prefix}:scope:tenant:${tenantId}`], this.ttlMs);
    } catch (err) {
      if (err instanceof ExecutionError && (await heldByAnother(err))) return null;
      throw new ScopeLockUnavailable('scope lock store unreachable', { cause: err });
    }
  }

  async release(lock: Lock): Promise<void> {
    // An expired or lost lease is harmless here: the admission transaction already fenced it.
    await lock.release().catch(() => undefined);
  }
}

/** Redlock reports contention and an unreachable Redis with the same error; the votes tell them apart. */
async function heldByAnother(err: ExecutionError): Promise<boolean> {
  const attempts = await Promise.all(err.attempts);
  return attempts.some((a) => [...a.votesAgainst.values()].some((e) => e instanceof ResourceLockedError));
}
