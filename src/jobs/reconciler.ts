// Reconciler: makes sure no admitted run is forgotten. A run whose job never reached the queue
// (the API process died between commit and dispatch) is dispatched again; a run whose job is
// gone or failed while the run still looks active is failed as WORKER_LOST. And no enabled
// schedule is forgotten: job schedulers that Redis lost (restarted empty, flushed, failed over) are
// recreated on the same tick, without a worker restart.
import { ACTIVE_STATUSES } from '../operations/status.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../logger.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { JobDispatcher } from './dispatch.js';
import type { RunExecutor } from './executor.js';

export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly dispatcher: JobDispatcher,
    private readonly executor: RunExecutor,
    private readonly log: Logger,
    private readonly intervalMs: number,
    /** Runs younger than this are left alone: their dispatch may still be in flight. */
    private readonly graceMs = Math.max(intervalMs, 5_000),
    /** The schedule service's repair of lost job schedulers, when this process fires schedules. */
    private readonly schedules?: { repairTriggers(): Promise<unknown> },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      void this.sweep().catch((err) => this.log.warn({ err }, 'reconcile sweep failed'));
      void this.schedules
        ?.repairTriggers()
        .catch((err) => this.log.warn({ err }, 'job scheduler repair failed; retried next tick'));
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; returns how many runs it repaired. */
  async sweep(): Promise<{ redispatched: number; failed: number }> {
    if (this.running) return { redispatched: 0, failed: 0 };
    this.running = true;
    try {
      const stale = await this.prisma.operationRun.findMany({
        where: {
          parentId: null,
          status: { in: [...ACTIVE_STATUSES] },
          createdAt: { lt: new Date(Date.now() - this.graceMs) },
        },
        orderBy: { createdAt: 'asc' },
        take: 200,
      });
      let redispatched = 0;
      let failed = 0;
      for (const run of stale) {
        const job = await this.dispatcher.getJob(run.id, run.tenantId);
        const state = job ? await job.getState() : 'missing';
        if (state === 'missing' && run.status === 'QUEUED') {
          await this.dispatcher.dispatch(run);
          redispatched++;
        } else if (state === 'missing' || state === 'failed' || state === 'completed') {
          // A job that failed because PostgreSQL stayed away says so; anything else lost its worker.
          const databaseLost = state === 'failed' && isDatabaseUnavailable({ message: job?.failedReason });
          await this.executor.abandon(run.id, databaseLost ? 'DATABASE_UNAVAILABLE' : 'WORKER_LOST');
          failed++;
        }
      }
      if (redispatched || failed) this.log.warn({ redispatched, failed }, 'reconciled runs');
      return { redispatched, failed };
    } finally {
      this.running = false;
    }
  }
}
