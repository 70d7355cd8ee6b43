// RunExecutor: runs one admitted run against its pinned connection. It guards the connection
// again before touching the provider, hands transient provider errors back to BullMQ to be retried
// after a backoff (RetryLater; each attempt counted on the run), stops at the next safe point when
// the run is cancelled, and reports every outcome to RunLifecycle.
import { setTimeout as delay } from 'node:timers/promises';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../logger.js';
import type { OperationRun, PrismaClient } from '../generated/prisma/client.js';
import { connectionBlock } from '../gate/preflight.js';
import type { ReasonCode } from '../operations/reasons.js';
import { operation } from '../operations/catalogue.js';
import { isTerminal } from '../operations/status.js';
import { HANDLERS } from './handlers/index.js';
import { ProviderError } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { RunEnd, RunLifecycle } from '../runs/lifecycle.js';
import type { JobContext } from './handler.js';

export type RetryPolicy = {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a run waits for an unreachable PostgreSQL before its job is given up (default 5 min). */
  databasePatienceMs?: number;
  /** How often a running run re-reads its cancel request, should the Redis signal be lost (default 1 s). */
  cancelPollMs?: number;
};

/**
 * Named pauses in a run's path, injected by tests (like the gate's Racepoints) to hold a run at
 * an exact point, observe it, act (e.g. cancel it) and let it go on. Unset in production.
 */
export type ExecutorRacepoints = {
  /** QUEUED -> RUNNING is committed and published; the provider has not been called yet. */
  afterMarkRunning?: (run: OperationRun) => Promise<void>;
  /** The run's outcome is decided (handler result, failure or cancel); RunLifecycle has not written it yet. */
  beforeFinish?: (runId: string, result: RunEnd) => Promise<void>;
};

/**
 * A transient provider error, to be retried after `delayMs` by handing the job back to BullMQ
 * (job.moveToDelayed), not by sleeping inside it: the worker's slot and lease are free meanwhile.
 * `runId` is the run whose attempt failed (a bootstrap's step, or the run itself): only it counts a
 * new attempt when the job comes back.
 */
export class RetryLater extends Error {
  constructor(
    readonly runId: string,
    readonly delayMs: number,
  ) {
    super(`retry run ${runId} in ${delayMs} ms`);
    this.name = 'RetryLater';
  }
}

