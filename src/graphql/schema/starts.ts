// The start mutations: parse arguments, call the gate, present its outcome. Nothing else.
import { requireViewer } from '../../auth/viewer.js';
import type { StartResultShape } from '../../gate/presenter.js';
import type { StartRequest } from '../../gate/start-gate.js';
import type { OperationType } from '../../generated/prisma/enums.js';
import { observeStart } from '../../metrics/start-decisions.js';
import { operationStartedBy } from '../../operations/catalogue.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { BlockReasonCodeEnum, DirectorySyncKindEnum, StartStatusEnum } from './enums.js';
import { NextStepRef, OperationRunRef } from './runs.js';

type Shape<N extends StartResultShape['__typename']> = Extract<StartResultShape, { __typename: N }>;

const StartOutcomeRef = builder.interfaceRef<StartResultShape>('StartOutcome').implement({
  resolveType: (v) => v.__typename,
  fields: (t) => ({
    status: t.field({ type: StartStatusEnum, resolve: (r) => r.status }),
    message: t.exposeString('message'),
    nextSteps: t.field({ type: [NextStepRef], resolve: (r) => r.nextSteps }),
  }),
});

export const BlockReasonRef = builder.objectRef<Shape<'StartBlocked'>['reason']>('BlockReason').implement({
  fields: (t) => ({
    code: t.field({ type: BlockReasonCodeEnum, resolve: (r) => r.code }),
    message: t.exposeString('message'),
  }),
});

const StartAccepted = builder.objectRef<Shape<'StartAccepted'>>('StartAccepted').implement({
  description: 'The run was admitted and its job queued.',
  interfaces: [StartOutcomeRef],
  fields: (t) => ({
    run: t.field({ type: OperationRunRef, resolve: (r) => r.run }),
    runUrl: t.exposeString('runUrl'),
  }),
});

const StartDeduped = builder.objectRef<Shape<'StartDeduped'>>('StartDeduped').implement({
  description: 'The same operation is already active on the same target; nothing new was queued.',
  interfaces: [StartOutcomeRef],
  fields: (t) => ({
    run: t.field({ type: OperationRunRef, resolve: (r) => r.run }),
    runUrl: t.exposeString('runUrl'),
  }),
});

const StartScopeBusy = builder.objectRef<Shape<'StartScopeBusy'>>('StartScopeBusy').implement({
  description: "A conflicting run holds the tenant's protected scope; nothing was queued.",
  interfaces: [StartOutcomeRef],
  fields: (t) => ({
    blockingRun: t.field({ type: OperationRunRef, resolve: (r) => r.blockingRun }),
    runUrl: t.exposeString('runUrl', { description: "The blocking run's link" }),
  }),
});

const StartBlocked = builder.objectRef<Shape<'StartBlocked'>>('StartBlocked').implement({
  description: 'Preflight refused the start; it is recorded as a BLOCKED run and was never queued.',
  interfaces: [StartOutcomeRef],
  fields: (t) => ({
    reason: t.field({ type: BlockReasonRef, resolve: (r) => r.reason }),
    run: t.field({ type: OperationRunRef, resolve: (r) => r.run }),
  }),
});

const StartResult = builder.unionType('StartResult', {
  types: [StartAccepted, StartDeduped, StartScopeBusy, StartBlocked],
  resolveType: (v) => v.__typename,
});

async function start(ctx: GraphQLContext, req: StartRequest): Promise<StartResultShape> {
  const { gate, metrics, log, presenter } = ctx.services;
  // Recorded here, at the edge, so a missing token counts as a decision (UNAUTHENTICATED) too.
  const outcome = await observeStart(metrics, log, req.type, async () => gate.start(requireViewer(ctx.viewer), req));
  return presenter.present(outcome);
}

const id = (value: string | number | null | undefined) => (value == null ? null : String(value));

// The operation each field starts comes from the catalogue; resolved at load, so a field the
// catalogue does not know fails at start-up (and the guard test checks every type has its field).
const started = (field: string, kind?: string): OperationType => operationStartedBy(field, kind);
const RESTORE = started('startRestore');
const VERIFICATION = started('startTenantVerification');
const CONNECTION_CHECK = started('startProviderConnectionCheck');
const BOOTSTRAP = started('startOnboardingBootstrap');

builder.mutationFields((t) => ({
  startRestore: t.field({
    type: StartResult,
    args: { restoreRunId: t.arg.id({ required: true }), providerConnectionId: t.arg.id({ required: false }) },
    resolve: (_root, args, ctx) =>
      start(ctx, {
        type: RESTORE,
        restoreRunId: String(args.restoreRunId),
        providerConnectionId: id(args.providerConnectionId),
      }),
  }),
  startDirectorySync: t.field({
    type: StartResult,
    args: {
      tenantId: t.arg.id({ required: true }),
      kind: t.arg({ type: DirectorySyncKindEnum, required: true, defaultValue: 'GROUPS' }),
      providerConnectionId: t.arg.id({ required: false }),
    },
    resolve: (_root, args, ctx) =>
      start(ctx, {
        type: started('startDirectorySync', args.kind),
        tenantId: String(args.tenantId),
        providerConnectionId: id(args.providerConnectionId),
      }),
  }),
  startTenantVerification: t.field({
    type: StartResult,
    args: { tenantId: t.arg.id({ required: true }), providerConnectionId: t.arg.id({ required: false }) },
    resolve: (_root, args, ctx) =>
      start(ctx, {
        type: VERIFICATION,
        tenantId: String(args.tenantId),
        providerConnectionId: id(args.providerConnectionId),
      }),
  }),
  startProviderConnectionCheck: t.field({
    type: StartResult,
    args: { providerConnectionId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      start(ctx, { type: CONNECTION_CHECK, providerConnectionId: String(args.providerConnectionId) }),
  }),
  startOnboardingBootstrap: t.field({
    type: StartResult,
    args: { tenantId: t.arg.id({ required: true }), providerConnectionId: t.arg.id({ required: false }) },
    resolve: (_root, args, ctx) =>
      start(ctx, {
        type: BOOTSTRAP,
        tenantId: String(args.tenantId),
        providerConnectionId: id(args.providerConnectionId),
      }),
  }),
}));
