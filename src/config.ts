// Typed environment (docs/behaviour.md#transport-authentication-and-configuration). Parsed once; a bad value stops the process
// with a message naming the variable instead of failing somewhere later.
import { z } from 'zod';
import { isLoopbackAddress } from './auth/loopback.js';

export const DEV_JWT_SECRET = 'atlas-gate-development-secret-do-not-use-in-production';

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/atlas_gate'),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    // Loopback by default: with the published development JWT secret, anyone who reached the port
    // could mint an OWNER token. Set HOST=0.0.0.0 (and a real JWT_SECRET) to serve a network.
    HOST: z.string().min(1).default('127.0.0.1'),
    JWT_SECRET: z.string().min(16).default(DEV_JWT_SECRET),
    // The console's demo-user sign-in (GET /dev/users, /dev/token mints tokens for any user): only
    // when asked for, and refused below anywhere but a developer's own machine (src/auth/dev-tokens.ts).
    DEV_SIGN_IN: z.enum(['on', 'off']).default('off'),
    // Seed the demo data into an empty database at start-up; unset: only when NODE_ENV=development.
    SEED_DEMO: z.enum(['on', 'off']).optional(),
    PUBLIC_APP_URL: z.string().url().default('http://localhost:5173'),
    // Trusted documents (src/graphql/trusted-documents.ts): the console's persisted documents by hash;
    // on: no other document runs (production), off: any document runs too (GraphiQL, scripts).
    TRUSTED_DOCUMENTS_ONLY: z.enum(['on', 'off']).default('off'),
    TRUSTED_DOCUMENTS_FILE: z.string().min(1).default('examples/console/src/gql/persisted-documents.json'),
    PROVIDER_MODE: z.enum(['simulated', 'graph']).default('simulated'),
    SIM_LATENCY_MS: z.coerce.number().int().min(0).default(1500),
    // Not in the contract: operational knobs with safe defaults.
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    WORKERS: z.enum(['on', 'off']).default('on'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    // How long a worker's job lease lasts without renewal: a killed worker's run is picked up
    // again after about this long.
    WORKER_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
    // Transient provider errors: attempts per run, first backoff (doubling each retry).
    RUN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
    RETRY_BASE_MS: z.coerce.number().int().min(0).default(1_000),
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
    // History retention (src/runs/retention.ts): terminal runs and read notifications older than
    // this many days are pruned by the workers, RETENTION_BATCH rows per statement, every
    // RETENTION_INTERVAL_MS.
    RUN_RETENTION_DAYS: z.coerce.number().min(1).default(90),
    NOTIFICATION_RETENTION_DAYS: z.coerce.number().min(1).default(30),
    RETENTION_INTERVAL_MS: z.coerce.number().int().min(1_000).default(3_600_000),
    RETENTION_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
    REDIS_PREFIX: z
      .string()
      .regex(/^[a-z0-9:_-]+$/i)
      .default('atlas'),
    // A Redis Cluster instead of REDIS_URL: its nodes, comma-separated `host:port` or redis:// /
    // rediss:// URLs (credentials and TLS from the first). src/redis/ says what goes where.
    REDIS_CLUSTER_NODES: z
      .string()
      .refine(
        (v) => v.split(',').every((n) => /^rediss?:\/\//.test(n.trim()) || /^[^\s:/]+:\d+$/.test(n.trim())),
        'must be comma-separated host:port or redis:// / rediss:// URLs',
      )
      .optional(),
    // Operation jobs go to this many queues by a hash of the tenant, each its own Redis Cluster hash
    // tag, so they spread over the masters (6: two per master of 3). Unset: 6 on a cluster, 1 on a
    // single node. Change it only with the workers drained: jobs on a shard no longer counted wait.
    REDIS_QUEUE_SHARDS: z.coerce.number().int().min(1).max(64).optional(),
    GRAPH_AUTHORITY_URL: z.string().url().default('https://login.microsoftonline.com'),
    GRAPH_API_URL: z.string().url().default('https://graph.microsoft.com/v1.0'),
    VIEWER_CACHE_MS: z.coerce.number().int().min(0).default(2_000),
    RATE_LIMIT_STARTS: z.coerce.number().int().min(1).default(120),
    RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).default(10),
    // Schedules may fire at most once every this many seconds (docs/behaviour.md#schedules; tests lower it).
    SCHEDULE_MIN_INTERVAL_S: z.coerce.number().int().min(1).default(60),
    // Schedules per tenant and per workspace (not deleted ones), so one customer cannot flood the
    // firing queue; schedule changes (create, update, delete) per user per window, across processes.
    SCHEDULE_MAX_PER_TENANT: z.coerce.number().int().min(1).default(50),
    SCHEDULE_MAX_PER_WORKSPACE: z.coerce.number().int().min(1).default(500),
    RATE_LIMIT_SCHEDULE_CHANGES: z.coerce.number().int().min(1).default(30),
    RATE_LIMIT_SCHEDULE_WINDOW_S: z.coerce.number().int().min(1).default(60),
    // Exposure: GraphiQL and introspection default to on outside production, off in it; CORS
    // allows these origins (comma-separated, '*' for any; unset: PUBLIC_APP_URL's origin only).
    GRAPHIQL: z.enum(['on', 'off']).optional(),
    INTROSPECTION: z.enum(['on', 'off']).optional(),
    CORS_ORIGINS: z.string().optional(),
    // Abuse bounds, so one client cannot exhaust an API process: request body and WebSocket frame
    // size, graphql-ws connections per user, subscriptions per connection and per user (WS + SSE),
    // all counted per API process.
    HTTP_MAX_BODY_BYTES: z.coerce.number().int().min(1_024).default(1_048_576),
    WS_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1_024).default(1_048_576),
    /** A socket whose unsent data passes this is closed with 1013 (a client that stopped reading). */
    WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1_024).default(1_048_576),
    /** Every socket is pinged this often; one that has not answered the previous ping is terminated (0: off). */
    WS_KEEPALIVE_MS: z.coerce.number().int().min(0).default(12_000),
    /** operationRunUpdated(after:) replays at most this many runs, else ends with RESYNC_REQUIRED. */
    REPLAY_LIMIT: z.coerce.number().int().min(1).default(500),
    WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(20),
    MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(100),
    MAX_SUBSCRIPTIONS_PER_USER: z.coerce.number().int().min(1).default(500),
    // What live subscriptions may cost (src/graphql/plugins/subscription-cost.ts): one document (the
    // console's costliest, a tenant's previews, costs 451), and one user's open ones together on this
    // API process (about two overview pages of 100 live tenant rows).
    SUBSCRIPTION_MAX_COST: z.coerce.number().int().min(1).default(600),
    SUBSCRIPTION_COST_BUDGET_PER_USER: z.coerce.number().int().min(1).default(100_000),
    // Production running: /metrics needs this bearer token when set (metrics name tenants' activity);
    // METRICS_PORT serves /metrics and /health on a port of its own (how worker processes expose
    // theirs; 0 picks a free one); queue depths are sampled this often instead of per scrape.
    METRICS_TOKEN: z.string().min(16).optional(),
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    METRICS_SAMPLE_MS: z.coerce.number().int().min(100).default(5_000),
    // SIGTERM: how long a process may drain (in-flight requests, jobs in hand) before it exits anyway.
    // Below an orchestrator's kill grace (Kubernetes: 30 s), so the exit is ours, not a SIGKILL.
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(25_000),
    // Redlock masters for the tenant scope lock: comma-separated URLs of independent Redis servers
    // (3 survive one down: a lease needs a majority). Unset: REDIS_URL alone.
    REDLOCK_URLS: z
      .string()
      .refine(
        (v) => v.split(',').every((url) => /^rediss?:$/.test(URL.parse(url.trim())?.protocol ?? '')),
        'must be comma-separated redis:// or rediss:// URLs',
      )
      .optional(),
  })
  .refine((env) => env.NODE_ENV !== 'production' || env.JWT_SECRET !== DEV_JWT_SECRET, {
    message: 'JWT_SECRET must be set to a real secret when NODE_ENV=production',
    path: ['JWT_SECRET'],
  })
  .refine((env) => env.DEV_SIGN_IN === 'off' || env.NODE_ENV !== 'production', {
    message: 'DEV_SIGN_IN=on mints tokens for any user: refused when NODE_ENV=production',
    path: ['DEV_SIGN_IN'],
  })
  .refine((env) => env.DEV_SIGN_IN === 'off' || env.JWT_SECRET === DEV_JWT_SECRET, {
    message: 'DEV_SIGN_IN=on is refused with a non-default JWT_SECRET: it would mint tokens signed with a real secret',
    path: ['DEV_SIGN_IN'],
  })
  .refine((env) => env.DEV_SIGN_IN === 'off' || isLoopbackAddress(env.HOST), {
    message: 'DEV_SIGN_IN=on is refused with a non-loopback HOST: anyone on the network could mint tokens',
    path: ['DEV_SIGN_IN'],
  });

export type Config = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(defined);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, ...overrides };
}
