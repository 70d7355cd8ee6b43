// StartResultPresenter: turns a gate outcome into the public StartResult, with the same status,
// wording, next steps and canonical run link for every operation and every surface.
import type { OperationRun } from '../generated/prisma/client.js';
import { runRoute, runUrl } from '../operations/routes.js';
import type { BlockReasonCode } from '../operations/block-reasons.js';
import { type NextStep, capitalize, translateReason } from '../operations/reasons.js';
import { operation } from '../operations/catalogue.js';
import type { StartOutcome } from './start-gate.js';

type Base = { status: StartOutcome['status']; message: string; nextSteps: NextStep[] };
export type StartResultShape =
  | (Base & { __typename: 'StartAccepted'; run: OperationRun; runUrl: string })
  | (Base & { __typename: 'StartDeduped'; run: OperationRun; runUrl: string })
  | (Base & { __typename: 'StartScopeBusy'; blockingRun: OperationRun; runUrl: string })
  | (Base & { __typename: 'StartBlocked'; run: OperationRun; reason: { code: BlockReasonCode; message: string } });

const openRun = (run: OperationRun): NextStep => ({
  label: 'Open run',
  action: 'OPEN_OPERATION_RUN',
  url: runRoute(run.id),
});

export class StartResultPresenter {
  constructor(private readonly publicAppUrl: string) {}

  present(outcome: StartOutcome): StartResultShape {
    const label = outcome.op.label;
    switch (outcome.status) {
      case 'QUEUED':
        return {
          __typename: 'StartAccepted',
          status: 'QUEUED',
          message: `${label} queued`,
          nextSteps: [openRun(outcome.run)],
          run: outcome.run,
          runUrl: this.url(outcome.run),
        };
      case 'ALREADY_RUNNING':
        return {
          __typename: 'StartDeduped',
          status: 'ALREADY_RUNNING',
          message: `${label} already running`,
          nextSteps: [openRun(outcome.run)],
          run: outcome.run,
          runUrl: this.url(outcome.run),
        };
      case 'SCOPE_BUSY': {
        const blocking = operation(outcome.blockingRun.type).label;
        return {
          __typename: 'StartScopeBusy',
          status: 'SCOPE_BUSY',
          message: `${label} not started: ${blocking} is in progress on this tenant`,
          nextSteps: [{ ...openRun(outcome.blockingRun), label: `Open ${blocking.toLowerCase()} run` }],
          blockingRun: outcome.blockingRun,
          runUrl: this.url(outcome.blockingRun),
        };
      }
      case 'BLOCKED': {
        const reason = translateReason(outcome.reason, {
          tenantId: outcome.run.tenantId,
          connectionId: outcome.run.providerConnectionId,
          restoreRunId: outcome.run.restoreRunId,
        });
        return {
          __typename: 'StartBlocked',
          status: 'BLOCKED',
          message: `${label} blocked: ${reason.message}`,
          nextSteps: reason.nextSteps,
          run: outcome.run,
          reason: { code: outcome.reason, message: capitalize(reason.message) },
        };
      }
    }
  }

  private url(run: OperationRun): string {
    return runUrl(this.publicAppUrl, run.id);
  }
}
