// The HTTP server: GraphQL (and GraphiQL) at /graphql, graphql-ws subscriptions on the same
// path, SSE subscriptions through Yoga, /health, /ready and /metrics. Bounded against abuse:
// request bodies, WebSocket frames, sockets per user, subscriptions per socket and per user.
// Every request (and socket) has a request id, taken from x-request-id or made up, returned in
// the response header and carried by every log line written on its behalf. close() drains.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Services } from './app.js';
import { DEV_PATHS, serveDevSignIn } from './auth/dev-tokens.js';
import { DEV_JWT_SECRET } from './config.js';
import type { GraphQLContext } from './graphql/context.js';
import { useSubscriptionExpiry } from './graphql/plugins/subscription-expiry.js';
import { maskError, withExtensions } from './graphql/plugins/errors.js';
import { exposure, useDisableIntrospection } from './graphql/plugins/exposure.js';
import { useGraphQLMetrics } from './graphql/plugins/metrics.js';
import { useScheduleChangeRateLimit, useStartRateLimit } from './graphql/plugins/rate-limit.js';
import { SubscriptionQuota, tooManySubscriptions } from './graphql/plugins/subscription-quota.js';
import { useSubscriptionAck } from './graphql/plugins/subscription-ack.js';
import { schema } from './graphql/schema/index.js';
import { type Logger, logContext, requestIdFrom } from './logger.js';
import { serveScrape } from './metrics/metrics-server.js';
import { SubscriptionGroups } from './realtime/groups.js';
import { heartbeat } from './realtime/heartbeat.js';
import { redisState } from './redis/connections.js';
import { CLOSE, SocketSessions } from './realtime/socket-sessions.js';
import { TrustedDocuments } from './graphql/trusted-documents.js';
import { Interned } from './realtime/interned.js';

type ServerContext = { req?: SocketRequest; connectionParams?: Record<string, unknown> };
/** What a WebSocket's operations see of its upgrade request (HTTP requests pass the whole IncomingMessage). */
type SocketRequest = Pick<IncomingMessage, 'headers'>;

const DEFAULT_QUERY = `# atlas-gate GraphiQL. Get a token with \`npm run token -- owner@contoso.test\` and add a header:
#   { "Authorization": "Bearer <token>" }
query Tenants {
  me { email displayName }
  tenants { id name status providerConnections { id displayName enabled credentialState isDefault } }
}
`;

export type ApiServer = {
  http: Server;
  yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  url: string;
  /** This process's subscription groups (tests read their counts). */
  groups: SubscriptionGroups;
  /**
   * Drains: /ready answers 503, no new connection is accepted, WebSockets close with 1012 Service
   * Restart (graphql-ws clients reconnect, to another replica), SSE streams end, and in-flight
   * requests finish; then the last connections are closed. Bound it from outside (main.ts:
   * SHUTDOWN_TIMEOUT_MS).
   */
  close(): Promise<void>;
};

/** The per-user subscription quota of one API process (shared by Yoga and the grouped graphql-ws subscriptions). */
export const subscriptionQuota = ({ config, metrics }: Services) =>
  new SubscriptionQuota(config.MAX_SUBSCRIPTIONS_PER_USER, metrics.subscriptions, {
    maxCost: config.SUBSCRIPTION_MAX_COST,
    budgetPerUser: config.SUBSCRIPTION_COST_BUDGET_PER_USER,
  });

