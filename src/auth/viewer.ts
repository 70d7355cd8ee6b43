// The authenticated caller: a user and their role in each workspace they belong to.
import { LRUCache } from 'lru-cache';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Role } from '../generated/prisma/enums.js';
import { isUuid, unauthenticated } from '../errors.js';
import { bearerToken, type TokenService } from './tokens.js';

export type Viewer = { userId: string; roles: ReadonlyMap<string, Role> };

/**
 * Resolves bearer tokens to viewers. A user's memberships are cached for `cacheMs` (2 s by
 * default): every request needs them, and one query per request was the largest fixed cost of
 * a trivial query. A revoked membership therefore lasts at most that long, on HTTP and subscriptions alike.
 */
export class Authenticator {
  /** One entry per user for `cacheMs` (a loading one included, so concurrent requests share a query). */
  private readonly cache: LRUCache<string, Promise<Viewer | null>> | null;

  constructor(
    private readonly tokens: TokenService,
    private readonly prisma: PrismaClient,
    cacheMs = 2_000,
  ) {
    this.cache = cacheMs > 0 ? new LRUCache({ max: 50_000, ttl: cacheMs, ttlAutopurge: false }) : null;
  }

  /** The viewer for an Authorization header value; null for a missing, invalid or expired token or an unknown user. */
  async authenticate(authorization: string | null | undefined): Promise<Viewer | null> {
    const token = bearerToken(authorization);
    if (!token) return null;
    const claims = await this.tokens.verify(token);
    if (!claims || !isUuid(claims.userId)) return null;
    return this.current(claims.userId);
  }

  /**
   * The user's memberships as they are now (at most `cacheMs` old); null once the user is gone.
   * Long-lived subscriptions ask this for every event they deliver, so a removed member stops
   * receiving a workspace's events within `cacheMs`, on every API process.
   */
  async current(userId: string): Promise<Viewer | null> {
    const hit = this.cache?.get(userId);
    if (hit) return hit;
    const viewer = this.load(userId);
    if (this.cache) {
      this.cache.set(userId, viewer);
      // A failed load (the database away) is not remembered.
      viewer.catch(() => this.cache?.get(userId) === viewer && this.cache.delete(userId));
    }
    return viewer;
  }

  /**
   * For a long-lived subscription, before each delivery: is the user still a member of the
   * workspace? Throws UNAUTHENTICATED once the user is gone, which ends the subscription.
   */
  async stillMember(userId: string, workspaceId: string): Promise<boolean> {
    const viewer = await this.current(userId);
    if (!viewer) throw unauthenticated();
    return viewer.roles.has(workspaceId);
  }

  private async load(userId: string): Promise<Viewer | null> {
    const user = await this.prisma.user.findUnique({
      where: { id: userId },
      select: { memberships: { select: { workspaceId: true, role: true } } },
    });
    if (!user) return null;
    return { userId, roles: new Map(user.memberships.map((m) => [m.workspaceId, m.role])) };
  }
}

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}
