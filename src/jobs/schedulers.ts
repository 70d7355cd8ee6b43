// The only code that touches BullMQ job schedulers: one per enabled schedule, on a queue of its
// own, so that however many worker processes run, each due firing is one job processed once.
// What a firing does is the schedule service's business (it starts through the gate).
import { Queue } from 'bullmq';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connections.js';
import type { QueueName } from '../redis/names.js';

export type FiringJobData = { scheduleId: string };

export type ScheduleTrigger = { id: string; cron: string; timezone: string };

export class ScheduleTriggers {
  readonly queue: Queue<FiringJobData>;

  constructor(
    private readonly connection: RedisClient,
    names: QueueName,
    log: Logger,
  ) {
    this.queue = new Queue<FiringJobData>(names.name, { connection, prefix: names.prefix });
    this.queue.on('error', (err) => log.warn({ err: err.message }, 'schedule queue connection error'));
  }

  /** Creates or replaces the schedule's job scheduler (id = schedule id). */
  async set(schedule: ScheduleTrigger): Promise<void> {
    await this.queue.upsertJobScheduler(
      schedule.id,
      { pattern: schedule.cron, tz: schedule.timezone },
      {
        name: 'fire',
        data: { scheduleId: schedule.id },
        // A firing that gets no answer (e.g. the lock store is unreachable) is retried with backoff.
        opts: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: { age: 3600, count: 1_000 },
          removeOnFail: { age: 24 * 3600 },
        },
      },
    );
  }

  async remove(scheduleId: string): Promise<void> {
    await this.queue.removeJobScheduler(scheduleId);
  }

  /** The ids of every job scheduler in Redis. */
  async ids(): Promise<string[]> {
    const schedulers = await this.queue.getJobSchedulers(0, -1);
    return schedulers.map((s) => s.key);
  }

  /** The queue for the queue metrics. */
  sampled() {
    const queue = this.queue;
    return {
      name: queue.name,
      shard: '0',
      getJobCounts: (...states: Parameters<Queue['getJobCounts']>) => queue.getJobCounts(...states),
      getJobs: (...args: Parameters<Queue['getJobs']>) => queue.getJobs(...args),
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}
