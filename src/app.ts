// The composition root: every long-lived service of one process, wired once. Servers, workers,
// tests and benchmarks all build their world here, so two instances in one test behave like two
// processes (separate Prisma and Redis clients).
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.js';
import { TokenService } from './auth/tokens.js';
import { Authenticator } from './auth/viewer.js';
import type { Config } from './config.js';
import { createPool, createPrisma, type PrismaClient } from './db/prisma.js';
import { AdmissionStore } from './gate/admission-store.js';
import { StartResultPresenter } from './gate/presenter.js';
import { LOCK_MASTER_OPTIONS, ScopeLock } from './gate/scope-lock.js';
import { StartGate, type StartGateOptions } from './gate/start-gate.js';
import { StartPreviews } from './gate/previews.js';
import { ConnectionSettings } from './connections/connection-settings.js';
import { PreviewFeed } from './realtime/preview-feed.js';
import { JobDispatcher } from './jobs/dispatch.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics/metrics.js';
import { countingRunEnds } from './metrics/run-ends.js';
import { scopeLockObserver } from './metrics/start-decisions.js';
import { RealtimeBus } from './realtime/bus.js';
import { RunStreams } from './realtime/run-stream.js';
import { CancelRelay } from './realtime/cancel-relay.js';
import { RunControl } from './runs/run-control.js';
import { ScheduleTriggers } from './jobs/schedulers.js';
import { ScheduleService } from './schedules/schedule-service.js';
import { RunLifecycle } from './runs/lifecycle.js';
import { RedisConnections, type RedisClient } from './redis/connections.js';
import { RedisNames } from './redis/names.js';

export type Services = {
  config: Config;
  log: Logger;
  metrics: Metrics;
  prisma: PrismaClient;
  /** Where this process's Redis clients come from (single node or cluster), and every key's name. */
  redisConnections: RedisConnections;
  names: RedisNames;
  redis: RedisClient;
  tokens: TokenService;
  auth: Authenticator;
  bus: RealtimeBus;
  lifecycle: RunLifecycle;
  dispatcher: JobDispatcher;
  store: AdmissionStore;
  /** The gate's lock, here for /ready (how many of its masters answer). */
  scopeLock: ScopeLock;
  /** The kinds of provider, keyed by ProviderConnection.provider: what they run, and their clients. */
  providers: ProviderRegistry;
  gate: StartGate;
  presenter: StartResultPresenter;
  /** Start previews (docs/behaviour.md#previews-and-provider-connections): batched, live, and the connection settings they point at. */
  previews: StartPreviews;
  previewFeed: PreviewFeed;
  runStreams: RunStreams;
  connections: ConnectionSettings;
  cancelRelay: CancelRelay;
  runControl: RunControl;
  scheduleTriggers: ScheduleTriggers;
  schedules: ScheduleService;
  close(): Promise<void>;
};

export type ServiceOptions = {
  log?: Logger;
  gate?: StartGateOptions;
  dbPoolSize?: number;
  scopeLockTtlMs?: number;
  /** This process's metrics (main.ts: with process metrics); a fresh registry otherwise. */
  metrics?: Metrics;
  /** The provider kinds (tests: a kind that cannot run some type); createProviderRegistry otherwise. */
  providers?: ProviderRegistry;
};

export function createServices(config: Config, options: ServiceOptions = {}): Services {
  const log = options.log ?? createLogger(config.LOG_LEVEL);
  const metrics = options.metrics ?? new Metrics();
  const pool = createPool(config.DATABASE_URL, options.dbPoolSize);
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection error'));
  const prisma = createPrisma(pool);
  const redisConnections = new RedisConnections(config);
  const names = RedisNames.of(config);
  const redis = redisConnections.client('commands');
  const subscriber = redisConnections.client('subscriber');
  for (const client of [redis, subscriber])
    client.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const tokens = new TokenService(config.JWT_SECRET);
  const auth = new Authenticator(tokens, prisma, config.VIEWER_CACHE_MS);
  const bus = new RealtimeBus(redis, subscriber, names, log.child({ component: 'realtime' }));
  const lifecycle = new RunLifecycle(pool, countingRunEnds(bus, metrics), config.PUBLIC_APP_URL, log);
  const dispatcher = new JobDispatcher(redisConnections.client('commands'), names, log);
  // Its own client per Redlock master (REDLOCK_URLS, else this topology): a down master must fail its vote at once.
  const scopeLock = ScopeLock.connect(
    redisConnections.lockMasters(config.REDLOCK_URLS, LOCK_MASTER_OPTIONS),
    (tenantId) => names.scopeLock(tenantId),
    log,
    options.scopeLockTtlMs,
    scopeLockObserver(metrics),
  );
  const store = new AdmissionStore(pool);
  const providers = options.providers ?? createProviderRegistry(config);
  const gate = new StartGate(store, lifecycle, scopeLock, dispatcher, providers, log, options.gate);
  const presenter = new StartResultPresenter(config.PUBLIC_APP_URL);
  const previews = new StartPreviews(store, presenter, providers);
  const previewFeed = new PreviewFeed(previews, bus, auth);
  const runStreams = new RunStreams(prisma, bus, auth, config.REPLAY_LIMIT);
  const connections = new ConnectionSettings(prisma, bus, log);
  const cancelRelay = new CancelRelay(redis, names.cancelChannel);
  const runControl = new RunControl(
    prisma,
    lifecycle,
    {
      requested: async (id) => void (await Promise.all([cancelRelay.requested(id), dispatcher.hurry(id)])),
      withdraw: (id) => dispatcher.withdraw(id),
    },
    log,
  );
  const scheduleTriggers = new ScheduleTriggers(redisConnections.client('commands'), names.schedulesQueue, log);
  const schedules = new ScheduleService(
    prisma,
    scheduleTriggers,
    gate,
    presenter,
    previews,
    {
      minIntervalS: config.SCHEDULE_MIN_INTERVAL_S,
      maxPerTenant: config.SCHEDULE_MAX_PER_TENANT,
      maxPerWorkspace: config.SCHEDULE_MAX_PER_WORKSPACE,
    },
    log.child({ component: 'schedules' }),
  );

  return {
    config,
    log,
    metrics,
    prisma,
    redisConnections,
    names,
    redis,
    tokens,
    auth,
    bus,
    lifecycle,
    dispatcher,
    store,
    scopeLock,
    providers,
    gate,
    presenter,
    previews,
    previewFeed,
    runStreams,
    connections,
    cancelRelay,
    runControl,
    scheduleTriggers,
    schedules,
    async close() {
      await dispatcher.close().catch(() => undefined);
      await scheduleTriggers.close().catch(() => undefined);
      subscriber.disconnect();
      redis.disconnect();
      scopeLock.close();
      await prisma.$disconnect();
      await pool.end().catch(() => undefined);
    },
  };
}
