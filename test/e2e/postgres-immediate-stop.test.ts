// PostgreSQL killed (`pg_ctl stop -m immediate`) under real API and worker processes while their
// transactions are certainly in flight: the test holds row locks, so the worker's run
// transitions and the API's admissions sit on checked-out pool clients, waiting, when the
// backends die. Before the fix such a client emitted 'error' with no listener (pg-pool removes
// its idle listener while a client is out): an uncaught "Connection terminated unexpectedly"
// killed the process, and its runs stayed QUEUED/RUNNING, holding their tenants. Now the
// operation in flight rejects as "database unavailable": the worker waits it out, the API
// answers SERVICE_UNAVAILABLE, and every run ends with its real outcome once PostgreSQL is back.
import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { RUN, TENANT } from '../../src/db/identifiers.js';
import { ensureDatabase, migrate } from '../../src/db/migrate.js';
import { seedDemo } from '../../src/seed/demo.js';
import { httpGql, type GqlResponse } from '../support/clients.js';
import { sample, scrape } from '../support/metrics.js';
import { uniqueName } from '../support/databases.js';
import { StartDirectorySync } from '../support/documents.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-services.js';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { deleteRedisPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { ids } from '../support/world.js';

const DATABASE = 'atlas_gate';
/** Runs whose QUEUED -> RUNNING transition is held, and admissions held on their tenant's lock. */
const RUNNING = 6;
const ADMITTING = 4;
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

let cluster: PrivatePostgres;
let services: Services;
let api: AtlasProcess | undefined;
let worker: AtlasProcess | undefined;
let token: string;
const tenants: string[] = [];

beforeAll(async () => {
  cluster = await startPrivatePostgres();
  const url = cluster.url(DATABASE);
  await ensureDatabase(url);
  await migrate(url);
  const config = loadConfig(
    { ...process.env, NODE_ENV: 'test' },
    {
      DATABASE_URL: url,
      REDIS_PREFIX: uniqueName('atlas-test'),
      SIM_LATENCY_MS: 100,
      RATE_LIMIT_STARTS: 100_000,
      RATE_LIMIT_SCHEDULE_CHANGES: 100_000,
      METRICS_TOKEN,
    },
  );
  services = createServices(config, { log: pino({ level: 'silent' }) });
  await seedDemo(services.prisma);
  // One tenant per held transaction (with a valid default connection), so none waits on another's scope.
  const workspaceId = ids.workspace('Contoso MSP');
  for (let i = 0; i < RUNNING + ADMITTING; i++) {
    const tenant = await services.prisma.tenant.create({
      data: {
        workspaceId,
        name: `Outage ${i}`,
        status: 'ACTIVE',
        externalTenantId: randomUUID(),
        providerConnections: {
          create: {
            displayName: `Outage ${i} Graph`,
            provider: 'SIMULATED',
            credentialState: 'VALID',
            isDefault: true,
            clientId: randomUUID(),
          },
        },
      },
    });
    tenants.push(tenant.id);
  }
  token = await services.tokens.sign(ids.user('owner@contoso.test'));
  api = await spawnAtlas('api', config, { METRICS_TOKEN });
}, 120_000);

afterAll(async () => {
  await cluster?.start().catch(() => undefined);
  await worker?.stop();
  await api?.stop();
  await services?.close();
  if (services) await deleteRedisPrefix(services.config.REDIS_URL, services.config.REDIS_PREFIX);
  await cluster?.close();
});

const startSync = (tenantId: string) => httpGql(api!.url, token, print(StartDirectorySync), { tenantId });
const acceptedRunId = (res: GqlResponse): string => {
  expect(res.errors).toBeUndefined();
  expect([res.data.result.__typename, res.data.result.reason]).toEqual(['StartAccepted', undefined]);
  return res.data.result.run.id;
};

/** The processes are alive and none logged a fatal line (level 60: the process guard's last words). */
function expectAlive(...processes: AtlasProcess[]): void {
  for (const p of processes) {
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(`process ${p.child.pid} died (${p.child.exitCode ?? p.child.signalCode}):\n${p.output.join('')}`);
    expect(p.output.join('')).not.toMatch(/"level":60/);
  }
}

describe('PostgreSQL stopped in immediate mode with transactions in flight', () => {
  it('kills no process; admissions answer SERVICE_UNAVAILABLE and every run ends with its real outcome', async () => {
    // Admitted while no worker runs: their jobs wait in the queue.
    const runIds: string[] = [];
    for (const tenantId of tenants.slice(0, RUNNING)) runIds.push(acceptedRunId(await startSync(tenantId)));

    // Locks the worker's transitions (SELECT ... FOR UPDATE of the run) and the API's admissions
    // (the tenant row, FOR NO KEY UPDATE) will queue behind.
    const holder = new pg.Client({ connectionString: cluster.url(DATABASE) });
    holder.on('error', () => undefined); // it dies with the server, by design
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM ${RUN.t} WHERE ${RUN.c('id')} = ANY($1::uuid[]) FOR UPDATE`, [runIds]);
    const admitting = tenants.slice(RUNNING);
    await holder.query(`SELECT 1 FROM ${TENANT.t} WHERE ${TENANT.c('id')} = ANY($1::uuid[]) FOR UPDATE`, [admitting]);

    worker = await spawnAtlas('worker', services.config);
    const admissions = admitting.map((tenantId) => startSync(tenantId));
    const waiting = () =>
      services.prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${DATABASE} AND wait_event_type = 'Lock'`;
    await waitFor(async () => (await waiting())[0].n === RUNNING + ADMITTING, {
      timeoutMs: 30_000,
      what: `${RUNNING} run transitions and ${ADMITTING} admissions waiting on their locks`,
    });

    await cluster.stop('immediate');
    // Each admission in flight lost its connection: a retryable answer, not a dead API or a 500.
    for (const res of await Promise.all(admissions)) {
      expect(res.errors?.map((e) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
    }
    await waitFor(() => worker!.output.join('').includes('database unreachable; retrying the run write'), {
      timeoutMs: 15_000,
      what: 'the worker to wait out the outage',
    });
    expectAlive(api!, worker);
    // Counted as the answer they got (the AtlasStartsUnavailable alert), not as internal errors.
    const metrics = await scrape(api!.url, METRICS_TOKEN);
    const decisions = (status: string) =>
      sample(metrics, 'atlas_gate_decisions_total', { operation: 'DIRECTORY_GROUPS_SYNC', status, reason: '' });
    expect([decisions('SERVICE_UNAVAILABLE'), decisions('INTERNAL_ERROR')]).toEqual([ADMITTING, undefined]);
    await cluster.start();

    const ended = await waitFor(
      async () => {
        expectAlive(api!, worker!);
        const rows = await services.prisma.operationRun.findMany({ where: { id: { in: runIds } } });
        return rows.every((r) => !['QUEUED', 'RUNNING'].includes(r.status)) ? rows : null;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'every held run to end once PostgreSQL is back' },
    );
    expect(ended.map((r) => [r.status, r.reasonCode])).toEqual(runIds.map(() => ['SUCCEEDED', null]));

    // The refused admissions left nothing behind: their tenants admit the next start at once, and it runs.
    const retried = await Promise.all(admitting.map(async (tenantId) => acceptedRunId(await startSync(tenantId))));
    const after = await waitFor(
      async () => {
        expectAlive(api!, worker!);
        const rows = await services.prisma.operationRun.findMany({ where: { id: { in: retried } } });
        return rows.every((r) => r.status === 'SUCCEEDED') ? rows : null;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the starts after the outage to succeed' },
    );
    expect(after).toHaveLength(ADMITTING);
    expect(await services.prisma.operationRun.count({ where: { reasonCode: 'INTERNAL_ERROR' } })).toBe(0);
    expectAlive(api!, worker);
  });
});
