import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };

/**
 * Every session runs in UTC whatever the database's or role's `timezone` setting: adapter-pg
 * reads a timestamptz by replacing its offset with +00:00, so any other session zone shifts
 * every timestamp read through Prisma by that offset (FACTS.md), while plain pg reads stay right.
 */
export const UTC_SESSION = '-c timezone=UTC';

/**
 * One pg pool per process, shared by the Prisma client and the gate's plain-SQL hot path. An idle
 * connection that dies (the server restarted) is dropped by the pool, which then emits 'error':
 * with no listener that would be an uncaught exception, so the pool always has one (a caller adds
 * its own to log it). Checked-out clients have theirs from their borrower (sql.ts, adapter-pg).
 */
/**
 * int8 as bigint, as Prisma reads it (the one int8 column is OperationRun.changeId): a run read by
 * plain SQL on this pool is the same value as the Prisma client's. Prisma's adapter parses its own.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => BigInt(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, options: UTC_SESSION, types });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A Prisma client on a pool. Given a URL it owns its pool and ends it on `$disconnect()` (a pool
 * left open keeps a script alive for its 10 s idle timeout); given a pool, the caller ends it.
 */
export function createPrisma(databaseUrl: string | pg.Pool, max = 10): PrismaClient {
  const owned = typeof databaseUrl === 'string';
  const pool = owned ? createPool(databaseUrl, max) : databaseUrl;
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: owned }) });
}
