// Entry point. `npm start` (NODE_ENV=development, DEV_SIGN_IN=on): migrate, seed an empty database,
// serve the API and (by default, WORKERS=on) run the workers in the same process. `npm run worker`: workers only, so API and
// workers scale separately. `--role=migrate`: apply migrations and exit (a one-shot container).
// Every way out of start-up is one JSON log line and an exit code; SIGTERM drains within
// SHUTDOWN_TIMEOUT_MS and exits 0 (1 when the drain had to be cut short).
import { seededProvider, seedIfEmpty } from './seed/demo.js';
import { createServices, type Services } from './app.js';
import { DEV_PATHS } from './auth/dev-tokens.js';
import { loadConfig, type Config } from './config.js';
import { ensureDatabase, migrate } from './db/migrate.js';
import { startWorkers } from './jobs/worker.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics/metrics.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { sampleQueues } from './metrics/queue-sampler.js';
import { exposure } from './graphql/plugins/exposure.js';
import { installProcessGuards, SHUTDOWN_GRACE_MS, stopWithin } from './process-guards.js';
import { startServer } from './server.js';
import { pingPostgres, pingRedis, StartupError, withDatabase } from './startup-checks.js';
import { clusterNodeUrls } from './redis/connections.js';

const role = process.argv.find((a) => a.startsWith('--role='))?.slice('--role='.length) ?? 'all';

let config: Config;
try {
  // NODE_ENV unset means production: `node dist/src/main.js` on a server gets no demo seed, no
  // GraphiQL, and is refused with the development JWT_SECRET. The npm scripts say development.
  config = loadConfig({ ...process.env, NODE_ENV: process.env.NODE_ENV || 'production' });
} catch (err) {
  // Before the configuration is known: log at the default level, in the same JSON format.
  createLogger('info').fatal({ reason: (err as Error).message }, (err as Error).message.replace(/\n\s*/g, ' '));
  process.exit(1);
}
const log = createLogger(config.LOG_LEVEL, { pretty: config.NODE_ENV === 'development' && process.stdout.isTTY });

let services: Services | undefined;
const stops: (() => Promise<void>)[] = [];
let stopping: Promise<void> | undefined;
/** When a SIGTERM's drain must be over; stops that wait (workers) leave a second for closing clients. */
let drainDeadline = Number.POSITIVE_INFINITY;
const stopAll = () =>
  (stopping ??= (async () => {
    for (const stop of stops) await stop().catch((err) => log.error({ err }, 'shutdown step failed'));
    await services?.close();
  })());
installProcessGuards(log, stopAll);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    log.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down: draining requests and current jobs');
    drainDeadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS - 1_000;
    const drained = await stopWithin(stopAll, config.SHUTDOWN_TIMEOUT_MS, log);
    log.info({ drained }, 'stopped');
    process.exit(drained ? 0 : 1);
  });
}

try {
  // Fail fast, naming the variable, before anything that would retry forever is built.
  if (role !== 'worker') {
    if (await withDatabase(config.DATABASE_URL, () => ensureDatabase(config.DATABASE_URL)))
      log.info('created database');
    const applied = await withDatabase(config.DATABASE_URL, () => migrate(config.DATABASE_URL));
    if (applied.length || role === 'migrate') log.info({ applied }, 'applied migrations');
    if (role === 'migrate') process.exit(0);
  } else {
    await pingPostgres(config.DATABASE_URL);
  }
  if (config.REDIS_CLUSTER_NODES) {
    // Every seed node must answer (each is where a client may make its first contact).
    for (const url of clusterNodeUrls(config.REDIS_CLUSTER_NODES)) await pingRedis(url, 'REDIS_CLUSTER_NODES');
  } else await pingRedis(config.REDIS_URL);

  services = createServices(config, { log, metrics: new Metrics({ processMetrics: true }) });
  // Demo users only where asked for (SEED_DEMO=on) or in development, never by omission.
  const seeds = role !== 'worker' && (config.SEED_DEMO ?? (config.NODE_ENV === 'development' ? 'on' : 'off')) === 'on';
  if (
    seeds &&
    (await withDatabase(config.DATABASE_URL, () =>
      seedIfEmpty(services!.prisma, { provider: seededProvider(config.PROVIDER_MODE) }),
    ))
  ) {
    log.info('empty database: seeded the demo data (see README "Demo seed")');
  }
  const queues = [...services.dispatcher.sampled(), services.scheduleTriggers.sampled()];
  const sampler = sampleQueues(services.metrics, queues, config.METRICS_SAMPLE_MS, log);
  stops.push(async () => sampler.stop());
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  if (config.METRICS_PORT !== undefined) {
    metricsServer = await startMetricsServer(
      services.metrics,
      { host: config.HOST, port: config.METRICS_PORT, token: config.METRICS_TOKEN },
      log,
    );
    log.info({ port: metricsServer.port }, `metrics on http://${config.HOST}:${metricsServer.port}/metrics`);
  }
  if (role !== 'worker') {
    if (config.DEV_SIGN_IN === 'on')
      log.warn(
        { variable: 'DEV_SIGN_IN', paths: DEV_PATHS },
        'DEV_SIGN_IN=on: /dev/users and /dev/token mint tokens for any user to loopback callers. Development only',
      );
    const server = await startServer(services);
    const where = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}/graphql`;
    log.info(
      { host: config.HOST, port: config.PORT, graphiql: exposure(config).graphiql },
      `API listening on ${where}`,
    );
    if (exposure(config).graphiql) log.info(`GraphiQL on ${where}`);
    stops.push(() => server.close());
  }
  if (role === 'worker' || config.WORKERS === 'on') {
    const workers = await startWorkers(services);
    log.info({ concurrency: config.WORKER_CONCURRENCY }, 'workers started');
    stops.push(() => workers.close(drainDeadline - Date.now()));
  }
  // Closed last: a drain in progress stays observable.
  if (metricsServer) stops.push(() => metricsServer.close());
} catch (err) {
  if (err instanceof StartupError)
    log.fatal({ variable: err.variable, tried: err.tried, reason: err.reason }, err.message);
  else log.fatal({ err }, 'start-up failed');
  await stopWithin(stopAll, SHUTDOWN_GRACE_MS, log);
  process.exit(1);
}
