// Cancel requests, from whichever API process took them to whichever worker process holds the
// run's job, over Redis pub/sub (BullMQ's worker.cancelJob only reaches jobs of its own process);
// sharded pub/sub on a Redis Cluster (src/redis/pubsub.ts).
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connections.js';
import { type Publisher, publisherOn, subscriberOn } from '../redis/pubsub.js';

export class CancelRelay {
  private readonly publisher: Publisher;

  constructor(
    publishClient: RedisClient,
    readonly channel: string,
  ) {
    this.publisher = publisherOn(publishClient);
  }

  /** Tells every worker process that the run's cancel was requested. */
  async requested(runId: string): Promise<void> {
    await this.publisher.publish(this.channel, runId);
  }

  /**
   * Worker side: `onCancel(runId)` for every request. The subscriber connection is the caller's
   * and dedicated to this (ioredis re-subscribes it after a reconnect). Returns the unsubscribe.
   */
  async listen(
    subscribeClient: RedisClient,
    onCancel: (runId: string) => void,
    log: Logger,
  ): Promise<() => Promise<void>> {
    const subscriber = subscriberOn(subscribeClient);
    const stop = subscriber.onMessage((channel, runId) => {
      if (channel === this.channel) onCancel(runId);
    });
    await subscriber.subscribe(this.channel);
    return async () => {
      stop();
      await subscriber
        .unsubscribe(this.channel)
        .catch((err: Error) => log.warn({ err: err.message }, 'cancel relay unsubscribe failed'));
    };
  }
}
