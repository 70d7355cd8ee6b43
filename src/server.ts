// The HTTP server: GraphQL (and GraphiQL) at /graphql, graphql-ws subscriptions on the same
// path, SSE subscriptions through Yoga, /health and /ready.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type ExecutionArgs, type GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Services } from './app.js';
import type { GraphQLContext } from './graphql/context.js';
import { maskError } from './graphql/plugins/errors.js';
import { useStartRateLimit } from './graphql/plugins/rate-limit.js';
import { schema } from './graphql/schema/index.js';

type ServerContext = { req?: IncomingMessage; connectionParams?: Record<string, unknown> };

const DEFAULT_QUERY = `# atlas-gate GraphiQL. Get a token with \`npm run token -- owner@contoso.test\` and add a header:
#   { "Authorization": "Bearer <token>" }
query Tenants {
  me { email displayName }
  tenants { id name status providerConnections { id displayName enabled credentialState isDefault } }
}
`;

export type ApiServer = { http: Server; yoga: YogaServerInstance<ServerContext, GraphQLContext>; url: string; close(): Promise<void> };

export function createYogaApp(services: Services): YogaServerInstance<ServerContext, GraphQLContext> {
  const armor = new EnvelopArmor({
    maxDepth: { n: 12 },
    maxAliases: { n: 20 },
    costLimit: { maxCost: 20_000 },
    maxTokens: { n: 2_000 },
    blockFieldSuggestion: { enabled: true },
  });
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // SSE for GraphiQL's subscriptions: it carries the Authorization header typed into GraphiQL.
    graphiql: { title: 'atlas-gate', defaultQuery: DEFAULT_QUERY, subscriptionsProtocol: 'SSE', shouldPersistHeaders: true },
    // GraphiQL served from the package itself, not a CDN: it works on offline machines too.
    renderGraphiQL,
    maskedErrors: { isDev: false, maskError: maskError(services.log) },
    logging: false,
    plugins: [...armor.protect().plugins, useStartRateLimit(services.config.RATE_LIMIT_STARTS, services.config.RATE_LIMIT_WINDOW_S)],
    context: async ({ request, connectionParams }) => {
      const header = typeof connectionParams?.authorization === 'string' ? connectionParams.authorization : request?.headers.get('authorization');
      return { services, viewer: await services.auth.authenticate(header) };
    },
  });
}

export async function startServer(services: Services, port = services.config.PORT, host = '0.0.0.0'): Promise<ApiServer> {
  const yoga = createYogaApp(services);
  const http = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return json(res, 200, { status: 'ok' });
    if (path === '/ready') {
      const checks = await readiness(services);
      return json(res, checks.ok ? 200 : 503, checks);
    }
    return yoga.handle(req, res, { req });
  });

  const wss = new WebSocketServer({ server: http, path: yoga.graphqlEndpoint });
  const ws = useServer<Record<string, unknown>>(
    {
      // A missing, invalid or expired token closes the socket with 4403 Forbidden.
      onConnect: async (ctx) => {
        const header = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : null;
        return (await services.auth.authenticate(header)) !== null;
      },
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      onSubscribe: async (ctx, _id, payload) => {
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: (ctx.extra as { request: IncomingMessage }).request,
          connectionParams: ctx.connectionParams,
          params: payload,
        });
        const document = parse(payload.query);
        const errors = validate(s, document) as readonly GraphQLError[];
        if (errors.length) return [...errors];
        return {
          schema: s,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
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
  http.on('error', (err) => services.log.error({ err }, 'http server error'));
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
    Promise.race([check.then(() => 'ok'), new Promise((resolve) => setTimeout(resolve, 1_000, 'unreachable').unref())]).catch(() => 'unreachable');
  const [postgres, redis] = await Promise.all([probe(services.prisma.$queryRaw`SELECT 1`), probe(services.redis.ping())]);
  return { ok: postgres === 'ok' && redis === 'ok', postgres, redis };
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
