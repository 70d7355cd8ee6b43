// Telling "the database is unreachable" from every other error, for every caller: a worker waits
// out the first (the run's outcome is recorded once PostgreSQL is back), the API answers it
// SERVICE_UNAVAILABLE (retryable), and both report everything else as it is.

// Connection-level errno codes, and SQLSTATE classes 08 (connection exception) and 57P0x
// (operator intervention: shutdown, crash, cannot connect now).
const ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const SQLSTATE = /^(08...|57P0[1-3])$/;
// Prisma's codes for a server it cannot reach (P1001), timed out on (P1002, P1008) or that
// closed the connection (P1017, what adapter-pg makes of an ECONNRESET).
const PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017']);
// The same, as adapter-pg names them in a DriverAdapterError's cause (`kind`).
const ADAPTER_KIND = new Set(['DatabaseNotReachable', 'SocketTimeout', 'ConnectionClosed']);
// What pg and the Prisma driver adapter say when they lost or never got a connection (an errno
// in a message, too: a failed job keeps only its error's message).
const MESSAGE =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE)\b|Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|Server has closed the connection|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to (administrator command|crash of another server process)/i;

type Inspectable = {
  code?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
  meta?: { driverAdapterError?: unknown };
};

export function isDatabaseUnavailable(err: unknown): boolean {
  // Breadth-first through what wraps what: Error.cause, GraphQL's originalError, Prisma's meta.
  const queue: unknown[] = [err];
  for (let seen = 0; seen < queue.length && seen < 10; seen++) {
    const e = queue[seen];
    if (!e || typeof e !== 'object') continue;
    const { code, kind, originalCode, message, cause, originalError, meta } = e as Inspectable;
    if (typeof code === 'string' && (ERRNO.has(code) || SQLSTATE.test(code) || PRISMA.has(code))) return true;
    if (typeof originalCode === 'string' && SQLSTATE.test(originalCode)) return true;
    if (typeof kind === 'string' && ADAPTER_KIND.has(kind)) return true;
    if (typeof message === 'string' && MESSAGE.test(message)) return true;
    queue.push(cause, originalError, meta?.driverAdapterError);
  }
  return false;
}

// ioredis's word for a command on a connection it lost (its errno, if any, is matched above).
const REDIS_MESSAGE = /Connection is closed/i;

/**
 * PostgreSQL or Redis unreachable: what the API answers SERVICE_UNAVAILABLE (retry shortly)
 * instead of INTERNAL_SERVER_ERROR.
 */
export function isBackingServiceUnavailable(err: unknown): boolean {
  if (isDatabaseUnavailable(err)) return true;
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { message, cause, originalError } = e as Inspectable;
    if (typeof message === 'string' && REDIS_MESSAGE.test(message)) return true;
    e = cause ?? originalError;
  }
  return false;
}
