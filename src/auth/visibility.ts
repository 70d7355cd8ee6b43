// The visibility rule, once: a member sees the tenants (and everything under them) of the
// workspaces they belong to, whatever their role. Queries build their filters from here.
import type { Prisma } from '../generated/prisma/client.js';
import type { Viewer } from './viewer.js';

export const visibleWorkspaceIds = (viewer: Viewer): string[] => [...viewer.roles.keys()];

/** Tenants the viewer may see. */
export const visibleTenants = (viewer: Viewer): Prisma.TenantWhereInput => ({
  workspaceId: { in: visibleWorkspaceIds(viewer) },
});
