// StartResultPresenter: turns a gate outcome into the public StartResult, with the same status,
// wording, next steps and canonical run link for every operation and every surface; and a start
// preview (what a start would answer now) into the same words.
import type { OperationRun } from '../generated/prisma/client.js';
import { runRoute, runUrl } from '../operations/routes.js';
import type { BlockReasonCode } from '../operations/block-reasons.js';
import { type NextStep, capitalize, translateReason } from '../operations/reasons.js';
import { type OperationDefinition, operation } from '../operations/catalogue.js';
import type { OperationType, Role } from '../generated/prisma/enums.js';
import type { Decision, StartOutcome } from './start-gate.js';

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

/** What a start would answer (docs/behaviour.md#previews-and-provider-connections): the start statuses, READY for QUEUED, and FORBIDDEN. */
export type PreviewStatus = 'READY' | 'ALREADY_RUNNING' | 'SCOPE_BUSY' | 'BLOCKED' | 'FORBIDDEN';
export type PreviewText = {
  type: OperationType;
  label: string;
  status: PreviewStatus;
  message: string;
  reason: { code: BlockReasonCode; message: string } | null;
  nextSteps: NextStep[];
  /** The active run (ALREADY_RUNNING) or the blocking one (SCOPE_BUSY). */
  run: OperationRun | null;
};

// The wording of each answer, shared by starts and previews so both read the same.
const deduped = (op: OperationDefinition, run: OperationRun) => ({
  message: `${op.label} already running`,
  nextSteps: [openRun(run)],
});

function busy(op: OperationDefinition, blockingRun: OperationRun) {
  const blocking = operation(blockingRun.type).label;
  return {
    message: `${op.label} not started: ${blocking} is in progress on this tenant`,
    nextSteps: [{ ...openRun(blockingRun), label: `Open ${blocking.toLowerCase()} run` }],
  };
}

/** `where` is the run a start records (or a preview would): its tenant, connection and restore run route the next steps. */
function blocked(
  op: OperationDefinition,
  code: BlockReasonCode,
  where: { tenantId: string; providerConnectionId: string | null; restoreRunId: string | null },
) {
  const reason = translateReason(code, {
    tenantId: where.tenantId,
    connectionId: where.providerConnectionId,
    restoreRunId: where.restoreRunId,
  });
  return {
    message: `${op.label} blocked: ${reason.message}`,
    nextSteps: reason.nextSteps,
    reason: { code, message: capitalize(reason.message) },
  };
}

const ROLE_NAMES: Record<Role, string> = {
  OWNER: 'owners',
  MANAGER: 'managers',
  OPERATOR: 'operators',
  READONLY: 'readers',
};
const roleList = (roles: readonly Role[]) => {
  const names = roles.map((r) => ROLE_NAMES[r]);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join('');
};

export class StartResultPresenter {
  constructor(private readonly publicAppUrl: string) {}

  present(outcome: StartOutcome): StartResultShape {
    switch (outcome.status) {
      case 'QUEUED':
        return {
          __typename: 'StartAccepted',
          status: 'QUEUED',
          message: `${outcome.op.label} queued`,
          nextSteps: [openRun(outcome.run)],
          run: outcome.run,
          runUrl: this.url(outcome.run),
        };
      case 'ALREADY_RUNNING':
        return {
          __typename: 'StartDeduped',
          status: 'ALREADY_RUNNING',
          ...deduped(outcome.op, outcome.run),
          run: outcome.run,
          runUrl: this.url(outcome.run),
        };
      case 'SCOPE_BUSY':
        return {
          __typename: 'StartScopeBusy',
          status: 'SCOPE_BUSY',
          ...busy(outcome.op, outcome.blockingRun),
          blockingRun: outcome.blockingRun,
          runUrl: this.url(outcome.blockingRun),
        };
      case 'BLOCKED':
        return {
          __typename: 'StartBlocked',
          status: 'BLOCKED',
          ...blocked(outcome.op, outcome.reason, outcome.run),
          run: outcome.run,
        };
    }
  }

  /** A preview in the words its start would answer with; READY and FORBIDDEN are the preview's own. */
  preview(decision: Decision): PreviewText {
    const { op } = decision;
    const base = { type: op.type, label: op.label, reason: null, run: null };
    switch (decision.status) {
      case 'READY':
        return { ...base, status: 'READY', message: `${op.label} ready to start`, nextSteps: [] };
      case 'FORBIDDEN':
        return {
          ...base,
          status: 'FORBIDDEN',
          message: `${op.label} can only be started by ${roleList(op.roles)}`,
          nextSteps: [],
        };
      case 'ALREADY_RUNNING':
        return { ...base, status: 'ALREADY_RUNNING', ...deduped(op, decision.run), run: decision.run };
      case 'SCOPE_BUSY':
        return { ...base, status: 'SCOPE_BUSY', ...busy(op, decision.blockingRun), run: decision.blockingRun };
      case 'BLOCKED':
        return { ...base, status: 'BLOCKED', ...blocked(op, decision.reason, decision.candidate) };
    }
  }

  private url(run: OperationRun): string {
    return runUrl(this.publicAppUrl, run.id);
  }
}
