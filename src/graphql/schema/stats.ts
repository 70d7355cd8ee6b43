// operationRunStats: the dashboard's aggregate (src/runs/stats.ts), over the runs the caller may see.
import { requireViewer } from '../../auth/viewer.js';
import { operation } from '../../operations/catalogue.js';
import { type RunStats, runStats } from '../../runs/stats.js';
import { builder } from '../builder.js';
import { OperationRunStatusEnum, OperationTypeEnum } from './enums.js';
import { RunFilterInput, reasonText, runFilterOf } from './runs.js';

const StatsBucketEnum = builder.enumType('StatsBucket', {
  values: { HOUR: { description: 'UTC hours' }, DAY: { description: 'UTC days' } } as const,
});

const StatusCountRef = builder.objectRef<RunStats['totals'][number]>('OperationRunStatusCount').implement({
  fields: (t) => ({
    status: t.field({ type: OperationRunStatusEnum, resolve: (c) => c.status }),
    count: t.exposeInt('count'),
  }),
});

const BucketRef = builder.objectRef<RunStats['buckets'][number]>('OperationRunStatsBucket').implement({
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime', description: "The bucket's first instant (UTC)" }),
    total: t.exposeInt('total'),
    counts: t.field({
      type: [StatusCountRef],
      description: 'Runs created in the bucket, by their status now; statuses with none are left out',
      resolve: (b) => b.counts,
    }),
  }),
});

const ReasonCountRef = builder.objectRef<RunStats['topReasons'][number]>('OperationRunReasonCount').implement({
  fields: (t) => ({
    status: t.field({ type: OperationRunStatusEnum, resolve: (r) => r.status }),
    code: t.exposeString('code'),
    message: t.string({
      description: "The latest such run's reason, as a sentence",
      resolve: (r) => reasonText(r.code, r.message),
    }),
    count: t.exposeInt('count'),
  }),
});

const InFlightRef = builder.objectRef<RunStats['inFlight'][number]>('OperationTypeCount').implement({
  fields: (t) => ({
    type: t.field({ type: OperationTypeEnum, resolve: (c) => c.type }),
    label: t.string({ resolve: (c) => operation(c.type).label }),
    count: t.exposeInt('count'),
  }),
});

const StatsRef = builder.objectRef<RunStats>('OperationRunStats').implement({
  fields: (t) => ({
    since: t.expose('since', { type: 'DateTime', description: "The first bucket's start" }),
    until: t.expose('until', { type: 'DateTime', description: 'When the answer was computed' }),
    bucket: t.field({ type: StatsBucketEnum, resolve: (s) => s.bucket }),
    buckets: t.field({ type: [BucketRef], resolve: (s) => s.buckets }),
    totals: t.field({ type: [StatusCountRef], description: 'Per status over the window', resolve: (s) => s.totals }),
    topReasons: t.field({
      type: [ReasonCountRef],
      description: 'FAILED and BLOCKED runs of the window by reason code, most frequent first (at most 5)',
      resolve: (s) => s.topReasons,
    }),
    inFlight: t.field({
      type: [InFlightRef],
      description: 'Runs queued or running now, per operation type (whenever they were created)',
      resolve: (s) => s.inFlight,
    }),
  }),
});

builder.queryField('operationRunStats', (t) =>
  t.field({
    type: StatsRef,
    description:
      'Counts of the runs the caller may see, computed by the database: per bucket and status since `since` (default: the last 24 hours by HOUR, the current one included, or the last 7 days by DAY; at most 168 hourly or 92 daily buckets), top failure and block reasons, and runs in flight per type. The filter narrows by tenant, types, initiator, schedule; its status list is ignored (every status is counted).',
    args: {
      filter: t.arg({ type: RunFilterInput, required: false }),
      since: t.arg({ type: 'DateTime', required: false }),
      bucket: t.arg({ type: StatsBucketEnum, required: false, defaultValue: 'HOUR' }),
    },
    resolve: (_root, args, ctx) =>
      runStats(
        ctx.services.prisma,
        requireViewer(ctx.viewer),
        runFilterOf(args.filter),
        args.since ?? null,
        args.bucket ?? 'HOUR',
      ),
  }),
);
