// Side effects on Redis that follow a committed database decision (a run event, a cancel signal, a
// withdrawn job): the caller waits for them as long as Redis answers promptly, which it normally does
// within a millisecond, and goes on without them past the bound, so a slow or hanging Redis never
// holds an operator's answer or a worker's next step. The work itself is not abandoned: it completes
// when Redis answers (commands on one connection keep their order) or its failure is logged.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logger.js';

/** How long a committed transition waits for Redis to acknowledge its side effect. */
export const REDIS_SIDE_EFFECT_WAIT_MS = 250;

export async function waitBriefly(
  log: Logger,
  what: string,
  context: Record<string, unknown>,
  work: () => Promise<unknown>,
): Promise<void> {
  const waiting = new AbortController();
  const done = Promise.resolve()
    .then(work)
    .then(
      () => waiting.abort(),
      (err) => {
        waiting.abort();
        log.warn({ err, ...context }, what);
      },
    );
  await Promise.race([
    done,
    delay(REDIS_SIDE_EFFECT_WAIT_MS, undefined, { signal: waiting.signal, ref: false }).catch(() => undefined),
  ]);
}
