import { requireViewer } from '../../auth/viewer.js';
import type { NextStep } from '../../operations/reasons.js';
import { capitalize } from '../../operations/reasons.js';
import { mayCancel, operation } from '../../operations/catalogue.js';
import { isTerminal } from '../../operations/status.js';
import type { OperationRun, Tenant } from '../../generated/prisma/client.js';
import { requestBatch } from '../request-batch.js';
import { runUrl } from '../../operations/routes.js';
import { VIEWER_SPECIFIC } from '../../realtime/groups.js';
import { runFilter } from '../../realtime/run-stream.js';
import type { RunWithTenant } from '../../runs/events.js';
import { changeIdText } from '../../runs/change-order.js';
import { findVisibleRun, listRuns, type RunFilter, type RunPage } from '../../runs/monitoring.js';
import { builder } from '../builder.js';
import { OperationRunStatusEnum, OperationTypeEnum } from './enums.js';
import { TenantRef } from './tenants.js';

// Reasons read as sentences ("The provider connection is disabled"), except the one
// docs/behaviour.md#cancelling-a-run spells out: a cancelled run's reason message is "cancelled by <displayName>".
export const reasonText = (code: string, message: string | null) =>
  code === 'CANCELLED_BY_USER' ? (message ?? '') : capitalize(message ?? '');

export const NextStepRef = builder.objectRef<NextStep>('NextStep').implement({
  fields: (t) => ({
    label: t.exposeString('label'),
    action: t.exposeString('action', { description: 'Stable machine code, e.g. GRANT_ADMIN_CONSENT' }),
    url: t.exposeString('url', { nullable: true, description: 'SPA route for the action' }),
  }),
});

const RunReasonRef = builder
  .objectRef<{ code: string; message: string; nextSteps: NextStep[] }>('RunReason')
  .implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      nextSteps: t.field({ type: [NextStepRef], resolve: (r) => r.nextSteps }),
    }),
  });

const RunSummaryRef = builder
  .objectRef<Pick<OperationRun, 'total' | 'succeeded' | 'failed' | 'skipped'>>('RunSummary')
  .implement({
    fields: (t) => ({
      total: t.exposeInt('total'),
      succeeded: t.exposeInt('succeeded'),
      failed: t.exposeInt('failed'),
      skipped: t.exposeInt('skipped'),
    }),
  });

export const OperationRunRef = builder.prismaObject('OperationRun', {
  fields: (t) => ({
    id: t.exposeID('id'),
    changeId: t.id({
      description:
        "Opaque cursor of the run's latest change, in commit order: pass it back as operationRunUpdated(after:) to resume",
      resolve: (r) => changeIdText(r.changeId),
    }),
    type: t.expose('type', { type: OperationTypeEnum }),
    label: t.string({
      description: 'Operator-facing operation name, e.g. "Group sync"',
      resolve: (r) => operation(r.type).label,
    }),
    status: t.expose('status', { type: OperationRunStatusEnum }),
    url: t.string({
      description: 'Canonical run link',
      resolve: (r, _a, ctx) => runUrl(ctx.services.config.PUBLIC_APP_URL, r.id),
    }),
    tenant: t.field({
      type: TenantRef,
      // A run from an event carries its tenant as of that change (RunWithTenant; not `tenant`, which
      // a Prisma read may fill with a partial selection, see viewerCanCancel): no read. Else
      // batched per request (a page of runs is one read) and in plain SQL: see AdmissionStore.tenantsByIds.
      resolve: (run, _args, ctx) =>
        (run as RunWithTenant).tenantAtChange ??
        requestBatch<string, Tenant>(ctx, 'run-tenant', async (ids) => {
          const found = await ctx.services.store.tenantsByIds(ids);
          return ids.map((id) => found.get(id) ?? new Error(`tenant ${id} not found`));
        }).load(run.tenantId),
    }),
    providerConnection: t.relation('providerConnection', {
      nullable: true,
      description: 'The connection pinned at admission',
    }),
    restoreRun: t.relation('restoreRun', { nullable: true }),
    initiator: t.relation('initiator', { nullable: true, description: 'Null for scheduled or system runs' }),
    reason: t.field({
      type: RunReasonRef,
      nullable: true,
      resolve: (r) =>
        r.reasonCode
          ? {
              code: r.reasonCode,
              message: reasonText(r.reasonCode, r.reasonMessage),
              nextSteps: (r.reasonNextSteps as NextStep[] | null) ?? [],
            }
          : null,
    }),
    summary: t.field({ type: RunSummaryRef, resolve: (r) => r }),
    attempts: t.exposeInt('attempts', {
      description: 'Execution attempts so far (retries after transient provider errors)',
    }),
    step: t.exposeInt('step', { nullable: true, description: "Position among the parent's steps" }),
    parent: t.relation('parent', { nullable: true }),
    children: t.relation('children', { query: { orderBy: { step: 'asc' } } }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    cancelRequestedAt: t.expose('cancelRequestedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a cancel was first requested',
    }),
    cancelledBy: t.relation('cancelledBy', { nullable: true, description: 'Who first requested the cancel' }),
    viewerCanCancel: t.boolean({
      // Depends on who asks (an operator may cancel only their own runs): never grouped.
      extensions: { [VIEWER_SPECIFIC]: true },
      description:
        "Whether cancelOperationRun by the caller would cancel this run now: it has not ended and the caller's role allows it (any run for owners and managers, their own for operators; a bootstrap step as its bootstrap)",
      select: {
        status: true,
        tenant: { select: { workspaceId: true } },
        parent: { select: { type: true, initiatorId: true } },
      },
      resolve: (run, _args, ctx) => {
        if (isTerminal(run.status)) return false;
        const viewer = requireViewer(ctx.viewer);
        const decidedBy = run.parent ?? run;
        return mayCancel(
          decidedBy.type,
          viewer.roles.get(run.tenant.workspaceId),
          viewer.userId,
          decidedBy.initiatorId,
        );
      },
    }),
  }),
});

