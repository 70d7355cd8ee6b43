import { filter, pipe } from 'graphql-yoga';
import { requireViewer } from '../../auth/viewer.js';
import { PublicError, notFound } from '../../errors.js';
import { inboxWhere, markRead } from '../../runs/inbox.js';
import { runUrl } from '../../operations/routes.js';
import { builder } from '../builder.js';

builder.prismaObject('Notification', {
  fields: (t) => ({
    id: t.exposeID('id'),
    run: t.relation('run'),
    title: t.exposeString('title'),
    body: t.exposeString('body'),
    url: t.string({
      description: "The run's canonical link",
      resolve: (n, _a, ctx) => runUrl(ctx.services.config.PUBLIC_APP_URL, n.runId),
    }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('notifications', (t) =>
  t.prismaField({
    type: ['Notification'],
    description: "The caller's own notifications (of workspaces they still belong to), newest first.",
    args: { unreadOnly: t.arg.boolean({ required: false }), first: t.arg.int({ required: false, defaultValue: 50 }) },
    resolve: (query, _root, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      // Out of range is the client's mistake, answered as operationRuns answers it (no silent cap).
      const first = args.first ?? 50;
      if (first < 0 || first > 200) throw new PublicError('BAD_USER_INPUT', 'first must be between 0 and 200');
      return ctx.services.prisma.notification.findMany({
        ...query,
        where: { ...inboxWhere(viewer), ...(args.unreadOnly ? { readAt: null } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first,
      });
    },
  }),
);

builder.mutationField('markNotificationRead', (t) =>
  t.prismaField({
    type: 'Notification',
    description: 'Marks one of your own notifications read (idempotent).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const found = await markRead(ctx.services.prisma, requireViewer(ctx.viewer), String(args.id), query);
      if (!found) throw notFound('Notification');
      return found;
    },
  }),
);

builder.subscriptionField('myNotifications', (t) =>
  t.prismaField({
    type: 'Notification',
    description: 'Notifications for runs the subscriber initiated, as they are created.',
    subscribe: (_root, _args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      return pipe(
        ctx.services.bus.notificationEvents(),
        filter(
          async (e) =>
            e.userId === viewer.userId && (await ctx.services.auth.stillMember(viewer.userId, e.workspaceId)),
        ),
      );
    },
    resolve: (query, event, _args, ctx) =>
      ctx.services.prisma.notification.findUniqueOrThrow({
        ...query,
        where: { id: (event as unknown as { notificationId: string }).notificationId },
      }),
  }),
);