export class RunExecutor {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly lifecycle: RunLifecycle,
    private readonly providers: ProviderRegistry,
    private readonly retry: RetryPolicy,
    private readonly log: Logger,
    private readonly racepoints: ExecutorRacepoints = {},
  ) {}

  /**
   * Executes the run to a terminal state; returns its final row (null for an unknown id).
   * `signal` is the job's (BullMQ aborts it on worker.cancelJob); a bootstrap's steps share it.
   * `retrying`: the job is back from a RetryLater of that run. Throws RetryLater to be retried.
   */
  async execute(runId: string, signal?: AbortSignal, retrying?: string): Promise<OperationRun | null> {
    const run = await this.durably(this.log, () =>
      this.prisma.operationRun.findUnique({
        where: { id: runId },
        include: { tenant: true, providerConnection: true, restoreRun: true },
      }),
    );
    if (!run) return null;
    const { tenant, providerConnection, restoreRun, ...row } = run;
    if (isTerminal(row.status)) return row;
    const op = operation(row.type);
    const log = this.log.child({ runId, type: row.type, tenantId: row.tenantId });
    // Cancelled while nobody ran it (a lost worker, a job handed on): end it without the provider.
    if (row.cancelRequestedAt) return this.end(row.id, { status: 'CANCELLED', reason: { code: 'CANCELLED_BY_USER' } });

    // The pinned connection may have been disabled or lost its credentials since admission.
    const block = connectionBlock(
      providerConnection,
      op.requiresValidCredentials,
      !providerConnection || this.providers.canRun(providerConnection.provider, op.type),
    );
    if (block) {
      log.info({ reason: block }, 'pinned connection unusable; run failed before calling the provider');
      return this.end(row.id, { status: 'FAILED', summary: zero(), reason: { code: block } });
    }
    // The connection's own kind of provider, with its credentials as only that kind reads them.
    const { client, connection } = this.providers.connect(providerConnection!, tenant.externalTenantId);

    const cancel = this.watchCancel(row.id, signal);
    try {
      return await this.attempts(
        row,
        op.type,
        { tenant, connection, restoreRun, provider: client },
        cancel.signal,
        log,
        retrying,
      );
    } finally {
      cancel.stop();
    }
  }

  private async attempts(
    row: OperationRun,
    type: OperationRun['type'],
    target: Pick<JobContext, 'tenant' | 'connection' | 'restoreRun' | 'provider'>,
    signal: AbortSignal,
    log: Logger,
    retrying: string | undefined,
  ): Promise<OperationRun> {
    // No summary: the counts saved so far (ctx.progress) stand.
    const cancelled = (): RunEnd => ({ status: 'CANCELLED', reason: { code: 'CANCELLED_BY_USER' } });
    // A bootstrap back for its step's retry goes on with the attempt it is in; the step counts one.
    const resuming = retrying !== undefined && retrying !== row.id && row.status === 'RUNNING';
    for (let attempt = resuming ? row.attempts : row.attempts + 1; ; attempt++) {
      if (attempt > this.retry.maxAttempts) {
        return this.end(row.id, { status: 'FAILED', summary: zero(), reason: { code: 'WORKER_LOST' } });
      }
      // QUEUED -> RUNNING loses to a cancel that ended the run first: the provider is never called.
      const counted = !(resuming && attempt === row.attempts);
      const running = await this.durably(log, () => this.lifecycle.markRunning(row.id, counted));
      if (!running) return this.current(row.id);
      await this.racepoints.afterMarkRunning?.(running);
      if (running.cancelRequestedAt || signal.aborted) return this.end(row.id, cancelled());
      const ctx: JobContext = {
        run: running,
        ...target,
        prisma: this.prisma,
        steps: () => this.prisma.operationRun.findMany({ where: { parentId: row.id }, orderBy: { step: 'asc' } }),
        // Retried through a database outage: a count lost after its item was applied would make a
        // later attempt apply that item again (a restore resumes after the items it counted).
        progress: async (summary) => void (await this.durably(log, () => this.lifecycle.progress(row.id, summary))),
        signal,
        call: { attempt, signal },
        log,
        executeStep: async (stepId) =>
          (await this.execute(stepId, signal, retrying)) ?? Promise.reject(new Error(`step ${stepId} vanished`)),
      };
      try {
        // A result the handler returned stands, even if a cancel came after its last provider call.
        return await this.end(row.id, await HANDLERS[type](ctx));
      } catch (err) {
        // Aborted mid-call: CANCELLED with the counts saved so far.
        if (signal.aborted) return this.end(row.id, cancelled());
        // A step's retry: the whole job waits, the bootstrap stays RUNNING.
        if (err instanceof RetryLater) throw err;
        if (err instanceof ProviderError && err.transient && attempt < this.retry.maxAttempts) {
          const delay = this.backoff(attempt, err.retryAfterMs);
          log.warn({ code: err.code, attempt, delay }, 'transient provider error; retrying after a delay');
          // The run stays RUNNING; a cancel meanwhile brings the job back at once (JobDispatcher.hurry).
          throw new RetryLater(row.id, delay);
        }
        if (!(err instanceof ProviderError) && isDatabaseUnavailable(err) && attempt < this.retry.maxAttempts) {
          // The handler lost PostgreSQL mid-run: the next attempt starts once it answers again.
          log.warn(
            { err: (err as Error).message, attempt },
            'database unreachable during the run; retrying when it is back',
          );
          continue;
        }
        const code: ReasonCode =
          err instanceof ProviderError
            ? err.code
            : isDatabaseUnavailable(err)
              ? 'DATABASE_UNAVAILABLE'
              : 'INTERNAL_ERROR';
        if (code === 'INTERNAL_ERROR') log.error({ err }, 'handler failed unexpectedly');
        else log.info({ code, attempt }, 'provider error; run failed');
        return this.end(row.id, { status: 'FAILED', summary: zero(), reason: { code } });
      }
    }
  }

  /**
   * A job that BullMQ gave up on (stalled too often, or crashed outside the handler). A run whose
   * cancel was requested ends CANCELLED, not FAILED: that is what the operator asked for.
   */
  async abandon(runId: string, code: ReasonCode): Promise<void> {
    const run = await this.prisma.operationRun.findUnique({
      where: { id: runId },
      select: { cancelRequestedAt: true },
    });
    await this.lifecycle.finish(
      runId,
      run?.cancelRequestedAt
        ? { status: 'CANCELLED', reason: { code: 'CANCELLED_BY_USER' } }
        : { status: 'FAILED', reason: { code } },
    );
  }

  private async end(runId: string, ended: RunEnd): Promise<OperationRun> {
    // A handler that stopped at a safe point says CANCELLED; the reason is always the same.
    const result: RunEnd = ended.status === 'CANCELLED' ? { ...ended, reason: { code: 'CANCELLED_BY_USER' } } : ended;
    await this.racepoints.beforeFinish?.(runId, result);
    // The steps that will not run end with it, in the same transaction (RunLifecycle.finish).
    await this.durably(this.log, () => this.lifecycle.finish(runId, result));
    return this.durably(this.log, () => this.current(runId));
  }

  /**
   * The run's cancel signal: the job's own (aborted by worker.cancelJob when the Redis relay
   * brings a request), or a request found by re-reading the run, should that message be lost.
   */
  private watchCancel(runId: string, jobSignal: AbortSignal | undefined): { signal: AbortSignal; stop(): void } {
    const local = new AbortController();
    const poll = setInterval(() => {
      this.prisma.operationRun
        .findUnique({ where: { id: runId }, select: { cancelRequestedAt: true } })
        .then((r) => r?.cancelRequestedAt && local.abort(new Error('cancel requested')))
        .catch(() => undefined);
    }, this.retry.cancelPollMs ?? 1_000);
    poll.unref();
    return {
      signal: jobSignal ? AbortSignal.any([jobSignal, local.signal]) : local.signal,
      stop: () => clearInterval(poll),
    };
  }

  /**
   * A run's outcome is not lost to a PostgreSQL outage: the write is retried (the job stays in
   * this worker's hands, its lease renewed in Redis) until the database answers, so the run ends
   * with what really happened as soon as it is back, not as a lost worker much later.
   */
  private async durably<T>(log: Logger, write: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + (this.retry.databasePatienceMs ?? 300_000);
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        return await write();
      } catch (err) {
        if (!isDatabaseUnavailable(err) || Date.now() + wait > giveUpAt) throw err;
        log.warn({ err: (err as Error).message, retryInMs: wait }, 'database unreachable; retrying the run write');
        await delay(wait);
      }
    }
  }

  private async current(runId: string): Promise<OperationRun> {
    return this.prisma.operationRun.findUniqueOrThrow({ where: { id: runId } });
  }

  private backoff(attempt: number, retryAfterMs?: number): number {
    const exponential = this.retry.baseDelayMs * 2 ** (attempt - 1);
    return Math.min(Math.max(exponential, retryAfterMs ?? 0), this.retry.maxDelayMs);
  }
}

const zero = () => ({ total: 0, succeeded: 0, failed: 0, skipped: 0 });
