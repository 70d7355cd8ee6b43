// Start-up checks: before anything is built, each backing service must answer within a few
// seconds. An unreachable one stops the process with one JSON line naming the variable and the
// address tried (password masked), instead of retrying forever or dying with a raw stack.
import pg from 'pg';
import { RedisConnections, redisOptions } from './redis/connections.js';
import { UTC_SESSION } from './db/prisma.js';

export const STARTUP_TIMEOUT_MS = 5_000;

export class StartupError extends Error {
  constructor(
    readonly variable: string,
    /** What was tried: the variable's URL with its password masked. */
    readonly tried: string,
    readonly reason: string,
    service: string,
  ) {
    super(`${service} at ${variable} (${tried}) is not usable: ${reason}`);
  }
}

/** The URL with its password masked, safe for a log line. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/** An error's message (and code) without the URL's password, should a driver ever echo it. */
function reasonOf(err: unknown, url: string): string {
  const e = err as { message?: string; code?: string };
  let reason = e?.message || e?.code || String(err);
  if (e?.code && !reason.includes(e.code)) reason = `${reason} (${e.code})`;
  const password = safePassword(url);
  return password ? reason.replaceAll(password, '***') : reason;
}

function safePassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/** Runs `step` against the PostgreSQL of DATABASE_URL; any failure becomes a StartupError naming it. */
export async function withDatabase<T>(databaseUrl: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new StartupError('DATABASE_URL', maskUrl(databaseUrl), reasonOf(err, databaseUrl), 'PostgreSQL');
  }
}

/** `SELECT 1` on the database itself (for a process that does not create or migrate it). */
export async function pingPostgres(databaseUrl: string, timeoutMs = STARTUP_TIMEOUT_MS): Promise<void> {
  await withDatabase(databaseUrl, async () => {
    const client = new pg.Client({
      connectionString: databaseUrl,
      options: UTC_SESSION,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
    client.on('error', () => undefined); // a connection lost mid-check fails the query below, not the process
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}

/** One PING with a bounded connect and no reconnects: ioredis would otherwise retry forever. */
export async function pingRedis(
  redisUrl: string,
  variable = 'REDIS_URL',
  timeoutMs = STARTUP_TIMEOUT_MS,
): Promise<void> {
  let lastError: unknown;
  try {
    redisOptions(redisUrl);
  } catch (err) {
    throw new StartupError(variable, maskUrl(redisUrl), reasonOf(err, redisUrl), 'Redis');
  }
  const client = RedisConnections.probe(redisUrl, timeoutMs);
  client.on('error', (err) => (lastError = err)); // reported below, through the rejection
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    // ioredis rejects a refused connection with a generic "Connection is closed.": the event had the cause.
    throw new StartupError(variable, maskUrl(redisUrl), reasonOf(lastError ?? err, redisUrl), 'Redis');
  } finally {
    client.disconnect();
  }
}
