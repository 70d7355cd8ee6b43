// Start previews and connection management (docs/behaviour.md#previews-and-provider-connections). The preview fields are batched
// per request (every tenant of a list in one load, see request-batch.ts) and answered by the gate's own
// decision (src/gate/previews.ts); the mutations call ConnectionSettings. Nothing else happens here.
import { requireViewer } from '../../auth/viewer.js';
import { VIEWER_SPECIFIC } from '../../realtime/groups.js';
import { visibleTenants } from '../../auth/visibility.js';
import { isUuid, notFound } from '../../errors.js';
import type { PreviewRequest, StartPreview } from '../../gate/previews.js';
import type { OperationType } from '../../generated/prisma/enums.js';
import { operation, type TargetKind, typesTargeting } from '../../operations/catalogue.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { requestBatch } from '../request-batch.js';
import { OperationTypeEnum } from './enums.js';
import { OperationRunRef, NextStepRef } from './runs.js';
import { BlockReasonRef } from './starts.js';
import { ProviderConnectionRef } from './tenants.js';

const StartPreviewStatusEnum = builder.enumType('StartPreviewStatus', {
  values: ['READY', 'ALREADY_RUNNING', 'SCOPE_BUSY', 'BLOCKED', 'FORBIDDEN'] as const,
});

const StartPreviewRef = builder.objectRef<StartPreview>('StartPreview').implement({
  description: 'What a start would answer the caller right now (READY where it would be queued); records nothing.',
  fields: (t) => ({
    type: t.field({ type: OperationTypeEnum, resolve: (p) => p.type }),
    label: t.exposeString('label'),
    status: t.field({ type: StartPreviewStatusEnum, resolve: (p) => p.status }),
    message: t.exposeString('message'),
    reason: t.field({ type: BlockReasonRef, nullable: true, resolve: (p) => p.reason }),
    nextSteps: t.field({ type: [NextStepRef], resolve: (p) => p.nextSteps }),
    run: t.field({
      type: OperationRunRef,
      nullable: true,
      description: 'The active run (ALREADY_RUNNING) or the blocking one (SCOPE_BUSY)',
      resolve: (p) => p.run,
    }),
    providerConnection: t.field({
      type: ProviderConnectionRef,
      nullable: true,
      description: 'The connection a start would pin',
      resolve: (p) => p.providerConnection,
    }),
  }),
});

// One load per request and kind of target, whatever the number of parents in the result.
const previewsOf = (ctx: GraphQLContext, kind: TargetKind) =>
  requestBatch<PreviewRequest, StartPreview[]>(ctx, `previews:${kind}`, (keys) =>
    ctx.services.previews.forTargets(requireViewer(ctx.viewer), kind, keys),
  );

const connectionArg = (id: string | number | null | undefined) => (id == null ? null : String(id));
const labels = (kind: TargetKind) =>
  typesTargeting(kind)
    .map((type) => operation(type).label.toLowerCase())
    .join(', ');

// A preview is computed for its caller as the initiator of the start: never grouped.
const VIEWER_SPECIFIC_FIELD = { [VIEWER_SPECIFIC]: true };

builder.prismaObjectField('Tenant', 'startPreviews', (t) =>
  t.field({
    type: [StartPreviewRef],
    extensions: VIEWER_SPECIFIC_FIELD,
    description: `What starting each tenant-targeted operation (${labels('tenant')}) would answer now; with providerConnectionId, starts naming that connection (another tenant's: NOT_FOUND).`,
    args: { providerConnectionId: t.arg.id({ required: false }) },
    resolve: (tenant, args, ctx) =>
      previewsOf(ctx, 'tenant').load({
        targetId: tenant.id,
        providerConnectionId: connectionArg(args.providerConnectionId),
      }),
  }),
);

builder.prismaObjectField('RestoreRun', 'startPreviews', (t) =>
  t.field({
    type: [StartPreviewRef],
    extensions: VIEWER_SPECIFIC_FIELD,
    description: `What starting each operation that targets a restore run (${labels('restoreRun')}) would answer now; with providerConnectionId, starts naming that connection.`,
    args: { providerConnectionId: t.arg.id({ required: false }) },
    resolve: (restoreRun, args, ctx) =>
      previewsOf(ctx, 'restoreRun').load({
        targetId: restoreRun.id,
        providerConnectionId: connectionArg(args.providerConnectionId),
      }),
  }),
);

builder.prismaObjectField('RestoreRun', 'startPreview', (t) =>
  t.field({
    type: StartPreviewRef,
    extensions: VIEWER_SPECIFIC_FIELD,
    description: 'What startRestore of this restore run would answer now.',
    resolve: async (restoreRun, _args, ctx) =>
      one(await previewsOf(ctx, 'restoreRun').load({ targetId: restoreRun.id }), 'RESTORE_EXECUTE'),
  }),
);

builder.prismaObjectField('ProviderConnection', 'startPreviews', (t) =>
  t.field({
    type: [StartPreviewRef],
    extensions: VIEWER_SPECIFIC_FIELD,
    description: `What starting each operation that targets a connection (${labels('providerConnection')}) would answer now.`,
    resolve: (connection, _args, ctx) => previewsOf(ctx, 'providerConnection').load({ targetId: connection.id }),
  }),
);

builder.prismaObjectField('ProviderConnection', 'checkPreview', (t) =>
  t.field({
    type: StartPreviewRef,
    description: 'What startProviderConnectionCheck of this connection would answer now.',
    resolve: async (connection, _args, ctx) =>
      one(await previewsOf(ctx, 'providerConnection').load({ targetId: connection.id }), 'PROVIDER_CONNECTION_CHECK'),
  }),
);

/** The contract's singular preview fields: one type's entry of its target's list. */
function one(previews: StartPreview[], type: OperationType): StartPreview {
  const found = previews.find((p) => p.type === type);
  if (!found) throw new Error(`no ${type} preview`);
  return found;
}

builder.subscriptionField('startPreviewsChanged', (t) =>
  t.field({
    type: [StartPreviewRef],
    description:
      "The tenant's start previews when subscribed, then whenever one of them changed for the subscriber (a run started or ended, a connection changed, the tenant's status changed).",
    args: { tenantId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const tenantId = String(args.tenantId);
      const tenant = isUuid(tenantId)
        ? await ctx.services.prisma.tenant.findFirst({
            where: { id: tenantId, ...visibleTenants(viewer) },
            select: { workspaceId: true },
          })
        : null;
      if (!tenant) throw notFound('Tenant');
      return ctx.services.previewFeed.watch(viewer.userId, tenantId, tenant.workspaceId);
    },
    resolve: (previews) => previews,
  }),
);

builder.mutationFields((t) => ({
  setProviderConnectionEnabled: t.field({
    type: ProviderConnectionRef,
    description: 'Enables or disables a connection (OWNER, MANAGER). Runs keep the connection pinned at admission.',
    args: { providerConnectionId: t.arg.id({ required: true }), enabled: t.arg.boolean({ required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.services.connections.setEnabled(requireViewer(ctx.viewer), String(args.providerConnectionId), args.enabled),
  }),
  setDefaultProviderConnection: t.field({
    type: ProviderConnectionRef,
    description:
      "Makes the connection its tenant's default, in one transaction with unsetting the old one (OWNER, MANAGER). A disabled connection may be the default.",
    args: { providerConnectionId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.services.connections.setDefault(requireViewer(ctx.viewer), String(args.providerConnectionId)),
  }),
}));
