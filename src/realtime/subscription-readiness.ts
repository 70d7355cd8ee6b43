// When is a subscription live? Once every Redis channel its event stream listens on has been
// SUBSCRIBEd (the command answered). The stream is built by resolvers, several operators deep,
// and only starts listening on its first pull; so the pull runs inside a probe (async context),
// and the event target reports each channel it adds a listener to, to whichever probe is current.
import { AsyncLocalStorage } from 'node:async_hooks';

type Report = (subscribed: Promise<void>) => void;

const probes = new AsyncLocalStorage<Report>();

/** True while code runs inside a probe: only then is a listener's SUBSCRIBE worth confirming. */
export const isProbing = (): boolean => probes.getStore() !== undefined;

/** Called by the event target for each listener it adds: `subscribed` resolves once that channel is live. */
export function reportSubscribed(subscribed: Promise<void>): void {
  probes.getStore()?.(subscribed);
}

/**
 * Runs `start` (the stream's first pull) inside a probe. `live` resolves once at least one
 * channel was reported and every reported channel is subscribed; it stays pending while Redis
 * does not answer (there is nothing true to acknowledge yet).
 */
export function probeSubscriptions<T>(start: () => T): { started: T; live: Promise<void> } {
  const reported: Promise<void>[] = [];
  let firstReport!: () => void;
  const anyReported = new Promise<void>((resolve) => (firstReport = resolve));
  const started = probes.run((subscribed) => {
    reported.push(subscribed);
    firstReport();
  }, start);
  const live = anyReported.then(async () => {
    // A channel reported while an earlier one is awaited is awaited too.
    for (let i = 0; i < reported.length; i++) await reported[i];
  });
  return { started, live };
}
