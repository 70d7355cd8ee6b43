// The only code that puts a job on the operations queue. The gate calls it after admitting a
// run (and the reconciler re-dispatches admitted runs whose job went missing); a guard test
// fails if any other file enqueues.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OperationRun } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';

export const OPERATIONS_QUEUE = 'operations';
/** The run to execute and, for operators reading the queue, the connection pinned on it. */
export type OperationJobData = {
  runId: string;
  providerConnectionId: string | null;
  /** Set while the job waits out a transient provider error: the run (or step) whose attempt is retried. */
  retrying?: string;
};

export class JobDispatcher {
  readonly queue: Queue<OperationJobData>;

  constructor(
    private readonly connection: Redis,
    prefix: string,
    log: Logger,
  ) {
    this.queue = new Queue<OperationJobData>(OPERATIONS_QUEUE, {
      connection,
      prefix: `${prefix}:bull`,
      defaultJobOptions: {
        // Retries are decided by the handler (transient provider errors); BullMQ's own attempts
        // cover a worker that died mid-job (stalled job recovery).
        attempts: 1,
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 24 * 3600 },
      },
    });
    // Without a listener BullMQ prints every connection error as a raw stack on stderr.
    this.queue.on('error', (err) => log.warn({ err: err.message }, 'job queue connection error'));
  }

  /** Job id = run id: dispatching the same run twice queues one job. */
  async dispatch(run: Pick<OperationRun, 'id' | 'type' | 'providerConnectionId'>): Promise<void> {
    await this.queue.add(
      run.type,
      { runId: run.id, providerConnectionId: run.providerConnectionId },
      { jobId: run.id },
    );
  }

  /** Removes a cancelled run's job if no worker took it yet (a job in a worker's hands stays; its run is already ended). */
  async withdraw(runId: string): Promise<void> {
    const job = await this.queue.getJob(runId);
    if (job && !(await job.isActive())) await job.remove();
  }

  /** A job waiting out a retry delay is taken now (its run's cancel was requested: it ends at once). */
  async hurry(runId: string): Promise<void> {
    const job = await this.queue.getJob(runId);
    if (job && (await job.isDelayed())) await job.promote();
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}
