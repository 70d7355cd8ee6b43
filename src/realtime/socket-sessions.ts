// graphql-ws sockets and the access they were opened with. A socket must not outlive its token
// (closed with 4403 the moment it expires) nor its user (re-checked about every VIEWER_CACHE_MS: a
// deleted user's sockets close with 4403), and one user holds at most `maxPerUser` sockets per
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

export class SocketSessions {
  private readonly perUser = new Map<string, number>();

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
    const held = this.perUser.get(viewer.userId) ?? 0;
    if (held >= this.options.maxPerUser) {
      this.log.info(
        { userId: viewer.userId, limit: this.options.maxPerUser },
        'websocket refused: too many connections for this user',
      );
      socket.close(CLOSE.TOO_MANY_CONNECTIONS, 'Too many connections for this user');
      return null;
    }
    this.perUser.set(viewer.userId, held + 1);
    const stopWatching = this.watch(socket, authorization!, viewer.userId);
    socket.once('close', () => {
      stopWatching();
      const left = (this.perUser.get(viewer.userId) ?? 1) - 1;
      if (left > 0) this.perUser.set(viewer.userId, left);
      else this.perUser.delete(viewer.userId);
    });
    return viewer;
  }

  /** Closes the socket when its token expires or its user is gone; returns the stop function. */
  private watch(socket: WebSocket, authorization: string, userId: string): () => void {
    const revoke = (why: string) => {
      this.log.info({ userId, why }, 'websocket closed: access ended');
      socket.close(CLOSE.FORBIDDEN, why);
    };
    let expiry: NodeJS.Timeout | undefined;
    void this.tokens.verify(bearerToken(authorization) ?? '').then((claims) => {
      const left = claims ? claims.expiresAt - Date.now() : 0;
      if (left <= MAX_TIMER_MS && socket.readyState === socket.OPEN)
        expiry = setTimeout(() => revoke('Token expired'), Math.max(0, left)).unref();
    });
    const recheck = setInterval(() => {
      this.auth.authenticate(authorization).then(
        (viewer) => {
          if (!viewer) revoke('Forbidden');
        },
        // PostgreSQL unreachable: keep the socket, the next check decides.
        () => undefined,
      );
    }, this.options.recheckMs).unref();
    return () => {
      clearTimeout(expiry);
      clearInterval(recheck);
    };
  }
}
