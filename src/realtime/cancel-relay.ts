// Cancel requests, from whichever API process took them to whichever worker process holds the
// run's job, over Redis pub/sub (BullMQ's worker.cancelJob only reaches jobs of its own process).
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export class CancelRelay {
  readonly channel: string;

  constructor(
    private readonly publishClient: Redis,
    prefix: string,
  ) {
    this.channel = `${prefix}:control:cancel`;
  }

  /** Tells every worker process that the run's cancel was requested. */
  async requested(runId: string): Promise<void> {
    await this.publishClient.publish(this.channel, runId);
  }

  /**
   * Worker side: `onCancel(runId)` for every request. The subscriber connection is the caller's
   * and dedicated to this (ioredis re-subscribes it after a reconnect). Returns the unsubscribe.
   */
  async listen(subscriber: Redis, onCancel: (runId: string) => void, log: Logger): Promise<() => Promise<void>> {
    const onMessage = (channel: string, runId: string) => {
      if (channel === this.channel) onCancel(runId);
    };
    subscriber.on('message', onMessage);
    await subscriber.subscribe(this.channel);
    return async () => {
      subscriber.off('message', onMessage);
      await subscriber
        .unsubscribe(this.channel)
        .catch((err: Error) => log.warn({ err: err.message }, 'cancel relay unsubscribe failed'));
    };
  }
}
