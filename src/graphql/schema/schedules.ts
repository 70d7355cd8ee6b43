// Schedules (docs/behaviour.md#schedules): parse, call ScheduleService, return the row. Tenant.schedules
// and OperationRun.schedule are added here too, so the schedule domain lives in one file.
import { requireViewer } from '../../auth/viewer.js';
import type { Schedule } from '../../generated/prisma/client.js';
import { nextRun } from '../../schedules/cron.js';
import { builder } from '../builder.js';
import type { BlockReasonCode } from '../../operations/block-reasons.js';
import { OperationTypeEnum, StartStatusEnum } from './enums.js';
import { BlockReasonRef } from './starts.js';

type Outcome = Pick<Schedule, 'id' | 'lastOutcomeStatus' | 'lastOutcomeMessage' | 'lastOutcomeRunId' | 'lastFiredAt'>;

const ScheduleOutcomeRef = builder.objectRef<Outcome>('ScheduleOutcome').implement({
  description: "What the schedule's last firing got from the start gate.",
  fields: (t) => ({
    status: t.field({ type: StartStatusEnum, resolve: (o) => o.lastOutcomeStatus! }),
    message: t.string({ resolve: (o) => o.lastOutcomeMessage ?? '' }),
    run: t.prismaField({
      type: 'OperationRun',
      nullable: true,
      description:
        'The new run (QUEUED), the active one (ALREADY_RUNNING), the blocking one (SCOPE_BUSY) or the BLOCKED run',
      resolve: (query, o, _a, ctx) =>
        o.lastOutcomeRunId
          ? ctx.services.prisma.operationRun.findUnique({ ...query, where: { id: o.lastOutcomeRunId } })
          : null,
    }),
    at: t.field({ type: 'DateTime', resolve: (o) => o.lastFiredAt! }),
  }),
});

builder.prismaObject('Schedule', {
  fields: (t) => ({
    id: t.exposeID('id'),
    tenant: t.relation('tenant'),
    type: t.expose('type', { type: OperationTypeEnum }),
    providerConnection: t.relation('providerConnection', {
      nullable: true,
      description: 'Pinned for every firing; null: the tenant default at each firing',
    }),
    cron: t.exposeString('cron'),
    timezone: t.exposeString('timezone'),
    enabled: t.exposeBoolean('enabled'),
    createdBy: t.relation('createdBy', { nullable: true }),
    nextRunAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The next firing, in the schedule time zone; null while disabled or paused',
      resolve: (s) => (s.enabled && !s.deletedAt && !s.pausedReasonCode ? nextRun(s.cron, s.timezone) : null),
    }),
    pausedReason: t.field({
      type: BlockReasonRef,
      nullable: true,
      description:
        'Why the schedule stopped firing: a firing was blocked for a reason no later firing gets past (archived tenant, no connection). An update that passes the checks resumes it.',
      resolve: (s) =>
        s.pausedReasonCode
          ? { code: s.pausedReasonCode as BlockReasonCode, message: s.pausedReasonMessage ?? '' }
          : null,
    }),
    pausedAt: t.expose('pausedAt', { type: 'DateTime', nullable: true }),
    lastFiredAt: t.expose('lastFiredAt', { type: 'DateTime', nullable: true }),
    lastOutcome: t.field({
      type: ScheduleOutcomeRef,
      nullable: true,
      resolve: (s) => (s.lastOutcomeStatus ? s : null),
    }),
    firings: t.exposeInt('firings', { description: 'How many firings reached the start gate' }),
  }),
});

builder.prismaObjectField('Tenant', 'schedules', (t) =>
  t.relation('schedules', { query: { where: { deletedAt: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } }),
);

builder.prismaObjectField('OperationRun', 'schedule', (t) =>
  t.relation('schedule', { nullable: true, description: 'The schedule that started it, if any (a deleted one too)' }),
);

const CreateScheduleInput = builder.inputType('CreateScheduleInput', {
  fields: (t) => ({
    tenantId: t.id({ required: true }),
    type: t.field({ type: OperationTypeEnum, required: true }),
    cron: t.string({
      required: true,
      description: 'Five fields, or six with seconds first: numbers, *, ranges, lists, steps',
    }),
    timezone: t.string({ required: false, defaultValue: 'UTC', description: 'An IANA time zone' }),
    providerConnectionId: t.id({ required: false }),
    enabled: t.boolean({ required: false, defaultValue: true }),
  }),
});

const UpdateScheduleInput = builder.inputType('UpdateScheduleInput', {
  fields: (t) => ({
    cron: t.string({ required: false }),
    timezone: t.string({ required: false }),
    enabled: t.boolean({ required: false }),
    providerConnectionId: t.id({ required: false, description: 'An explicit null removes the pin' }),
  }),
});

const id = (value: string | number | null | undefined) => (value == null ? value : String(value));

builder.mutationFields((t) => ({
  createSchedule: t.prismaField({
    type: 'Schedule',
    args: { input: t.arg({ type: CreateScheduleInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const created = await ctx.services.schedules.create(requireViewer(ctx.viewer), {
        ...input,
        tenantId: String(input.tenantId),
        providerConnectionId: id(input.providerConnectionId),
      });
      return ctx.services.prisma.schedule.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
  updateSchedule: t.prismaField({
    type: 'Schedule',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateScheduleInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const updated = await ctx.services.schedules.update(requireViewer(ctx.viewer), String(args.id), {
        ...args.input,
        providerConnectionId: id(args.input.providerConnectionId),
      });
      return ctx.services.prisma.schedule.findUniqueOrThrow({ ...query, where: { id: updated.id } });
    },
  }),
  deleteSchedule: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.schedules.delete(requireViewer(ctx.viewer), String(args.id)),
  }),
}));
