import { requireViewer } from '../../auth/viewer.js';
import { visibleTenants, visibleWorkspaceIds } from '../../auth/visibility.js';
import { isUuid } from '../../errors.js';
import type { VerificationReport } from '../../providers/provider.js';
import { builder } from '../builder.js';
import {
  CONNECTION_MANAGERS,
  needsConnection,
  OPERATIONS,
  type OperationDefinition,
  SCHEDULE_MANAGERS,
} from '../../operations/catalogue.js';
import { CredentialStateEnum, OperationTypeEnum, RestoreRunStatusEnum, RoleEnum, TenantStatusEnum } from './enums.js';

type Report = VerificationReport & { verifiedAt: Date | null };

const VerificationCheckRef = builder.objectRef<VerificationReport['checks'][number]>('VerificationCheck').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    passed: t.exposeBoolean('passed'),
    detail: t.string({ nullable: true, resolve: (c) => c.detail ?? null }),
  }),
});

const VerificationReportRef = builder.objectRef<Report>('VerificationReport').implement({
  description: "The provider's answer to the tenant's last verification",
  fields: (t) => ({
    organizationId: t.exposeString('organizationId'),
    displayName: t.exposeString('displayName'),
    verifiedDomains: t.exposeStringList('verifiedDomains'),
    checks: t.field({ type: [VerificationCheckRef], resolve: (r) => r.checks }),
    verifiedAt: t.expose('verifiedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const TenantRef = builder.prismaObject('Tenant', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    status: t.expose('status', { type: TenantStatusEnum }),
    externalTenantId: t.exposeString('externalTenantId'),
    workspace: t.relation('workspace'),
    providerConnections: t.relation('providerConnections', {
      query: { orderBy: [{ isDefault: 'desc' }, { displayName: 'asc' }] },
    }),
    restoreRuns: t.relation('restoreRuns', { query: { orderBy: { createdAt: 'desc' } } }),
    verifiedAt: t.expose('verifiedAt', { type: 'DateTime', nullable: true }),
    verificationReport: t.field({
      type: VerificationReportRef,
      nullable: true,
      description: 'What the last tenant verification found (null until one has run)',
      select: { verificationReport: true, verifiedAt: true },
      resolve: (tenant) =>
        tenant.verificationReport
          ? { ...(tenant.verificationReport as VerificationReport), verifiedAt: tenant.verifiedAt }
          : null,
    }),
    directoryGroupCount: t.relationCount('directoryGroups'),
    roleDefinitionCount: t.relationCount('roleDefinitions'),
    // What the caller may do here, so a client draws its controls without copying the server's rules.
    viewerRole: t.field({
      type: RoleEnum,
      nullable: true,
      description: "The caller's role in the tenant's workspace",
      resolve: (tenant, _args, ctx) => requireViewer(ctx.viewer).roles.get(tenant.workspaceId) ?? null,
    }),
    viewerCanManageSchedules: t.boolean({
      description: "Whether the caller may create, update and delete the tenant's schedules",
      resolve: (tenant, _args, ctx) => {
        const role = requireViewer(ctx.viewer).roles.get(tenant.workspaceId);
        return !!role && SCHEDULE_MANAGERS.includes(role);
      },
    }),
    viewerCanManageConnections: t.boolean({
      description: "Whether the caller may enable, disable and choose the default of the tenant's connections",
      resolve: (tenant, _args, ctx) => {
        const role = requireViewer(ctx.viewer).roles.get(tenant.workspaceId);
        return !!role && CONNECTION_MANAGERS.includes(role);
      },
    }),
  }),
});

export const ProviderConnectionRef = builder.prismaObject('ProviderConnection', {
  fields: (t) => ({
    id: t.exposeID('id'),
    displayName: t.exposeString('displayName'),
    provider: t.exposeString('provider'),
    enabled: t.exposeBoolean('enabled'),
    credentialState: t.expose('credentialState', { type: CredentialStateEnum }),
    isDefault: t.exposeBoolean('isDefault'),
    checkedAt: t.expose('checkedAt', { type: 'DateTime', nullable: true }),
    tenant: t.relation('tenant'),
  }),
});

export const RestoreRunRef = builder.prismaObject('RestoreRun', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    status: t.expose('status', { type: RestoreRunStatusEnum }),
    itemCount: t.int({ resolve: (r) => (Array.isArray(r.items) ? r.items.length : 0) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    tenant: t.relation('tenant'),
  }),
});

const OperationTargetEnum = builder.enumType('OperationTarget', {
  description: 'What a start of the type names: startOperation(targetId:) is an id of this kind',
  values: {
    TENANT: { value: 'tenant' },
    RESTORE_RUN: { value: 'restoreRun' },
    PROVIDER_CONNECTION: { value: 'providerConnection' },
  } as const,
});

const OperationTypeInfoRef = builder.objectRef<OperationDefinition>('OperationTypeInfo').implement({
  description: 'An operation type as the catalogue describes it (the same labels as start messages)',
  fields: (t) => ({
    type: t.field({ type: OperationTypeEnum, resolve: (o) => o.type }),
    label: t.exposeString('label'),
    verb: t.exposeString('verb', { description: 'What the type does, as in "Your role does not allow you to <verb>"' }),
    target: t.field({ type: OperationTargetEnum, resolve: (o) => o.target }),
    needsConnection: t.boolean({
      description: 'Whether a start (and a schedule) must name a provider connection: the target is one',
      resolve: (o) => needsConnection(o),
    }),
    startMutation: t.string({
      description: 'The named mutation that starts it (startOperation starts every type)',
      resolve: (o) => o.mutation.field,
    }),
    schedulable: t.boolean({
      description: 'Whether createSchedule accepts it (it refuses the others with BAD_USER_INPUT)',
      resolve: (o) => o.schedulable,
    }),
  }),
});

builder.queryFields((t) => ({
  operationTypes: t.field({
    type: [OperationTypeInfoRef],
    description: 'Every operation type with its operator-facing label and whether a schedule may start it',
    resolve: () => Object.values(OPERATIONS),
  }),
  tenants: t.prismaField({
    type: ['Tenant'],
    description: "Tenants of the caller's workspaces (or of one of them), by name.",
    args: { workspaceId: t.arg.id({ required: false }) },
    resolve: (query, _root, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const all = visibleWorkspaceIds(viewer);
      const workspaceIds = args.workspaceId ? all.filter((id) => id === String(args.workspaceId)) : all;
      return ctx.services.prisma.tenant.findMany({
        ...query,
        where: { workspaceId: { in: workspaceIds } },
        orderBy: { name: 'asc' },
      });
    },
  }),
  tenant: t.prismaField({
    type: 'Tenant',
    nullable: true,
    description: "A tenant of one of the caller's workspaces; null for any other id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const id = String(args.id);
      if (!isUuid(id)) return null;
      return ctx.services.prisma.tenant.findFirst({ ...query, where: { id, ...visibleTenants(viewer) } });
    },
  }),
}));
