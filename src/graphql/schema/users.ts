import { requireViewer } from '../../auth/viewer.js';
import { builder } from '../builder.js';
import { RoleEnum } from './enums.js';

export const UserRef = builder.prismaObject('User', {
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    displayName: t.exposeString('displayName'),
    // Only workspaces the viewer shares with this user: another user reached through `initiator`,
    // `cancelledBy` or `createdBy` must not disclose their other customers. On `me` that is all of them.
    memberships: t.relation('memberships', {
      query: (_args, ctx) => ({
        where: { workspaceId: { in: [...(ctx.viewer?.roles.keys() ?? [])] } },
        orderBy: { workspace: { name: 'asc' } },
      }),
    }),
  }),
});

builder.prismaObject('Membership', {
  fields: (t) => ({
    role: t.expose('role', { type: RoleEnum }),
    workspace: t.relation('workspace'),
  }),
});

builder.prismaObject('Workspace', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
  }),
});

builder.queryField('me', (t) =>
  t.prismaField({
    type: 'User',
    resolve: (query, _root, _args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      return ctx.services.prisma.user.findUniqueOrThrow({ ...query, where: { id: viewer.userId } });
    },
  }),
);