export function createYogaApp(
  services: Services,
  quota = subscriptionQuota(services),
  trusted = TrustedDocuments.fromConfig(services.config),
): YogaServerInstance<ServerContext, GraphQLContext> {
  const armor = new EnvelopArmor({
    maxDepth: { n: 12 },
    maxAliases: { n: 20 },
    costLimit: { maxCost: 20_000 },
    maxTokens: { n: 2_000 },
    blockFieldSuggestion: { enabled: true },
  });
  const { config } = services;
  const exposed = exposure(config);
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // SSE for GraphiQL's subscriptions: it carries the Authorization header typed into GraphiQL.
    graphiql: exposed.graphiql && {
      title: 'atlas-gate',
      defaultQuery: DEFAULT_QUERY,
      subscriptionsProtocol: 'SSE',
      shouldPersistHeaders: true,
    },
    // GraphiQL served from the package itself, not a CDN: it works on offline machines too.
    renderGraphiQL,
    cors: exposed.cors,
    maskedErrors: { isDev: false, maskError: maskError(services.log) },
    // The body is read and bounded before Yoga sees it (readBody, HTTP_MAX_BODY_BYTES: 413): Yoga's
    // own bound piped every request body through a TransformStream and a new Request again.
    maxRequestBodySize: false,
    logging: false,
    plugins: [
      trusted.plugin(),
      useGraphQLMetrics(services.metrics.registry),
      ...armor.protect().plugins,
      ...(exposed.introspection ? [] : [useDisableIntrospection()]),
      useStartRateLimit(config.RATE_LIMIT_STARTS, config.RATE_LIMIT_WINDOW_S),
      useScheduleChangeRateLimit(config.RATE_LIMIT_SCHEDULE_CHANGES, config.RATE_LIMIT_SCHEDULE_WINDOW_S),
      quota.plugin(),
      useSubscriptionExpiry(),
      useSubscriptionAck(),
    ],
    context: async ({ request, connectionParams }) => {
      if (connectionParams) {
        const header = typeof connectionParams.authorization === 'string' ? connectionParams.authorization : null;
        return { services, viewer: await services.auth.authenticate(header) };
      }
      const header = request?.headers.get('authorization');
      return { services, viewer: await services.auth.authenticate(header), requestAuthorization: header };
    },
  });
}

