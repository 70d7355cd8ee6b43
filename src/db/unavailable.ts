// Telling "the database is unreachable" from every other error: a worker waits out the first
// (the run's outcome is recorded once PostgreSQL is back) and reports the second as it is.

// Connection-level errno codes, and SQLSTATE classes 08 (connection exception) and 57P0x
// (operator intervention: shutdown, crash, cannot connect now).
const ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const SQLSTATE = /^(08...|57P0[1-3])$/;
// What pg and the Prisma driver adapter say when they lost or never got a connection.
const MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection due to administrator command/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (ERRNO.has(code) || SQLSTATE.test(code))) return true;
    if (typeof message === 'string' && MESSAGE.test(message)) return true;
    e = cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}
