// RunControl: the one decision path for cancelling a run (docs/behaviour.md#cancelling-a-run), in the order of
// the start gate: visibility (NOT_FOUND), capability from the operations catalogue (FORBIDDEN),
// and only then the run's state. A bootstrap step is controlled through its bootstrap.
import type { Viewer } from '../auth/viewer.js';
import { forbidden, notFound } from '../errors.js';
import type { OperationRun, PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { mayCancel, operation } from '../operations/catalogue.js';
import { isTerminal } from '../operations/status.js';
import { waitBriefly } from './bounded-wait.js';
import type { RunLifecycle } from './lifecycle.js';
import { findVisibleRun } from './monitoring.js';

export type CancelOutcome =
  /** Was QUEUED: now CANCELLED; it never reaches the provider. */
  | { status: 'CANCELLED'; run: OperationRun }
  /** Was RUNNING: its worker stops at the next safe point. */
  | { status: 'REQUESTED'; run: OperationRun }
  /** Terminal already (BLOCKED included): nothing changed. */
  | { status: 'FINISHED'; run: OperationRun };

/** How a cancel reaches the worker holding the run, and withdraws a job nobody took yet. */
export type CancelSignals = {
  requested(runId: string): Promise<void>;
  withdraw(runId: string): Promise<void>;
};

export class RunControl {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly lifecycle: RunLifecycle,
    private readonly signals: CancelSignals,
    private readonly log: Logger,
  ) {}

  async cancel(viewer: Viewer, runId: string): Promise<CancelOutcome> {
    const visible = await findVisibleRun(this.prisma, viewer, runId);
    if (!visible) throw notFound('Operation run');
    const run = visible.parentId
      ? await this.prisma.operationRun.findUniqueOrThrow({ where: { id: visible.parentId } })
      : visible;
    const { workspaceId } = await this.prisma.tenant.findUniqueOrThrow({
      where: { id: run.tenantId },
      select: { workspaceId: true },
    });

    const role = viewer.roles.get(workspaceId);
    if (!mayCancel(run.type, role, viewer.userId, run.initiatorId)) throw forbidden('cancel this run');

    if (isTerminal(run.status)) return { status: 'FINISHED', run };
    if (run.status === 'QUEUED') {
      const cancelled = await this.lifecycle.cancelQueued(run.id, viewer.userId);
      if (cancelled) {
        // The cancel is decided (the database says CANCELLED): the job is withdrawn while Redis answers
        // promptly; past that the answer goes out anyway and a worker that takes the job finds the run
        // cancelled.
        await waitBriefly(
          this.log,
          'job not withdrawn; its worker will find the run cancelled',
          { runId: run.id },
          () => this.signals.withdraw(run.id),
        );
        return { status: 'CANCELLED', run: cancelled };
      }
      // A worker took it at this very moment: it is RUNNING now (or already over).
    }
    const requested = await this.lifecycle.requestCancel(run.id, viewer.userId);
    if (!requested)
      return { status: 'FINISHED', run: await this.prisma.operationRun.findUniqueOrThrow({ where: { id: run.id } }) };
    // The request is recorded: a worker that misses the signal still sees it at its next check.
    await waitBriefly(this.log, 'cancel signal not sent; the worker polls for it', { runId: run.id }, () =>
      this.signals.requested(run.id),
    );
    return { status: 'REQUESTED', run: requested };
  }
}

export type CancelResultShape = {
  __typename: 'RunCancelled' | 'CancelRequested' | 'RunAlreadyFinished';
  message: string;
  run: OperationRun;
};

/** The public CancelResult: "<Operation> cancelled", "... cancellation requested", "... already finished". */
export function presentCancel(outcome: CancelOutcome): CancelResultShape {
  const label = operation(outcome.run.type).label;
  switch (outcome.status) {
    case 'CANCELLED':
      return { __typename: 'RunCancelled', message: `${label} cancelled`, run: outcome.run };
    case 'REQUESTED':
      return { __typename: 'CancelRequested', message: `${label} cancellation requested`, run: outcome.run };
    case 'FINISHED':
      return { __typename: 'RunAlreadyFinished', message: `${label} already finished`, run: outcome.run };
  }
}
