// Side effects on Redis that follow a committed database decision (a run event, a cancel signal, a
// withdrawn job): the caller waits for them as long as Redis answers promptly, which it normally does
// within a millisecond, and goes on without them past the bound, so a slow or hanging Redis never
// holds an operator's answer or a worker's next step. The work itself is not abandoned: it completes
// when Redis answers (commands on one connection keep their order) or its failure is logged.
import type { Logger } from '../logger.js';

/** How long a committed transition waits for Redis to acknowledge its side effect. */
export const REDIS_SIDE_EFFECT_WAIT_MS = 250;

/**
 * Resolves when `work` settles or after REDIS_SIDE_EFFECT_WAIT_MS, whichever is first. A plain timer
 * (an AbortController per call built a DOMException per start: a tenth of a millisecond of CPU).
 */
export function waitBriefly(
  log: Logger,
  what: string,
  context: Record<string, unknown>,
  work: () => Promise<unknown>,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const bound = setTimeout(resolve, REDIS_SIDE_EFFECT_WAIT_MS);
    bound.unref();
    Promise.resolve()
      .then(work)
      .catch((err: unknown) => log.warn({ err, ...context }, what))
      .finally(() => {
        clearTimeout(bound);
        resolve();
      });
  });
}
