// Run and notification events over Redis pub/sub, so a transition in a worker process reaches
// subscribers on every API process. Channel names carry the environment's prefix: Redis
// pub/sub ignores the DB index, and tests run side by side on one Redis.
//
// Run events travel on one channel per workspace (docs/behaviour.md#realtime-subscriptions),
// subscribed while someone on this process listens to it: a process receives only the workspaces
// its subscribers can see, and a Redis Cluster can spread the channels over its nodes.
import { createPubSub, Repeater, type PubSub, type PubSubEventTarget } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connections.js';
import type { RedisNames } from '../redis/names.js';
import { type Publisher, publisherOn, subscriberOn } from '../redis/pubsub.js';
import { changeIdAfter } from '../runs/change-order.js';
import { type NotificationEvent, type RunEvent, type RunEventPublisher, reviveRun } from '../runs/events.js';
import { createRedisSubscriberTarget } from './redis-event-target.js';

type Topics = Record<string, [unknown]>;

/**
 * Something about a tenant that changes what a start on it would answer, other than a run's own
 * transition (published as a run event): a connection enabled, disabled or made the default.
 * `id` is unique per change; every subscriber of a process shares the one parsed event.
 */
export type TenantChangedEvent = { id: string; tenantId: string; workspaceId: string; change: string };

/** How many runs' newest changeId a process remembers to keep each run's events in order. */
const RUNS_REMEMBERED = 100_000;

export class RealtimeBus implements RunEventPublisher {
  readonly pubsub: PubSub<Topics>;
  private readonly target: PubSubEventTarget<Topics>;
  readonly notificationsTopic: string;
  readonly tenantsTopic: string;
  /** The newest changeId this process passed on, per run. */
  private readonly newest = new LRUCache<string, string>({ max: RUNS_REMEMBERED });

  private readonly publisher: Publisher;

  /** Sharded pub/sub on a Redis Cluster, classic on a single node (src/redis/pubsub.ts). */
  constructor(
    publishClient: RedisClient,
    subscribeClient: RedisClient,
    private readonly names: RedisNames,
    log: Logger,
  ) {
    this.publisher = publisherOn(publishClient);
    const runsPrefix = names.runsChannelPrefix;
    this.target = createRedisSubscriberTarget(subscriberOn(subscribeClient), log, (channel, detail) =>
      channel.startsWith(runsPrefix) ? this.inOrder(detail as RunEvent) : true,
    );
    this.pubsub = createPubSub<Topics>({ eventTarget: this.target });
    this.notificationsTopic = names.notificationsChannel;
    this.tenantsTopic = names.tenantsChannel;
  }

  /** The channel a workspace's run events travel on (its hash tag: one Redis Cluster slot per workspace). */
  runsTopic(workspaceId: string): string {
    return this.names.runsChannel(workspaceId);
  }

  /**
   * Once per message and process: two processes can publish one run's changes in the opposite
   * order of their commits, and a subscriber must never see a run go back. An older change than
   * one already passed on is dropped (the newer state is what it would have shown). The one event
   * object, its dates revived, is what every listener of this process is handed.
   */
  private inOrder(event: RunEvent): boolean {
    const { id, changeId } = event.run as { id: string; changeId: unknown };
    const seen = this.newest.get(id);
    if (seen !== undefined && changeIdAfter(seen, String(changeId))) return false;
    this.newest.set(id, String(changeId));
    reviveRun(event.run);
    return true;
  }

  /** Resolves once Redis took the event; rejects when it is unreachable (the caller decides what that means). */
  async runUpdated(event: RunEvent): Promise<void> {
    await this.publisher.publish(this.runsTopic(event.workspaceId), JSON.stringify(event, bigintAsText));
  }

  async notificationCreated(event: NotificationEvent): Promise<void> {
    await this.publisher.publish(this.notificationsTopic, JSON.stringify(event));
  }

  async tenantChanged(event: TenantChangedEvent): Promise<void> {
    await this.publisher.publish(this.tenantsTopic, JSON.stringify(event));
  }

  tenantEvents(): AsyncIterable<TenantChangedEvent> {
    return this.pubsub.subscribe(this.tenantsTopic) as AsyncIterable<TenantChangedEvent>;
  }

  /** The run events of these workspaces, as they are published (listening starts on the first pull). */
  runEvents(workspaceIds: readonly string[]): AsyncIterable<RunEvent> {
    const streams = [...new Set(workspaceIds)].map(
      (ws) => this.pubsub.subscribe(this.runsTopic(ws)) as AsyncIterable<RunEvent>,
    );
    return streams.length === 1 ? streams[0] : Repeater.merge(streams);
  }

  /**
   * Calls `onEvent` with each run event of these workspaces, synchronously as it arrives, until the
   * returned function is called (subscription groups: no stream per listener). Inside a probe
   * (subscription-readiness.ts) the channels' SUBSCRIBE answers are reported like a stream's.
   */
  listen(workspaceIds: readonly string[], onEvent: (event: RunEvent) => void): () => void {
    const topics = [...new Set(workspaceIds)].map((ws) => this.runsTopic(ws));
    const listener = (event: Event) => onEvent((event as CustomEvent<RunEvent>).detail);
    for (const topic of topics) this.target.addEventListener(topic, listener);
    return () => {
      for (const topic of topics) this.target.removeEventListener(topic, listener);
    };
  }

  notificationEvents(): AsyncIterable<NotificationEvent> {
    return this.pubsub.subscribe(this.notificationsTopic) as AsyncIterable<NotificationEvent>;
  }
}

/** A run read through Prisma carries its changeId as a bigint; on the wire it is text, as pg reads it. */
const bigintAsText = (_key: string, value: unknown) => (typeof value === 'bigint' ? String(value) : value);
