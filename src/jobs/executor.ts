// RunExecutor: runs one admitted run against its pinned connection. It guards the connection
// again before touching the provider, retries transient provider errors with backoff (each
// attempt counted on the run), and reports every outcome to RunLifecycle.
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../logger.js';
import type { OperationRun, PrismaClient } from '../generated/prisma/client.js';
import { connectionBlock } from '../gate/preflight.js';
import type { ReasonCode } from '../operations/reasons.js';
import { operation } from '../operations/catalogue.js';
import { isTerminal } from '../operations/status.js';
import { HANDLERS } from './handlers/index.js';
import { ProviderError, type PinnedConnection, type Provider } from '../providers/provider.js';
import type { RunLifecycle } from '../runs/lifecycle.js';
import type { HandlerResult, JobContext } from './handler.js';

export type RetryPolicy = {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a run waits for an unreachable PostgreSQL before its job is given up (default 5 min). */
  databasePatienceMs?: number;
};


export class RunExecutor {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly lifecycle: RunLifecycle,
    private readonly provider: Provider,
    private readonly retry: RetryPolicy,
    private readonly log: Logger,
  ) {}

  /** Executes the run to a terminal state; returns its final row (null for an unknown id). */
  async execute(runId: string): Promise<OperationRun | null> {
    const run = await this.durably(this.log, () =>
      this.prisma.operationRun.findUnique({ where: { id: runId }, include: { tenant: true, providerConnection: true, restoreRun: true } }),
    );
    if (!run) return null;
    const { tenant, providerConnection, restoreRun, ...row } = run;
    if (isTerminal(row.status)) return row;
    const op = operation(row.type);
    const log = this.log.child({ runId, type: row.type });

    // The pinned connection may have been disabled or lost its credentials since admission.
    const block = connectionBlock(providerConnection, op.requiresValidCredentials);
    if (block) {
      log.info({ reason: block }, 'pinned connection unusable; run failed before calling the provider');
      return this.end(row.id, { status: 'FAILED', summary: zero(), reason: { code: block } });
    }
    const connection: PinnedConnection = {
      id: providerConnection!.id,
      tenantExternalId: tenant.externalTenantId,
      clientId: providerConnection!.clientId,
      clientSecret: providerConnection!.clientSecret,
      simulation: providerConnection!.simulation,
    };

    for (let attempt = row.attempts + 1; ; attempt++) {
      if (attempt > this.retry.maxAttempts) {
        return this.end(row.id, { status: 'FAILED', summary: zero(), reason: { code: 'WORKER_LOST' } });
      }
      const running = await this.durably(log, () => this.lifecycle.markRunning(row.id));
      if (!running) return this.current(row.id);
      const ctx: JobContext = {
        run: running,
        tenant,
        connection,
        restoreRun,
        provider: this.provider,
        prisma: this.prisma,
        steps: () => this.prisma.operationRun.findMany({ where: { parentId: row.id }, orderBy: { step: 'asc' } }),
        call: { attempt },
        log,
        executeStep: async (stepId) => (await this.execute(stepId)) ?? Promise.reject(new Error(`step ${stepId} vanished`)),
        cancelPendingSteps: (step) => this.lifecycle.cancelPendingSteps(row.id, 'CANCELLED_AFTER_FAILED_STEP', step),
      };
      try {
        return await this.end(row.id, await HANDLERS[row.type](ctx));
      } catch (err) {
        if (err instanceof ProviderError && err.transient && attempt < this.retry.maxAttempts) {
          const delay = this.backoff(attempt, err.retryAfterMs);
          log.warn({ code: err.code, attempt, delay }, 'transient provider error; retrying');
          await sleep(delay);
          continue;
        }
        if (!(err instanceof ProviderError) && isDatabaseUnavailable(err) && attempt < this.retry.maxAttempts) {
          // The handler lost PostgreSQL mid-run: the next attempt starts once it answers again.
          log.warn({ err: (err as Error).message, attempt }, 'database unreachable during the run; retrying when it is back');
          continue;
        }
        const code: ReasonCode = err instanceof ProviderError ? err.code : isDatabaseUnavailable(err) ? 'DATABASE_UNAVAILABLE' : 'INTERNAL_ERROR';
        if (code === 'INTERNAL_ERROR') log.error({ err }, 'handler failed unexpectedly');
        else log.info({ code, attempt }, 'provider error; run failed');
        return this.end(row.id, { status: 'FAILED', summary: zero(), reason: { code } });
      }
    }
  }

  /** A job that BullMQ gave up on (stalled too often, or crashed outside the handler). */
  async abandon(runId: string, code: ReasonCode): Promise<void> {
    await this.lifecycle.finish(runId, { status: 'FAILED', reason: { code } });
    await this.lifecycle.cancelPendingSteps(runId, code);
  }

  private async end(runId: string, result: HandlerResult): Promise<OperationRun> {
    await this.durably(this.log, () => this.lifecycle.finish(runId, result));
    if (result.status === 'FAILED') await this.durably(this.log, () => this.lifecycle.cancelPendingSteps(runId, result.reason?.code ?? 'INTERNAL_ERROR'));
    return this.durably(this.log, () => this.current(runId));
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
        await sleep(wait);
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
