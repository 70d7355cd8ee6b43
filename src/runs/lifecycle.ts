// RunLifecycle: the only code that creates operation runs or changes their status.
// Every transition is a conditional update (a run that already ended is never rewritten), and
// every transition that happened is published from here, after its transaction committed.
import type { Logger } from '../logger.js';
import type { OperationRun, Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { OperationRunStatus, OperationType, RestoreRunStatus, ScopeClass } from '../generated/prisma/enums.js';
import { operation } from '../gate/registry.js';
import { type ReasonCode, type ReasonScope, capitalize, translateReason } from '../gate/reasons.js';
import type { RunEventPublisher } from './events.js';
import { runUrl } from './links.js';

type Tx = Prisma.TransactionClient;

export type Summary = { total: number; succeeded: number; failed: number; skipped: number };
export type TerminalStatus = Extract<OperationRunStatus, 'SUCCEEDED' | 'PARTIALLY_SUCCEEDED' | 'FAILED' | 'CANCELLED'>;

export type NewRun = {
  type: OperationType;
  tenantId: string;
  workspaceId: string;
  providerConnectionId: string | null;
  restoreRunId: string | null;
  initiatorId: string | null;
  dedupeKey: string;
  scopeClass: ScopeClass;
};

export type RunEnd = {
  status: TerminalStatus;
  summary?: Partial<Summary>;
  reason?: { code: ReasonCode; step?: string };
  /** False when the initiator already got the answer synchronously (a start that could not be queued). */
  notify?: boolean;
};

const RESTORE_OUTCOME: Record<TerminalStatus, RestoreRunStatus> = {
  SUCCEEDED: 'COMPLETED',
  PARTIALLY_SUCCEEDED: 'PARTIALLY_COMPLETED',
  FAILED: 'FAILED',
  CANCELLED: 'FAILED',
};

const ENDED_WORDS: Record<TerminalStatus, string> = {
  SUCCEEDED: 'succeeded',
  PARTIALLY_SUCCEEDED: 'partially succeeded',
  FAILED: 'failed',
  CANCELLED: 'was cancelled',
};

function reasonColumns(code: ReasonCode, scope: ReasonScope) {
  const reason = translateReason(code, scope);
  return { reasonCode: reason.code, reasonMessage: reason.message, reasonNextSteps: reason.nextSteps };
}

const scopeOf = (run: Pick<OperationRun, 'tenantId' | 'providerConnectionId' | 'restoreRunId'>, step?: string): ReasonScope => ({
  tenantId: run.tenantId,
  connectionId: run.providerConnectionId,
  restoreRunId: run.restoreRunId,
  step,
});

export class RunLifecycle {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: RunEventPublisher,
    private readonly publicAppUrl: string,
    private readonly log: Logger,
  ) {}

  /** A start refused by preflight: recorded so monitoring can tell it from a failure; never queued. */
  async recordBlocked(input: NewRun, code: ReasonCode): Promise<OperationRun> {
    const now = new Date();
    const run = await this.prisma.operationRun.create({
      data: {
        ...runColumns(input),
        status: 'BLOCKED',
        finishedAt: now,
        ...reasonColumns(code, { tenantId: input.tenantId, connectionId: input.providerConnectionId, restoreRunId: input.restoreRunId }),
      },
    });
    await this.publish(input.workspaceId, run);
    return run;
  }

  /** Inside the gate's admission transaction: the QUEUED run and, for a multi-step operation, its steps. */
  async createQueued(tx: Tx, input: NewRun, stepKey: (parentId: string, step: number) => string): Promise<OperationRun> {
    const run = await tx.operationRun.create({ data: { ...runColumns(input), status: 'QUEUED' } });
    const steps = operation(input.type).steps ?? [];
    if (steps.length) {
      await tx.operationRun.createMany({
        data: steps.map((type, i) => ({
          ...runColumns({ ...input, type, restoreRunId: null }),
          scopeClass: operation(type).scope,
          status: 'QUEUED' as const,
          parentId: run.id,
          step: i + 1,
          dedupeKey: stepKey(run.id, i + 1),
        })),
      });
    }
    return run;
  }

  /** After the admission transaction committed. */
  async admitted(workspaceId: string, run: OperationRun): Promise<void> {
    await this.publish(workspaceId, run);
  }

  /** QUEUED (or RUNNING, on a retried attempt) -> RUNNING. Null when the run already ended. */
  async markRunning(runId: string): Promise<OperationRun | null> {
    return this.transition(runId, ['QUEUED', 'RUNNING'], (current) => ({
      status: 'RUNNING',
      startedAt: current.startedAt ?? new Date(),
      attempts: { increment: 1 },
    }));
  }

  async recordProgress(runId: string, summary: Partial<Summary>): Promise<void> {
    const run = await this.transition(runId, ['RUNNING'], () => ({ ...summary }));
    if (!run) this.log.debug({ runId }, 'progress for a run that is not running ignored');
  }

  /** Any active state -> a terminal one, with summary and translated reason; notifies the initiator. */
  async finish(runId: string, end: RunEnd): Promise<OperationRun | null> {
    return this.transition(
      runId,
      ['QUEUED', 'RUNNING'],
      (current) => ({
        status: end.status,
        finishedAt: new Date(),
        ...end.summary,
        ...(end.reason ? reasonColumns(end.reason.code, scopeOf(current, end.reason.step)) : {}),
      }),
      async (tx, run, workspaceId, tenantName) => {
        if (run.restoreRunId && run.type === 'RESTORE_EXECUTE') {
          await tx.restoreRun.update({ where: { id: run.restoreRunId }, data: { status: RESTORE_OUTCOME[end.status] } });
        }
        if (run.initiatorId && !run.parentId && end.notify !== false) {
          return this.notify(tx, run, tenantName);
        }
        return null;
      },
    );
  }

  /** The run row exists but its job could not be queued: it must not stay QUEUED forever. */
  async failDispatch(runId: string): Promise<void> {
    await this.finish(runId, { status: 'FAILED', reason: { code: 'DISPATCH_FAILED' }, notify: false });
    await this.cancelPendingSteps(runId, 'DISPATCH_FAILED');
  }

  /** Cancels a parent's steps that have not run yet. */
  async cancelPendingSteps(parentId: string, code: ReasonCode, step?: string): Promise<void> {
    const pending = await this.prisma.operationRun.findMany({
      where: { parentId, status: { in: ['QUEUED', 'RUNNING'] } },
      select: { id: true },
      orderBy: { step: 'asc' },
    });
    for (const child of pending) await this.finish(child.id, { status: 'CANCELLED', reason: { code, step } });
  }

  private async notify(tx: Tx, run: OperationRun, tenantName: string): Promise<string> {
    const label = operation(run.type).label;
    const ended = ENDED_WORDS[run.status as TerminalStatus];
    const counts = run.total > 0 ? ` ${run.succeeded} of ${run.total} items succeeded` + (run.failed ? `, ${run.failed} failed` : '') + (run.skipped ? `, ${run.skipped} skipped` : '') + '.' : '';
    const why = run.reasonMessage ? ` ${capitalize(run.reasonMessage)}.` : '';
    const notification = await tx.notification.create({
      data: {
        userId: run.initiatorId!,
        runId: run.id,
        title: `${label} ${ended}`,
        body: `${label} on ${tenantName} ${ended}.${counts}${why} ${runUrl(this.publicAppUrl, run.id)}`,
      },
    });
    return notification.id;
  }

  private async transition(
    runId: string,
    from: OperationRunStatus[],
    change: (current: OperationRun) => Prisma.OperationRunUpdateInput,
    alsoInTx?: (tx: Tx, run: OperationRun, workspaceId: string, tenantName: string) => Promise<string | null>,
  ): Promise<OperationRun | null> {
    const result = await this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ status: OperationRunStatus }[]>`SELECT status FROM "OperationRun" WHERE id = ${runId}::uuid FOR UPDATE`;
      if (!locked.length || !from.includes(locked[0].status)) return null;
      const current = await tx.operationRun.findUniqueOrThrow({ where: { id: runId }, include: { tenant: { select: { workspaceId: true, name: true } } } });
      const { tenant, ...currentRun } = current;
      const run = await tx.operationRun.update({ where: { id: runId }, data: change(currentRun) });
      const notificationId = alsoInTx ? await alsoInTx(tx, run, tenant.workspaceId, tenant.name) : null;
      return { run, workspaceId: tenant.workspaceId, notificationId };
    });
    if (!result) return null;
    await this.publish(result.workspaceId, result.run);
    if (result.notificationId && result.run.initiatorId) {
      await this.safely(() => this.events.notificationCreated({ userId: result.run.initiatorId!, notificationId: result.notificationId! }));
    }
    return result.run;
  }

  private async publish(workspaceId: string, run: OperationRun): Promise<void> {
    await this.safely(() => this.events.runUpdated({ workspaceId, run }));
  }

  /** A lost realtime event must not undo a committed transition: clients catch up by querying. */
  private async safely(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      this.log.warn({ err }, 'run event not published');
    }
  }
}

function runColumns(input: NewRun) {
  return {
    type: input.type,
    tenantId: input.tenantId,
    providerConnectionId: input.providerConnectionId,
    restoreRunId: input.restoreRunId,
    initiatorId: input.initiatorId,
    dedupeKey: input.dedupeKey,
    scopeClass: input.scopeClass,
  };
}
