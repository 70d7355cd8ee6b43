// Entry point. `npm start`: migrate, seed an empty database, serve the API and (by default,
// WORKERS=on) run the workers in the same process. `npm run worker`: workers only, so API and
// workers scale separately.
import { seedDemo, isEmpty } from '../prisma/seed.js';
import { createServices } from './app.js';
import { loadConfig } from './config.js';
import { ensureDatabase, migrate } from './db/migrate.js';
import { startWorkers } from './jobs/worker.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

const role = process.argv.find((a) => a.startsWith('--role='))?.slice('--role='.length) ?? 'all';
const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);

if (role !== 'worker') {
  if (await ensureDatabase(config.DATABASE_URL)) log.info('created database');
  const applied = await migrate(config.DATABASE_URL);
  if (applied.length) log.info({ applied }, 'applied migrations');
}

const services = createServices(config, { log });
if (role !== 'worker' && (await isEmpty(services.prisma))) {
  await seedDemo(services.prisma);
  log.info('empty database: seeded the demo data (see README "Demo seed")');
}

const stops: (() => Promise<void>)[] = [];
if (role !== 'worker') {
  const server = await startServer(services);
  log.info(`GraphiQL on http://localhost:${config.PORT}/graphql`);
  stops.push(() => server.close());
}
if (role === 'worker' || config.WORKERS === 'on') {
  const workers = await startWorkers(services);
  log.info({ concurrency: config.WORKER_CONCURRENCY, provider: config.PROVIDER_MODE }, 'workers started');
  stops.push(() => workers.close());
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing current jobs');
    for (const stop of stops) await stop().catch((err) => log.error({ err }, 'shutdown step failed'));
    await services.close();
    process.exit(0);
  });
}
