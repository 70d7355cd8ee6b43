// The subscribing half of Yoga's pub/sub over Redis. It replaces @graphql-yoga/redis-event-target,
// whose publish() drops the ioredis promise: with Redis down that rejection went unhandled and
// killed the process (FACTS.md). Here nothing is fire-and-forget: SUBSCRIBE and UNSUBSCRIBE
// failures are logged, and publishing is RealtimeBus's job, awaited by its callers.
import type { PubSubEventTarget } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import type { Subscriber } from '../redis/pubsub.js';
import { isProbing, reportSubscribed } from './subscription-readiness.js';

type Callback = (event: CustomEvent) => void;

/**
 * `accept` sees each message once, parsed, before any listener does (one decision per message and
 * process, not per subscriber): false drops it.
 */
export function createRedisSubscriberTarget(
  subscribeClient: Subscriber,
  log: Logger,
  accept: (channel: string, detail: unknown) => boolean = () => true,
): PubSubEventTarget<Record<string, [unknown]>> {
  const callbacksForTopic = new Map<string, Set<Callback>>();

  subscribeClient.onMessage((channel, message) => {
    const callbacks = callbacksForTopic.get(channel);
    if (!callbacks) return;
    let detail: unknown;
    try {
      detail = JSON.parse(message);
    } catch (err) {
      log.warn({ err, channel }, 'unparseable realtime event dropped');
      return;
    }
    if (!accept(channel, detail)) return;
    const event = new CustomEvent(channel, { detail });
    for (const callback of callbacks) callback(event);
  });

  const callbackOf = (listener: EventListenerOrEventListenerObject | null): Callback | null =>
    listener === null
      ? null
      : ((typeof listener === 'function' ? listener : listener.handleEvent.bind(listener)) as Callback);

  return {
    addEventListener(topic, listener) {
      const callback = callbackOf(listener as EventListenerOrEventListenerObject | null);
      if (!callback) return;
      let callbacks = callbacksForTopic.get(topic);
      if (!callbacks || isProbing()) {
        // While Redis is down this waits (the subscriber never gives up on a command) and ioredis
        // re-subscribes every channel after a reconnect, so live subscriptions resume by themselves.
        // A probed listener on a channel already subscribed sends SUBSCRIBE again (a no-op for Redis):
        // its answer says the channel is live now, not just that it once was (before an outage).
        const subscribed = subscribeClient.subscribe(topic).then(
          () => undefined,
          (err: Error) => {
            log.warn({ err: err.message, topic }, 'redis subscribe failed');
            return new Promise<void>(() => undefined); // never live: nothing to acknowledge
          },
        );
        reportSubscribed(subscribed);
      }
      if (!callbacks) {
        callbacks = new Set();
        callbacksForTopic.set(topic, callbacks);
      }
      callbacks.add(callback);
    },
    removeEventListener(topic, listener) {
      const callback = callbackOf(listener as EventListenerOrEventListenerObject | null);
      const callbacks = callbacksForTopic.get(topic);
      if (!callback || !callbacks) return;
      callbacks.delete(callback);
      if (callbacks.size > 0) return;
      callbacksForTopic.delete(topic);
      subscribeClient
        .unsubscribe(topic)
        .catch((err: Error) => log.warn({ err: err.message, topic }, 'redis unsubscribe failed'));
    },
    dispatchEvent() {
      throw new Error('RealtimeBus publishes directly; the event target only subscribes');
    },
  };
}
