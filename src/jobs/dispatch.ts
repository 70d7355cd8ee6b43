// The only code that puts a job on the operations queues. The gate calls it after admitting a
// run (and the reconciler re-dispatches admitted runs whose job went missing); a guard test
// fails if any other file enqueues. BullMQ stays in here: the gate and the reconciler ask the
// dispatcher about a run's job, never a queue.
//
// The operations queue is REDIS_QUEUE_SHARDS queues (src/redis/names.ts): a run goes to its
// tenant's shard, so on a Redis Cluster the work spreads over the masters while every job of a
// tenant stays on one queue. Job id = run id on every shard.
import { type Job, type JobType, Queue } from 'bullmq';
import type { OperationRun } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connections.js';
import type { RedisNames } from '../redis/names.js';

/** The run to execute and, for operators reading the queue, the connection pinned on it. */
export type OperationJobData = {
  runId: string;
  providerConnectionId: string | null;
  /** Set while the job waits out a transient provider error: the run (or step) whose attempt is retried. */
  retrying?: string;
};

export type OperationJob = Job<OperationJobData>;

export class JobDispatcher {
  private readonly queues: readonly Queue<OperationJobData>[];

  constructor(
    private readonly connection: RedisClient,
    private readonly names: RedisNames,
    log: Logger,
  ) {
    this.queues = names.operationsQueues.map(({ name, prefix }) => {
      const queue = new Queue<OperationJobData>(name, {
        connection,
        prefix,
        defaultJobOptions: {
          // Retries are decided by the handler (transient provider errors); BullMQ's own attempts
          // cover a worker that died mid-job (stalled job recovery).
          attempts: 1,
          removeOnComplete: { age: 3600, count: 10_000 },
          removeOnFail: { age: 24 * 3600 },
        },
      });
      // Without a listener BullMQ prints every connection error as a raw stack on stderr.
      queue.on('error', (err) => log.warn({ err: err.message, queue: prefix }, 'job queue connection error'));
      return queue;
    });
  }

  /** Job id = run id: dispatching the same run twice queues one job (on its tenant's shard). */
  async dispatch(run: Pick<OperationRun, 'id' | 'type' | 'providerConnectionId' | 'tenantId'>): Promise<void> {
    await this.queueOf(run.tenantId).add(
      run.type,
      { runId: run.id, providerConnectionId: run.providerConnectionId },
      { jobId: run.id },
    );
  }

  /** A run's job: on its tenant's shard when the tenant is known, else looked up on every shard. */
  async getJob(runId: string, tenantId?: string): Promise<OperationJob | undefined> {
    if (tenantId !== undefined) return this.queueOf(tenantId).getJob(runId);
    const found = await Promise.all(this.queues.map((q) => q.getJob(runId)));
    return found.find((job) => job !== undefined);
  }

  /** Removes a cancelled run's job if no worker took it yet (a job in a worker's hands stays; its run is already ended). */
  async withdraw(runId: string): Promise<void> {
    const job = await this.getJob(runId);
    if (job && !(await job.isActive())) await job.remove();
  }

  /** A job waiting out a retry delay is taken now (its run's cancel was requested: it ends at once). */
  async hurry(runId: string): Promise<void> {
    const job = await this.getJob(runId);
    if (job && (await job.isDelayed())) await job.promote();
  }

  /** Job counts summed over the shards. */
  async getJobCounts(...states: JobType[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const perShard of await Promise.all(this.queues.map((q) => q.getJobCounts(...states))))
      for (const [state, n] of Object.entries(perShard)) counts[state] = (counts[state] ?? 0) + n;
    return counts;
  }

  /** The jobs in these states on every shard. */
  async getJobs(states: JobType[]): Promise<OperationJob[]> {
    return (await Promise.all(this.queues.map((q) => q.getJobs(states)))).flat();
  }

  /** Removes a run's job wherever it is (tests: a job that went missing). */
  async remove(runId: string): Promise<void> {
    await Promise.all(this.queues.map((q) => q.remove(runId)));
  }

  /** No worker takes a job from any shard until resume() (jobs are still queued). */
  async pause(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.pause()));
  }

  async resume(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.resume()));
  }

  /** Empties every shard (tests: back to a clean state). */
  async obliterate(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.obliterate({ force: true })));
  }

  /** The shards for the queue metrics (queue depth per shard). */
  sampled() {
    return this.queues.map((queue, i) => ({
      name: queue.name,
      shard: String(i),
      getJobCounts: (...states: JobType[]) => queue.getJobCounts(...states),
      getJobs: (states: JobType[], start: number, end: number, asc: boolean) => queue.getJobs(states, start, end, asc),
    }));
  }

  private queueOf(tenantId: string): Queue<OperationJobData> {
    return this.queues[this.names.operationsShardOf(tenantId)];
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
    this.connection.disconnect();
  }
}