export async function startServer(
  services: Services,
  port = services.config.PORT,
  host = services.config.HOST,
): Promise<ApiServer> {
  const { config, log, metrics } = services;
  const quota = subscriptionQuota(services);
  const trusted = TrustedDocuments.fromConfig(config);
  const yoga = createYogaApp(services, quota, trusted);
  const drain = new Drain();
  const http = createServer((req, res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    req.headers['x-request-id'] = requestId; // what Yoga's request sees, too
    res.setHeader('x-request-id', requestId);
    return logContext.run({ requestId }, () => route(req, res));
  });
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return json(res, 200, { status: 'ok' });
    if (path === '/ready') {
      if (drain.draining) return json(res, 503, { ok: false, status: 'shutting down' });
      const checks = await readiness(services);
      return json(res, checks.ok ? 200 : 503, checks);
    }
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD'))
      return serveScrape(metrics, config.METRICS_TOKEN, req, res);
    if (DEV_PATHS.includes(path)) return serveDevSignIn(services, req, res); // 404 unless DEV_SIGN_IN=on
    if (drain.draining) res.setHeader('connection', 'close'); // served, but the client must go elsewhere next time
    if (isEventStream(req)) {
      metrics.sseStreams.inc();
      drain.stream(res, () => metrics.sseStreams.dec());
    } else drain.request(res);
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
      const body = await readBody(req, config.HTTP_MAX_BODY_BYTES).catch(() => undefined);
      if (body === undefined) return void res.destroy(); // the client went away mid-body
      if (body === null) return tooLarge(res, config.HTTP_MAX_BODY_BYTES);
      // Yoga takes an already read body from `req.body` instead of reading the stream again.
      (req as IncomingMessage & { body?: Buffer }).body = body;
    }
    return yoga.handle(req, res, { req });
  };

  // ws answers a frame over maxPayload by closing the socket with 1009 Message Too Big.
  const wss = new WebSocketServer({
    server: http,
    path: yoga.graphqlEndpoint,
    maxPayload: config.WS_MAX_PAYLOAD_BYTES,
  });
  // The upgrade answers with the socket's request id; its log lines carry it (see inSocketContext).
  wss.on('headers', (headers, req) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    req.headers['x-request-id'] = requestId;
    headers.push(`X-Request-Id: ${requestId}`);
  });
  wss.on('connection', (socket) => {
    metrics.websocketConnections.inc();
    socket.once('close', () => metrics.websocketConnections.dec());
    boundBuffer(socket, config.WS_MAX_BUFFERED_BYTES, log);
  });
  const sessions = new SocketSessions(
    services.auth,
    services.tokens,
    { maxPerUser: config.WS_MAX_CONNECTIONS_PER_USER, recheckMs: Math.max(config.VIEWER_CACHE_MS, 1_000) },
    log,
  );
  const mask = maskError(log);
  // One execution per event for graphql-ws subscriptions that share document, variables and roles.
  const groups = new SubscriptionGroups({
    schema,
    members: services.auth,
    listen: (workspaceIds, onEvent) => services.bus.listen(workspaceIds, onEvent),
    scope: (viewer, filter) => services.runStreams.workspacesOf(viewer, filter),
    quota,
    context: (viewer): GraphQLContext => ({ services, viewer }),
    maskError: mask,
    log: log.child({ component: 'subscription-groups' }),
    observer: {
      execution: (seconds) => metrics.groupExecutionSeconds.observe(seconds),
      frames: (count) => metrics.groupFramesTotal.inc(count),
    },
  });
  const socketTokens = new Interned(1_000);
  /** A socket's graphql-ws `extra`: the upgrade request until onConnect, then only its headers we keep. */
  const socketOf = (extra: unknown) => extra as { socket: WebSocket; request: SocketRequest };
  /** Runs `fn` with the socket's request id on every log line (the upgrade request carries it, see 'headers'). */
  const inSocketContext = <T>(request: SocketRequest | undefined, fn: () => T): T =>
    logContext.run({ requestId: String(request?.headers['x-request-id'] ?? 'unknown') }, fn);
  const requestOf = (args: ExecutionArgs) => (args.contextValue as { req?: SocketRequest }).req;
  const ws = useServer<Record<string, unknown>>(
    {
      // A missing, invalid or expired token closes the socket with 4403 Forbidden; the sessions
      // close it later when the token expires or the user is deleted (docs/behaviour.md#transport-authentication-and-configuration).
      onConnect: (ctx) =>
        inSocketContext(socketOf(ctx.extra).request, async () => {
          const params = ctx.connectionParams as Record<string, unknown> | undefined;
          // The sockets of one token keep one copy of it (graphql-ws keeps the params per socket).
          const header = typeof params?.authorization === 'string' ? socketTokens.intern(params.authorization) : null;
          if (params && header !== null) params.authorization = header;
          const extra = socketOf(ctx.extra);
          // Of the upgrade request only its id outlives the handshake (for log lines): graphql-ws
          // would keep the whole request (headers, streams) for the socket's lifetime, about
          // 1.5 KB per socket (issue 21: memory per idle subscription at 10,000).
          extra.request = { headers: { 'x-request-id': extra.request.headers['x-request-id'] } };
          return (await sessions.open(extra.socket, header)) !== null;
        }),
      execute: (args) =>
        inSocketContext(
          requestOf(args),
          () => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
        ),
      subscribe: (args) =>
        inSocketContext(requestOf(args), () => {
          const root = args.rootValue as { subscribe?: (a: ExecutionArgs) => unknown; grouped?: unknown };
          return (root.grouped ?? root.subscribe!(args)) as never;
        }),
      onSubscribe: (ctx, id, payload) =>
        inSocketContext(socketOf(ctx.extra).request, async () => {
          // graphql-ws has already registered this one: more than the bound means one too many.
          const open = Object.keys(ctx.subscriptions).length;
          if (open > config.MAX_SUBSCRIPTIONS_PER_CONNECTION) {
            const limit = config.MAX_SUBSCRIPTIONS_PER_CONNECTION;
            return [tooManySubscriptions(`this connection has ${open - 1} open (limit ${limit})`, limit)];
          }
          const {
            schema: s,
            execute,
            subscribe,
            contextFactory,
            parse,
            validate,
          } = yoga.getEnveloped({
            ...ctx,
            req: socketOf(ctx.extra).request,
            connectionParams: ctx.connectionParams,
            params: payload,
          });
          let document: ReturnType<typeof parse>;
          let queryText: string;
          try {
            // A syntax error or an armor limit is the client's mistake, not a 4500 for the socket.
            queryText = trusted.textOf(payload);
            document = parse(queryText);
            const errors = validate(s, document) as readonly GraphQLError[];
            if (errors.length) return errors.map(withoutHttp);
          } catch (err) {
            const masked = mask(err, 'Unexpected error.');
            return [
              masked instanceof GraphQLError
                ? withoutHttp(masked)
                : new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
            ];
          }
          let contextValue: GraphQLContext;
          try {
            contextValue = await contextFactory();
          } catch (err) {
            // The viewer cannot be looked up (PostgreSQL unreachable): a retryable close, so the
            // client reconnects and subscribes again instead of ending for good.
            log.warn({ err: (err as Error).message }, 'websocket closed for now: the user cannot be looked up');
            socketOf(ctx.extra).socket.close(CLOSE.TRY_AGAIN_LATER, 'Try again later');
            return [
              new GraphQLError('A backing service is unavailable. Try again shortly.', {
                extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 },
              }),
            ];
          }
          // A grouped subscription skips envelop's per-subscription layers (and keeps no context):
          // its group executes and writes its frames (realtime/groups.ts).
          const grouped =
            contextValue.viewer &&
            (await groups.subscribe({
              viewer: contextValue.viewer,
              delivery: { socket: socketOf(ctx.extra).socket, id },
              document,
              operationName: payload.operationName,
              variables: payload.variables,
              queryText,
              ack: payload.extensions?.subscriptionAck === true,
            }));
          if (grouped)
            return {
              schema: s,
              operationName: payload.operationName,
              document,
              variableValues: payload.variables,
              contextValue: { req: socketOf(ctx.extra).request },
              rootValue: { grouped },
            };
          return {
            schema: s,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue,
            rootValue: { execute, subscribe },
          };
        }),
    },
    wss,
    0, // graphql-ws' keep-alive is a timer per socket: one heartbeat below pings them all
  );
  const stopHeartbeat = heartbeat(wss, config.WS_KEEPALIVE_MS);

  await new Promise<void>((resolve, reject) => {
    // ws re-emits EADDRINUSE and only logs it: fail the start instead of serving nothing.
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (err) => log.error({ err }, 'http server error'));
  if (config.JWT_SECRET === DEV_JWT_SECRET && !isLoopback(host)) {
    log.warn(
      { host },
      'the development JWT_SECRET is in use on a non-loopback address: anyone who can reach this port can mint tokens. Set JWT_SECRET, or HOST=127.0.0.1',
    );
  }
  const address = http.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    http,
    yoga,
    groups,
    url: `http://127.0.0.1:${actualPort}`,
    async close() {
      const drained = drain.start(); // /ready 503 from here; SSE streams end (their clients reconnect elsewhere)
      const stopped = new Promise<void>((resolve) => http.close(() => resolve())); // accepts nothing new
      for (const socket of wss.clients) socket.close(CLOSE.SERVICE_RESTART, 'Service restart');
      await drained;
      // The sockets had their 1012 and the in-flight requests their answers: give the close handshakes a moment.
      await waitUntil(() => wss.clients.size === 0, 1_000);
      for (const socket of wss.clients) socket.terminate();
      stopHeartbeat();
      await ws.dispose();
      wss.close();
      http.closeAllConnections();
      await stopped;
    },
  };
}

