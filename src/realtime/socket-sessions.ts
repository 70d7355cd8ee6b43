// graphql-ws sockets and the access they were opened with. A socket must not outlive its token
// (closed with 4403 the moment it expires) nor its user (re-checked about every VIEWER_CACHE_MS,
// once per user for all its sockets: a deleted user's sockets close with 4403), and one user holds at most `maxPerUser` sockets per
// API process (4429, which graphql-ws clients do not retry). When the user cannot be looked up
// because PostgreSQL is unreachable, the socket closes with 1013 Try Again Later: graphql-ws
// clients retry that code, where 4500 would have ended them for good.
import type { WebSocket } from 'ws';
import { bearerToken, type TokenService } from '../auth/tokens.js';
import type { Authenticator, Viewer } from '../auth/viewer.js';
import type { Logger } from '../logger.js';

// 1012 Service Restart: this API process is shutting down; graphql-ws clients reconnect (to another replica).
export const CLOSE = {
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  FORBIDDEN: 4403,
  TOO_MANY_CONNECTIONS: 4429,
} as const;

// setTimeout fires at once beyond this; longer-lived tokens are caught by the periodic re-check.
const MAX_TIMER_MS = 2 ** 31 - 1;

export type SocketSessionOptions = { maxPerUser: number; recheckMs: number };

/** A user's sockets on this process, and the one timer that re-checks the user for all of them. */
type UserSockets = { sockets: Set<WebSocket>; recheck: NodeJS.Timeout };

export class SocketSessions {
  private readonly users = new Map<string, UserSockets>();

  constructor(
    private readonly auth: Authenticator,
    private readonly tokens: TokenService,
    private readonly options: SocketSessionOptions,
    private readonly log: Logger,
  ) {}

  /** Admits a socket for its `authorization` connection param, or closes it with the reason's code. */
  async open(socket: WebSocket, authorization: string | null): Promise<Viewer | null> {
    let viewer: Viewer | null;
    try {
      viewer = await this.auth.authenticate(authorization);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'websocket refused for now: the user cannot be looked up');
      socket.close(CLOSE.TRY_AGAIN_LATER, 'Try again later');
      return null;
    }
    if (!viewer) {
      socket.close(CLOSE.FORBIDDEN, 'Forbidden');
      return null;
    }
    const { userId } = viewer;
    const held = this.users.get(userId)?.sockets.size ?? 0;
    if (held >= this.options.maxPerUser) {
      this.log.info(
        { userId, limit: this.options.maxPerUser },
        'websocket refused: too many connections for this user',
      );
      socket.close(CLOSE.TOO_MANY_CONNECTIONS, 'Too many connections for this user');
      return null;
    }
    let user = this.users.get(userId);
    if (!user) {
      // One re-check per user, not per socket: thousands of one user's sockets cost one lookup a period.
      const recheck = setInterval(() => this.recheck(userId), this.options.recheckMs).unref();
      this.users.set(userId, (user = { sockets: new Set(), recheck }));
    }
    user.sockets.add(socket);
    const stopExpiry = this.expireWithToken(socket, authorization!, userId);
    const own = user;
    socket.once('close', () => {
      stopExpiry();
      own.sockets.delete(socket);
      if (own.sockets.size === 0 && this.users.get(userId) === own) {
        clearInterval(own.recheck);
        this.users.delete(userId);
      }
    });
    return viewer;
  }

  private revoke(socket: WebSocket, userId: string, why: string) {
    this.log.info({ userId, why }, 'websocket closed: access ended');
    socket.close(CLOSE.FORBIDDEN, why);
  }

  /** A deleted user's sockets all close with 4403; PostgreSQL unreachable keeps them (the next check decides). */
  private recheck(userId: string) {
    this.auth.current(userId).then(
      (viewer) => {
        if (viewer) return;
        for (const socket of this.users.get(userId)?.sockets ?? []) this.revoke(socket, userId, 'Forbidden');
      },
      () => undefined,
    );
  }

  /** Sockets by the instant their token expires: one timer per instant, not one per socket. */
  private readonly expiries = new Map<number, { timer: NodeJS.Timeout; sockets: Map<WebSocket, string> }>();

  /**
   * Closes the socket when its token expires; returns the stop function. The sockets of one token
   * (a console's tabs, a client's reconnects, a bench's thousands) share the timer of its expiry.
   */
  private expireWithToken(socket: WebSocket, authorization: string, userId: string): () => void {
    let at: number | undefined;
    let stopped = false;
    void this.tokens.verify(bearerToken(authorization) ?? '').then((claims) => {
      if (stopped || socket.readyState !== socket.OPEN) return;
      const expiresAt = claims?.expiresAt ?? Date.now();
      const left = expiresAt - Date.now();
      if (left > MAX_TIMER_MS) return;
      at = expiresAt;
      let group = this.expiries.get(at);
      if (!group) {
        const sockets = new Map<WebSocket, string>();
        const instant = at;
        const timer = setTimeout(
          () => {
            this.expiries.delete(instant);
            for (const [expired, user] of sockets) this.revoke(expired, user, 'Token expired');
          },
          Math.max(0, left),
        ).unref();
        this.expiries.set(at, (group = { timer, sockets }));
      }
      group.sockets.set(socket, userId);
    });
    return () => {
      stopped = true;
      if (at === undefined) return;
      const group = this.expiries.get(at);
      if (!group?.sockets.delete(socket) || group.sockets.size > 0) return;
      clearTimeout(group.timer);
      this.expiries.delete(at);
    };
  }
}
