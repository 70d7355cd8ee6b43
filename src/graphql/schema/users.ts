import { requireViewer } from '../../auth/viewer.js';
import { builder } from '../builder.js';
import { RoleEnum } from './enums.js';

export const UserRef = builder.prismaObject('User', {
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    displayName: t.exposeString('displayName'),
    memberships: t.relation('memberships', { query: { orderBy: { workspace: { name: 'asc' } } } }),
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
