import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Fields every log line written inside a unit of work carries (an HTTP request's or a socket's
 * `requestId`), whichever logger writes it: the gate, RunLifecycle and the error masker log with
 * their own loggers, deep below the code that knows the request.
 */
export const logContext = new AsyncLocalStorage<Record<string, string>>();

export type LoggerOptions = {
  name?: string;
  /** Human-readable lines (pino-pretty, a dev dependency) instead of JSON: `NODE_ENV=development` on a terminal only. */
  pretty?: boolean;
};

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const pretty = options.pretty && installed('pino-pretty');
  return pino({
    name: options.name ?? 'atlas-gate',
    level,
    base: { pid: process.pid },
    mixin: () => logContext.getStore() ?? {},
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}

/** The caller's `x-request-id` when it is a sane token (it is echoed and logged), else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given && /^[\w.:@/+=-]{1,128}$/.test(given) ? given : randomUUID();
}

/** A production install has no dev dependencies: pretty output is then skipped, never a crash. */
function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}