/** What a drain waits for: in-flight requests are answered; SSE streams, which never end by themselves, are ended. */
class Drain {
  draining = false;
  private readonly requests = new Set<ServerResponse>();
  private readonly streams = new Set<ServerResponse>();
  private idle: (() => void) | undefined;

  request(res: ServerResponse): void {
    this.requests.add(res);
    res.once('close', () => {
      this.requests.delete(res);
      if (this.requests.size === 0) this.idle?.();
    });
  }

  stream(res: ServerResponse, onEnd: () => void): void {
    this.streams.add(res);
    res.once('close', () => {
      this.streams.delete(res);
      onEnd();
    });
  }

  /** Resolves once no request is in flight. */
  start(): Promise<void> {
    this.draining = true;
    // Destroyed, not ended: an SSE "complete" would tell the client the subscription is over for good.
    for (const res of this.streams) res.destroy();
    if (this.requests.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }
}

const isEventStream = (req: IncomingMessage) => (req.headers.accept ?? '').includes('text/event-stream');

async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  for (const giveUpAt = Date.now() + ms; !done() && Date.now() < giveUpAt; )
    await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Each dependency answers within a second or counts as unreachable: a probe must not hang. */
async function readiness(services: Services) {
  const probe = (check: Promise<unknown>) =>
    Promise.race([
      check.then((answer) => (typeof answer === 'string' ? answer : 'ok')),
      new Promise((resolve) => setTimeout(resolve, 1_000, 'unreachable').unref()),
    ]).catch(() => 'unreachable');
  const [postgres, redis, masters] = await Promise.all([
    probe(services.prisma.$queryRaw`SELECT 1`),
    // On a cluster: ok only while the cluster state is ok (every slot served) on every master.
    probe(redisState(services.redis)),
    services.scopeLock.mastersUp(1_000),
  ]);
  // The scope lock's masters (REDLOCK_URLS, else REDIS_URL): starts need a majority of them.
  const locks = `${masters.up}/${masters.total} masters${masters.quorum ? '' : ', no quorum'}`;
  return { ok: postgres === 'ok' && redis === 'ok' && masters.quorum, postgres, redis, locks };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Yoga's HTTP status hints mean nothing on a WebSocket, and Yoga only strips them from HTTP answers. */
function withoutHttp(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return withExtensions(error, extensions);
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** The request body, or null once it exceeds `limit` bytes (by its Content-Length or as it streams). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Stop buffering but leave the socket alone: destroying it would lose the 413.
      req.off('data', onData).off('end', onEnd).resume();
      resolve(null);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

/** 413 with a GraphQL error body; the connection closes, so the rest of the body is never read. */
function tooLarge(res: ServerResponse, limit: number) {
  res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
  res.end(
    JSON.stringify({
      errors: [
        {
          message: `Request body too large: the limit is ${limit} bytes`,
          extensions: { code: 'BAD_USER_INPUT', limit },
        },
      ],
    }),
  );
}

/**
 * A client that stops reading must not grow this process's memory without bound, nor hold anyone
 * else's delivery. graphql-ws awaits each send's callback, which ws calls only once the frame
 * reached the kernel: for a client that stopped reading, every later event of its subscriptions
 * would wait, unbounded and uncounted, in their queues. So a send completes at once, as soon as ws
 * holds the frame, and ws' bufferedAmount is all the socket's unsent data; once it passes
 * `maxBytes` the socket is closed with 1013 Try Again Later (after the data already queued), so a
 * graphql-ws client reconnects and resumes. Nothing more is queued once the socket is closing, and
 * ws terminates it if the close handshake does not complete within its own timeout.
 */
function boundBuffer(socket: WebSocket, maxBytes: number, log: Logger): void {
  const send = socket.send.bind(socket) as (data: unknown, ...rest: unknown[]) => void;
  const sent = (err?: Error) => {
    if (err) log.debug({ err: err.message }, 'websocket frame not sent');
  };
  socket.send = ((data: unknown, ...rest: unknown[]) => {
    const done = typeof rest.at(-1) === 'function' ? (rest.pop() as (err?: Error) => void) : undefined;
    if (rest.length === 0) send(data, sent);
    else send(data, ...rest, sent);
    done?.();
    if (socket.readyState === socket.OPEN && socket.bufferedAmount > maxBytes) {
      log.warn({ bufferedBytes: socket.bufferedAmount, maxBytes }, 'websocket closed: the client is not reading');
      socket.close(CLOSE.TRY_AGAIN_LATER, 'Try again later: too slow');
    }
  }) as WebSocket['send'];
}
