// Bounded polling for tests that wait on workers: never an unbounded loop, and a timeout names
// what was awaited and the last value seen, so a stuck run fails with something to read.

export type WaitOptions = {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between polls (default 25 ms). */
  intervalMs?: number;
  /** Used in the timeout message. */
  what?: string;
};

export class WaitTimeout extends Error {
  constructor(
    message: string,
    readonly last: unknown,
  ) {
    super(message);
    this.name = 'WaitTimeout';
  }
}

/**
 * Polls `fn` until it returns a value other than `undefined`, `null` or `false`, and resolves
 * with that value. Errors thrown by `fn` are retried until the deadline (the last one is kept).
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (last !== undefined && last !== null && last !== false) return last as Exclude<T, undefined | null | false>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError
        ? `last error: ${String((lastError as Error).message ?? lastError)}`
        : `last value: ${safeJson(last)}`;
      throw new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`, lastError ?? last);
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
