// Run and notification events over Redis pub/sub, so a transition in a worker process reaches
// subscribers on every API process. Channel names carry the environment's prefix: Redis
// pub/sub ignores the DB index, and tests run side by side on one Redis.
import { createPubSub, map, pipe, type PubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { type NotificationEvent, type RunEvent, type RunEventPublisher, reviveRunDates } from '../runs/events.js';
import { createRedisSubscriberTarget } from './redis-event-target.js';

type Topics = Record<string, [unknown]>;

/**
 * Something about a tenant that changes what a start on it would answer, other than a run's own
 * transition (published as a run event): a connection enabled, disabled or made the default.
 * `id` is unique per change; every subscriber of a process shares the one parsed event.
 */
export type TenantChangedEvent = { id: string; tenantId: string; workspaceId: string; change: string };

export class RealtimeBus implements RunEventPublisher {
  readonly pubsub: PubSub<Topics>;
  readonly runsTopic: string;
  readonly notificationsTopic: string;
  readonly tenantsTopic: string;

  constructor(
    private readonly publishClient: Redis,
    subscribeClient: Redis,
    prefix: string,
    log: Logger,
  ) {
    this.pubsub = createPubSub<Topics>({ eventTarget: createRedisSubscriberTarget(subscribeClient, log) });
    this.runsTopic = `${prefix}:events:runs`;
    this.notificationsTopic = `${prefix}:events:notifications`;
    this.tenantsTopic = `${prefix}:events:tenants`;
  }

  /** Resolves once Redis took the event; rejects when it is unreachable (the caller decides what that means). */
  async runUpdated(event: RunEvent): Promise<void> {
    await this.publishClient.publish(this.runsTopic, JSON.stringify(event));
  }

  async notificationCreated(event: NotificationEvent): Promise<void> {
    await this.publishClient.publish(this.notificationsTopic, JSON.stringify(event));
  }

  async tenantChanged(event: TenantChangedEvent): Promise<void> {
    await this.publishClient.publish(this.tenantsTopic, JSON.stringify(event));
  }

  tenantEvents(): AsyncIterable<TenantChangedEvent> {
    return this.pubsub.subscribe(this.tenantsTopic) as AsyncIterable<TenantChangedEvent>;
  }

  runEvents(): AsyncIterable<RunEvent> {
    // Every subscriber of this process shares one parsed event; reviving its dates is idempotent.
    return pipe(
      this.pubsub.subscribe(this.runsTopic) as AsyncIterable<RunEvent>,
      map((event: RunEvent) => ({ ...event, run: reviveRunDates(event.run) })),
    );
  }

  notificationEvents(): AsyncIterable<NotificationEvent> {
    return this.pubsub.subscribe(this.notificationsTopic) as AsyncIterable<NotificationEvent>;
  }
}
