// What a user may read of their own notifications: those of runs in workspaces they still belong
// to. A removed member keeps nothing that would show the tenant's current data through `run`.
import type { Viewer } from '../auth/viewer.js';
import { visibleTenants } from '../auth/visibility.js';
import { isUuid } from '../errors.js';
import type { Notification, Prisma, PrismaClient } from '../generated/prisma/client.js';

export function inboxWhere(viewer: Viewer): Prisma.NotificationWhereInput {
  return { userId: viewer.userId, run: { tenant: visibleTenants(viewer) } };
}

/** Marks one of the viewer's own notifications read; the first readAt stands. Null when it is not theirs (or gone). */
export async function markRead(
  prisma: PrismaClient,
  viewer: Viewer,
  id: string,
  query: object = {},
): Promise<Notification | null> {
  if (!isUuid(id)) return null;
  await prisma.notification.updateMany({
    where: { id, ...inboxWhere(viewer), readAt: null },
    data: { readAt: new Date() },
  });
  return prisma.notification.findFirst({ ...query, where: { id, ...inboxWhere(viewer) } });
}
