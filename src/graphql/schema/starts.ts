// The start mutations, generated from the operations catalogue: parse arguments, call the gate,
// present its outcome. Nothing else.
import { requireViewer } from '../../auth/viewer.js';
import type { StartResultShape } from '../../gate/presenter.js';
import { type StartRequest, startRequest } from '../../gate/start-gate.js';
import type { OperationType } from '../../generated/prisma/enums.js';
import { observeStart } from '../../metrics/start-decisions.js';
import { PublicError } from '../../errors.js';
import {
  BULK_START_FIELD,
  BULK_START_MAX,
  GENERIC_START_FIELD,
  needsConnection,
  operation,
  START_MUTATIONS,
  TARGET_ARGUMENT,
} from '../../operations/catalogue.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { BlockReasonCodeEnum, OperationTypeEnum, StartStatusEnum } from './enums.js';
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

// The named start mutations, generated from the catalogue: the target's id argument, the `kind`
// enum where one mutation starts several types, and an optional connection to pin unless the
// target is a connection itself.
for (const mutation of START_MUTATIONS) {
  const kinds = mutation.kind;
  const kindEnum = kinds
    ? builder.enumType(kinds.enum, { values: kinds.values.map((k) => k.value) as [string, ...string[]] })
    : null;
  const targetArg = TARGET_ARGUMENT[mutation.target];
  const typeOf = (kind: unknown): OperationType => kinds?.values.find((k) => k.value === kind)?.type ?? mutation.type;
  builder.mutationField(mutation.field, (t) =>
    t.field({
      type: StartResult,
      args: {
        [targetArg]: t.arg.id({ required: true }),
        ...(kindEnum
          ? { kind: t.arg({ type: kindEnum, required: true, defaultValue: kinds?.defaultValue ?? undefined }) }
          : {}),
        ...(targetArg === 'providerConnectionId' ? {} : { providerConnectionId: t.arg.id({ required: false }) }),
      },
      resolve: (_root, args: Record<string, unknown>, ctx) => {
        const type = typeOf(args.kind);
        const connectionId = targetArg === 'providerConnectionId' ? null : id(args.providerConnectionId as string);
        return start(ctx, startRequest(type, String(args[targetArg]), connectionId));
      },
    }),
  );
}

/** Each target's check, as startOperation does it: a connection-targeted type names the connection once. */
function genericStart(type: OperationType, targetId: string, connectionId: string | null): StartRequest {
  if (needsConnection(operation(type)) && connectionId !== null && connectionId !== targetId) {
    throw new PublicError('BAD_USER_INPUT', `${operation(type).label} targets a connection: name it once, as targetId`);
  }
  return startRequest(type, targetId, needsConnection(operation(type)) ? null : connectionId);
}

builder.mutationField(GENERIC_START_FIELD, (t) =>
  t.field({
    type: StartResult,
    description:
      'Starts any operation type on its target (Query.operationTypes says which kind of target each names): the same gate and answer as its named mutation. providerConnectionId pins a connection; for a type that targets a connection, targetId is that connection.',
    args: {
      type: t.arg({ type: OperationTypeEnum, required: true }),
      targetId: t.arg.id({ required: true }),
      providerConnectionId: t.arg.id({ required: false }),
    },
    resolve: (_root, args, ctx) =>
      start(ctx, genericStart(args.type, String(args.targetId), id(args.providerConnectionId))),
  }),
);

/** How many of a bulk start's targets the gate decides at once (answers keep the targets' order). */
const BULK_CONCURRENCY = 4;

builder.mutationField(BULK_START_FIELD, (t) =>
  t.field({
    type: [StartResult],
    nullable: { list: false, items: true },
    description: `Starts one operation type on each of up to ${BULK_START_MAX} targets (tenants, restore runs or connections, as Query.operationTypes says), each decided by the gate exactly as its own startOperation would be, with each target's default connection. Answers in the targets' order; a target the caller may not start (NOT_FOUND, FORBIDDEN, BAD_USER_INPUT) answers null with its error at that index. Each target costs one start of the caller's rate limit.`,
    args: {
      type: t.arg({ type: OperationTypeEnum, required: true }),
      targetIds: t.arg.idList({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      requireViewer(ctx.viewer);
      const targets = args.targetIds.map(String);
      if (targets.length > BULK_START_MAX)
        throw new PublicError(
          'BAD_USER_INPUT',
          `At most ${BULK_START_MAX} targets per bulk start (${targets.length} given)`,
        );
      const answers: (StartResultShape | Error)[] = new Array(targets.length);
      let next = 0;
      const lane = async () => {
        while (next < targets.length) {
          const i = next++;
          answers[i] = await Promise.resolve()
            .then(() => start(ctx, genericStart(args.type, targets[i], null)))
            .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
        }
      };
      await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, targets.length) }, lane));
      // graphql-js turns an Error in a list into a field error at that index (the item answers null).
      return answers as StartResultShape[];
    },
  }),
);
