// What a user may read of their own notifications: those of runs in workspaces they still belong
// to. A removed member keeps nothing that would show the tenant's current data through `run`.
import type { Viewer } from '../auth/viewer.js';
import type { Prisma } from '../generated/prisma/client.js';

export function inboxWhere(viewer: Viewer): Prisma.NotificationWhereInput {
  return { userId: viewer.userId, run: { tenant: { workspaceId: { in: [...viewer.roles.keys()] } } } };
}
