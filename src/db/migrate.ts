// Applies prisma/migrations/*/migration.sql in order without Prisma's native schema engine,
// which cannot be downloaded on offline machines. Rows go into Prisma's own
// `_prisma_migrations` table (sha256 checksum of the file), so `prisma migrate status/deploy`
// agree with it afterwards. Each migration runs as one query in a transaction, and the whole
// run holds an advisory lock so concurrent starters apply each migration once.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { UTC_SESSION } from './prisma.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
const LOCK_KEY = 72_100_417; // arbitrary, stable: "atlas-gate migrations"
// Start-up fails fast on an unreachable server instead of waiting for the OS's TCP timeout.
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A client for one start-up step. pg emits 'error' when the connection ends unexpectedly, even
 * with a query in flight: the listener keeps that from being an uncaught exception, and the step
 * fails through its rejected query instead (a start-up error naming the database).
 */
function pgClient(connectionString: string): pg.Client {
  const client = new pg.Client({ connectionString, options: UTC_SESSION, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  return client;
}

export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = pgClient(url.toString());
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
    }
    return true;
  } finally {
    await admin.end();
  }
}

export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const db = pgClient(databaseUrl);
  await db.connect();
  try {
    await db.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await db.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const done = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const applied = new Map(done.rows.map((r) => [r.migration_name, r]));
    const names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const appliedNow: string[] = [];
    for (const name of names) {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const previous = applied.get(name);
      if (previous) {
        if (!previous.finished_at) throw new Error(`Migration ${name} failed earlier; resolve it before continuing`);
        if (previous.checksum !== checksum) throw new Error(`Migration ${name} was edited after it was applied`);
        continue;
      }
      await db.query('BEGIN');
      try {
        await db.query(sql);
        await db.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), checksum, name],
        );
        await db.query('COMMIT');
      } catch (err) {
        await db.query('ROLLBACK');
        throw new Error(`Migration ${name} failed: ${(err as Error).message}`);
      }
      appliedNow.push(name);
    }
    return appliedNow;
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    await db.end();
  }
}
