// PostgreSQL stopped under a worker mid-run, then started again. Before the fix the run's writes
// failed, its job failed, and the reconciler later reported WORKER_LOST ("the worker stopped")
// while the tenant answered ALREADY_RUNNING for about 17 s after PostgreSQL was back. Now the
// worker keeps the job, waits for the database, and the run ends with what really happened.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/seed/demo.js';
import { createServices, type Services } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ensureDatabase, migrate } from '../../src/db/migrate.js';
import { SYSTEM } from '../../src/gate/start-gate.js';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import { uniqueName } from '../support/databases.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-services.js';
import { deleteRedisPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { ids } from '../support/world.js';

let pg: PrivatePostgres;
let services: Services;
let workers: Workers;
const logLines: string[] = [];
const ALPINE = ids.tenant('Alpine');

beforeAll(async () => {
  pg = await startPrivatePostgres();
  const url = pg.url('atlas_gate');
  await ensureDatabase(url);
  await migrate(url);
  const config = loadConfig(
    { ...process.env, NODE_ENV: 'test' },
    { DATABASE_URL: url, REDIS_PREFIX: uniqueName('atlas-test'), SIM_LATENCY_MS: 1500 },
  );
  const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  services = createServices(config, { log });
  await seedDemo(services.prisma);
  workers = await startWorkers(services);
}, 90_000);

afterAll(async () => {
  await pg?.start().catch(() => undefined);
  await workers?.close();
  await services?.close();
  if (services) await deleteRedisPrefix(services.config.REDIS_URL, services.config.REDIS_PREFIX);
  await pg?.close();
});

const run = (id: string) => services.prisma.operationRun.findUniqueOrThrow({ where: { id } });

describe('a PostgreSQL outage under a running worker', () => {
  it('the run waits for the database and then ends with its real outcome, freeing the tenant at once', async () => {
    const started = await services.gate.start(SYSTEM, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ALPINE });
    expect(started.status).toBe('QUEUED');
    if (started.status !== 'QUEUED') return;
    await waitFor(async () => (await run(started.run.id)).status === 'RUNNING', { what: 'the sync to start' });

    await pg.stop();
    // The provider call ends and the handler's write finds no database: the worker says so and waits.
    await waitFor(() => logLines.some((l) => l.includes('database unreachable')), {
      timeoutMs: 15_000,
      what: 'the worker to notice the outage',
    });
    await pg.start();

    const ended = await waitFor(
      async () => {
        const r = await run(started.run.id).catch(() => null);
        return r && !['QUEUED', 'RUNNING'].includes(r.status) ? r : null;
      },
      { timeoutMs: 20_000, what: 'the run to end once PostgreSQL is back' },
    );
    expect([ended.status, ended.reasonCode]).toEqual(['SUCCEEDED', null]);
    expect(ended.attempts).toBe(2); // the interrupted attempt, then the one after the outage
    expect(ended.total).toBeGreaterThan(0);
    expect(await services.prisma.directoryGroup.count({ where: { tenantId: ALPINE } })).toBe(ended.total);

    // Nothing holds the tenant any more: the next start is admitted, not ALREADY_RUNNING.
    const next = await services.gate.start(SYSTEM, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ALPINE });
    expect(next.status).toBe('QUEUED');
    await waitFor(async () => next.status === 'QUEUED' && (await run(next.run.id)).status === 'SUCCEEDED', {
      what: 'the next sync',
    });
  });
});