const PageInfoRef = builder.objectRef<RunPage['pageInfo']>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const EdgeRef = builder.objectRef<RunPage['edges'][number]>('OperationRunEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: OperationRunRef, resolve: (e) => e.node }),
  }),
});

const ConnectionRef = builder.objectRef<RunPage>('OperationRunConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [EdgeRef], resolve: (p) => p.edges }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (p) => p.pageInfo }),
  }),
});

export const RunFilterInput = builder.inputType('OperationRunFilter', {
  fields: (t) => ({
    tenantId: t.id({ required: false }),
    status: t.field({ type: [OperationRunStatusEnum], required: false }),
    type: t.field({ type: [OperationTypeEnum], required: false }),
    initiatedByMe: t.boolean({ required: false }),
    scheduleId: t.id({ required: false, description: 'Only runs this schedule started' }),
    includeSteps: t.boolean({
      required: false,
      description: "Also list bootstrap steps (otherwise they appear as their parent's children)",
    }),
  }),
});

/** An OperationRunFilter argument as monitoring reads it (its ids as strings). */
export function runFilterOf(
  filter:
    | (Omit<RunFilter, 'tenantId' | 'scheduleId'> & { tenantId?: unknown; scheduleId?: unknown })
    | null
    | undefined,
): RunFilter {
  return {
    ...filter,
    tenantId: filter?.tenantId ? String(filter.tenantId) : null,
    scheduleId: filter?.scheduleId ? String(filter.scheduleId) : null,
  };
}

builder.queryFields((t) => ({
  operationRun: t.prismaField({
    type: 'OperationRun',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      findVisibleRun(ctx.services.prisma, requireViewer(ctx.viewer), String(args.id), query),
  }),
  operationRuns: t.field({
    type: ConnectionRef,
    description: 'Runs the caller may see, newest first.',
    args: {
      filter: t.arg({ type: RunFilterInput, required: false }),
      first: t.arg.int({ required: false, defaultValue: 20 }),
      after: t.arg.string({ required: false }),
    },
    resolve: (_root, args, ctx) =>
      listRuns(
        ctx.services.prisma,
        requireViewer(ctx.viewer),
        runFilterOf(args.filter),
        args.first ?? 20,
        args.after ?? null,
      ),
  }),
}));

builder.subscriptionField('operationRunUpdated', (t) =>
  t.field({
    type: OperationRunRef,
    description:
      'Every change of the runs the subscriber may see, optionally narrowed to a tenant or a run (with its steps). With `after` (a changeId), first the current state of each such run changed since, oldest change first, then live (docs/behaviour.md#resuming-a-subscription).',
    args: {
      tenantId: t.arg.id({ required: false }),
      runId: t.arg.id({ required: false }),
      after: t.arg.id({ required: false }),
    },
    // graphql-ws subscriptions that read nothing viewer-specific never come here: they join a
    // subscription group (realtime/groups.ts, server.ts), one execution per event for all members.
    subscribe: async (_root, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const filter = runFilter(args);
      const after = args.after != null ? String(args.after) : null;
      return ctx.services.runStreams.open(viewer, filter, after);
    },
    resolve: (run) => run,
  }),
);
