// The last resort of a process: an error no code handled (a dropped promise, a throw in a
// callback) is logged as one JSON line at level fatal and the process exits 1 after a bounded
// graceful close, so a slip is loud and a supervisor restarts a clean process instead of leaving
// a half-dead one running.
import type { Logger } from './logger.js';

/** How long a dying process may spend closing servers, workers and clients before it exits anyway. */
export const SHUTDOWN_GRACE_MS = 5_000;

/** Runs `stop`, giving up (without an error) after `ms`; true when it finished in time. */
export async function stopWithin(stop: () => Promise<void>, ms: number, log: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      log.warn({ graceMs: ms }, 'graceful close took too long: exiting without it');
      resolve(false);
    }, ms);
  });
  const finished = await Promise.race([
    stop().then(
      () => true,
      (err) => {
        log.error({ err }, 'shutdown step failed');
        return true;
      },
    ),
    deadline,
  ]);
  clearTimeout(timer);
  return finished;
}

export function installProcessGuards(log: Logger, stop: () => Promise<void>, graceMs = SHUTDOWN_GRACE_MS): void {
  let exiting = false;
  const fatal = (what: string) => (err: unknown) => {
    log.fatal({ err }, `${what}: exiting`);
    if (exiting) return; // a second failure while closing: logged, the exit is already on its way
    exiting = true;
    void stopWithin(stop, graceMs, log).finally(() => process.exit(1));
  };
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
  process.on('uncaughtException', fatal('uncaught exception'));
}
