// BullMQ workers: thin adapters from a job (id = run id) to RunExecutor, and from a schedule's
// firing job to ScheduleService.fire; plus the reconciler.
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Services } from '../app.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { createProviderRegistry } from '../providers/registry.js';
import type { Provider } from '../providers/provider.js';
import type { OperationJobData } from './dispatch.js';
import { RetryLater, RunExecutor, type ExecutorRacepoints } from './executor.js';
import { Retention } from '../runs/retention.js';
import { Reconciler } from './reconciler.js';
import type { FiringJobData } from './schedulers.js';

export type Workers = {
  /** One per operations queue shard (REDIS_QUEUE_SHARDS). */
  workers: Worker<OperationJobData>[];
  firings: Worker<FiringJobData>;
  executor: RunExecutor;
  reconciler: Reconciler;
  retention: Retention;
  /** Finishes the jobs in hand, for at most `graceMs` (SHUTDOWN_TIMEOUT_MS); see closeWithin. */
  close(graceMs?: number): Promise<void>;
};

/** `racepoints`: test-only pauses in each run's path (see ExecutorRacepoints). */
export async function startWorkers(
  services: Services,
  options: { provider?: Provider; racepoints?: ExecutorRacepoints } = {},
): Promise<Workers> {
  const { config, log } = services;
  const executor = new RunExecutor(
    services.prisma,
    services.lifecycle,
    // One client for every kind in tests that pass `provider`; the connection's kind otherwise.
    options.provider ? createProviderRegistry(config, options.provider) : services.providers,
    {
      maxAttempts: config.RUN_MAX_ATTEMPTS,
      baseDelayMs: config.RETRY_BASE_MS,
      maxDelayMs: 60_000,
    },
    log.child({ component: 'executor' }),
    options.racepoints,
  );
  // Workers need a connection that never gives up on a command (BullMQ refuses one otherwise).
  const connection = services.redisConnections.client('bullmq');
  connection.on('error', (err) => log.warn({ err: err.message }, 'worker redis connection error'));
  // The processor's signal is aborted by worker.cancelJob (below, on a relayed cancel request).
  // A transient provider error hands the job back to BullMQ for a delay (RetryLater), so the slot
  // and the lease are free meanwhile; the run stays RUNNING and counts the attempt when it is back.
  // The executions in this process's hands: shutdown waits for them (up to its deadline) whatever
  // BullMQ's close() does (on a cluster, one close() was seen to return with a run still in hand).
  const inHand = new Map<Job<OperationJobData>, Promise<unknown>>();
  const processor = (job: Job<OperationJobData>, token?: string, signal?: AbortSignal) => {
    const execution = execute(job, token, signal);
    inHand.set(job, execution);
    void execution.finally(() => inHand.delete(job)).catch(() => undefined);
    return execution;
  };
  const execute = async (job: Job<OperationJobData>, token?: string, signal?: AbortSignal) => {
    const { retrying, ...data } = job.data;
    // Read once: a job handed on after a lost worker is not a retry.
    if (retrying) await job.updateData(data);
    try {
      await executor.execute(data.runId, signal, retrying);
    } catch (err) {
      if (!(err instanceof RetryLater)) throw err;
      await job.updateData({ ...data, retrying: err.runId });
      await job.moveToDelayed(Date.now() + err.delayMs, token);
      throw new DelayedError();
    }
  };
  // One worker per shard of the operations queue, each with its share of WORKER_CONCURRENCY (at
  // least one job at a time per shard: a process takes up to max(WORKER_CONCURRENCY, shards)).
  const shards = services.names.operationsQueues;
  const perShard = Math.max(1, Math.ceil(config.WORKER_CONCURRENCY / shards.length));
  const workers = shards.map(
    ({ name, prefix }) =>
      new Worker<OperationJobData>(name, processor, {
        connection,
        prefix,
        concurrency: perShard,
        lockDuration: config.WORKER_LOCK_MS,
        // A dead worker's lease lapses within WORKER_LOCK_MS; checking every quarter of that hands its
        // job on within about 1.25 x WORKER_LOCK_MS (checking once per lease period made it up to 2 x).
        stalledInterval: Math.max(250, Math.round(config.WORKER_LOCK_MS / 4)),
        // A job whose worker died is handed to another worker this many times before it is failed.
        maxStalledCount: 2,
      }),
  );
  for (const worker of workers) {
    worker.on('failed', (job, err) => {
      if (!job) return;
      const stalled = /stalled/i.test(err.message);
      const code = stalled ? 'WORKER_LOST' : isDatabaseUnavailable(err) ? 'DATABASE_UNAVAILABLE' : 'INTERNAL_ERROR';
      log.error(
        { runId: job.data.runId, err: err.message, code },
        stalled ? 'job stalled too often' : 'job failed outside its handler',
      );
      void executor.abandon(job.data.runId, code).catch((e) => log.error({ err: e }, 'could not fail abandoned run'));
    });
    worker.on('error', (err) => log.warn({ err: err.message }, 'worker error'));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  // Cancel requests from any API process; only the process holding the job can abort it.
  const cancelSubscriber = services.redisConnections.client('subscriber');
  cancelSubscriber.on('error', (err) => log.warn({ err: err.message }, 'cancel relay redis connection error'));
  const stopListening = await services.cancelRelay.listen(
    cancelSubscriber,
    (runId) => {
      if (workers.some((worker) => worker.cancelJob(runId, 'cancel requested')))
        log.info({ runId }, 'cancel requested: stopping the run at its next safe point');
    },
    log,
  );

  const reconciler = new Reconciler(
    services.prisma,
    services.dispatcher,
    executor,
    log.child({ component: 'reconciler' }),
    config.RECONCILE_INTERVAL_MS,
    undefined,
    services.schedules,
  );
  reconciler.start();

  // History retention: terminal runs and read notifications past their retention, in small batches.
  const retention = new Retention(services.prisma, services.metrics, log.child({ component: 'retention' }), {
    runDays: config.RUN_RETENTION_DAYS,
    notificationDays: config.NOTIFICATION_RETENTION_DAYS,
    batch: config.RETENTION_BATCH,
    intervalMs: config.RETENTION_INTERVAL_MS,
  });
  retention.start();

  // Schedule firings: one job per due tick (BullMQ job schedulers), taken by one worker process.
  const firingConnection = services.redisConnections.client('bullmq');
  firingConnection.on('error', (err) => log.warn({ err: err.message }, 'firing worker redis connection error'));
  const firings = new Worker<FiringJobData>(
    services.names.schedulesQueue.name,
    async (job) => {
      // The tick this job stands for: a job scheduler's job is delayed until it.
      const tickAt = new Date(job.timestamp + (job.opts.delay ?? 0));
      try {
        const result = await services.schedules.fire(job.data.scheduleId, tickAt);
        services.metrics.scheduleFirings.inc({
          outcome: result.fired ? result.status : `SKIPPED_${result.why.toUpperCase()}`,
        });
        return result;
      } catch (err) {
        services.metrics.scheduleFirings.inc({ outcome: 'NO_ANSWER' }); // retried with backoff
        throw err;
      }
    },
    { connection: firingConnection, prefix: services.names.schedulesQueue.prefix, concurrency: 4 },
  );
  firings.on('failed', (job, err) =>
    log.warn(
      { scheduleId: job?.data.scheduleId, err: err.message, attempt: job?.attemptsMade },
      'schedule firing failed; retried with backoff',
    ),
  );
  firings.on('error', (err) => log.warn({ err: err.message }, 'firing worker error'));
  await firings.waitUntilReady();
  // A Redis flushed or restored behind our back loses no schedule.
  await services.schedules
    .reconcile()
    .then((r) => log.info(r, 'schedule triggers reconciled'))
    .catch((err) => log.error({ err }, 'schedule triggers not reconciled'));

  return {
    workers,
    firings,
    executor,
    reconciler,
    retention,
    async close(graceMs = Number.POSITIVE_INFINITY) {
      reconciler.stop();
      await retention.stop();
      await stopListening();
      cancelSubscriber.disconnect();
      // Waits for the jobs in hand to finish: on SIGTERM a worker completes its current run.
      const deadline = Date.now() + graceMs;
      await Promise.all([...workers, firings].map((w) => closeWithin(w as Worker, graceMs, log)));
      if (inHand.size > 0) {
        log.warn({ runs: inHand.size }, 'a queue closed with executions still in hand: waiting for them');
        await settlesWithin(Promise.allSettled([...inHand.values()]), deadline - Date.now());
      }
      connection.disconnect();
      firingConnection.disconnect();
    },
  };
}

/**
 * Takes no new job and lets the jobs in hand finish for up to `graceMs`, then closes regardless: a
 * job still running (a provider call that hangs) stops having its lease renewed and, once the
 * process has exited, is taken over by another worker as a stalled job (attempt n + 1), as after
 * a kill. Its signal is not aborted: to the executor an abort means a cancel request.
 */
async function closeWithin(worker: Worker, graceMs: number, log: Services['log']): Promise<void> {
  // close(), not pause() then close(): pause() re-opens the blocking connection it has just closed,
  // and on a Redis Cluster one of several workers' pause() could wait forever for that
  // connection's end (seen in test/cluster; bullmq#4065 reports the same on a single node).
  const closing = worker.close(); // takes no new job, resolves once the jobs in hand are done
  closing.catch(() => undefined);
  if (await settlesWithin(closing, graceMs)) return;
  log.warn({ queue: worker.name, graceMs }, 'jobs still running at the shutdown deadline: handing them back');
  await worker.disconnect();
}

/** True once `work` resolves (a rejection is thrown), false after `ms` (never, for an infinite `ms`). */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(() => true),
      new Promise<boolean>((resolve) => {
        if (Number.isFinite(ms)) timer = setTimeout(() => resolve(false), Math.max(0, ms));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
