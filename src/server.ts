// The HTTP server: GraphQL (and GraphiQL) at /graphql, graphql-ws subscriptions on the same
// path, SSE subscriptions through Yoga, /health and /ready. Bounded against abuse: request
// bodies, WebSocket frames, sockets per user, subscriptions per socket and per user.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Services } from './app.js';
import { DEV_JWT_SECRET } from './config.js';
import type { GraphQLContext } from './graphql/context.js';
import { maskError, withExtensions } from './graphql/plugins/errors.js';
import { exposure, useDisableIntrospection } from './graphql/plugins/exposure.js';
import { useStartRateLimit } from './graphql/plugins/rate-limit.js';
import { tooManySubscriptions, useSubscriptionQuota } from './graphql/plugins/subscription-quota.js';
import { useSubscriptionAck } from './graphql/plugins/subscription-ack.js';
import { schema } from './graphql/schema/index.js';
import { CLOSE, SocketSessions } from './realtime/socket-sessions.js';

type ServerContext = { req?: IncomingMessage; connectionParams?: Record<string, unknown> };

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
  close(): Promise<void>;
};

export function createYogaApp(services: Services): YogaServerInstance<ServerContext, GraphQLContext> {
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
    logging: false,
    plugins: [
      ...armor.protect().plugins,
      ...(exposed.introspection ? [] : [useDisableIntrospection()]),
      useStartRateLimit(config.RATE_LIMIT_STARTS, config.RATE_LIMIT_WINDOW_S),
      useSubscriptionQuota(config.MAX_SUBSCRIPTIONS_PER_USER),
      useSubscriptionAck(),
    ],
    context: async ({ request, connectionParams }) => {
      const header =
        typeof connectionParams?.authorization === 'string'
          ? connectionParams.authorization
          : request?.headers.get('authorization');
      return { services, viewer: await services.auth.authenticate(header) };
    },
  });
}

export async function startServer(
  services: Services,
  port = services.config.PORT,
  host = services.config.HOST,
): Promise<ApiServer> {
  const { config, log } = services;
  const yoga = createYogaApp(services);
  const http = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return json(res, 200, { status: 'ok' });
    if (path === '/ready') {
      const checks = await readiness(services);
      return json(res, checks.ok ? 200 : 503, checks);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
      const body = await readBody(req, config.HTTP_MAX_BODY_BYTES).catch(() => undefined);
      if (body === undefined) return void res.destroy(); // the client went away mid-body
      if (body === null) return tooLarge(res, config.HTTP_MAX_BODY_BYTES);
      // Yoga takes an already read body from `req.body` instead of reading the stream again.
      (req as IncomingMessage & { body?: Buffer }).body = body;
    }
    return yoga.handle(req, res, { req });
  });

  // ws answers a frame over maxPayload by closing the socket with 1009 Message Too Big.
  const wss = new WebSocketServer({
    server: http,
    path: yoga.graphqlEndpoint,
    maxPayload: config.WS_MAX_PAYLOAD_BYTES,
  });
  const sessions = new SocketSessions(
    services.auth,
    services.tokens,
    { maxPerUser: config.WS_MAX_CONNECTIONS_PER_USER, recheckMs: Math.max(config.VIEWER_CACHE_MS, 1_000) },
    log,
  );
  const mask = maskError(log);
  const socketOf = (extra: unknown) => extra as { socket: WebSocket; request: IncomingMessage };
  const ws = useServer<Record<string, unknown>>(
    {
      // A missing, invalid or expired token closes the socket with 4403 Forbidden; the sessions
      // close it later when the token expires or the user is deleted (CONTRACT.md section 5).
      onConnect: async (ctx) => {
        const header =
          typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : null;
        return (await sessions.open(socketOf(ctx.extra).socket, header)) !== null;
      },
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      onSubscribe: async (ctx, _id, payload) => {
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
        try {
          // A syntax error or an armor limit is the client's mistake, not a 4500 for the socket.
          document = parse(payload.query);
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
        return {
          schema: s,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
    },
    wss,
  );

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
    url: `http://127.0.0.1:${actualPort}`,
    async close() {
      await ws.dispose();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Each dependency answers within a second or counts as unreachable: a probe must not hang. */
async function readiness(services: Services) {
  const probe = (check: Promise<unknown>) =>
    Promise.race([
      check.then(() => 'ok'),
      new Promise((resolve) => setTimeout(resolve, 1_000, 'unreachable').unref()),
    ]).catch(() => 'unreachable');
  const [postgres, redis] = await Promise.all([
    probe(services.prisma.$queryRaw`SELECT 1`),
    probe(services.redis.ping()),
  ]);
  return { ok: postgres === 'ok' && redis === 'ok', postgres, redis };
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
