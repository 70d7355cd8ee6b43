import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };

/** One pg pool per process, shared by the Prisma client and the gate's plain-SQL hot path. */
export function createPool(databaseUrl: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl, max });
}

export function createPrisma(databaseUrl: string | pg.Pool, max = 10): PrismaClient {
  const pool = typeof databaseUrl === 'string' ? createPool(databaseUrl, max) : databaseUrl;
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
