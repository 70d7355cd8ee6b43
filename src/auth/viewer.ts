// The authenticated caller: a user and their role in each workspace they belong to.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Role } from '../generated/prisma/enums.js';
import { isUuid, unauthenticated } from '../errors.js';
import type { TokenService } from './tokens.js';
import { bearerToken } from './tokens.js';

export type Viewer = { userId: string; roles: ReadonlyMap<string, Role> };

/** The viewer for an Authorization header value; null for a missing, invalid or expired token or an unknown user. */
export async function authenticate(tokens: TokenService, prisma: PrismaClient, authorization: string | null | undefined): Promise<Viewer | null> {
  const token = bearerToken(authorization);
  if (!token) return null;
  const claims = await tokens.verify(token);
  if (!claims || !isUuid(claims.userId)) return null;
  const memberships = await prisma.membership.findMany({ where: { userId: claims.userId }, select: { workspaceId: true, role: true } });
  if (!memberships.length) {
    const user = await prisma.user.findUnique({ where: { id: claims.userId }, select: { id: true } });
    if (!user) return null;
  }
  return { userId: claims.userId, roles: new Map(memberships.map((m) => [m.workspaceId, m.role])) };
}

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}
