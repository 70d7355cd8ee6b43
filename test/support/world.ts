// A test file's world: its own database (cloned from the migrated template, demo-seeded), its
// own Redis key prefix, and the services of one process wired to them. Close it in afterAll:
// it drops only what it created.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { seedDemo, stableId } from '../../src/seed/demo.js';
import { createServices, type ServiceOptions, type Services } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createYogaApp } from '../../src/server.js';
import { createTestDatabase, uniqueName } from './databases.js';
import { deleteRedisPrefix } from './redis.js';
import { inject } from 'vitest';

export type World = {
  config: Config;
  services: Services;
  databaseUrl: string;
  ids: typeof ids;
  /** Another process's services on the same database and Redis (separate clients). */
  spawnServices(options?: ServiceOptions): Services;
  token(email: string): Promise<string>;
  gql<R, V>(doc: TypedDocumentNode<R, V>, variables?: V, as?: string | null): Promise<ExecutionResult<R>>;
  /** Back to the seeded state: no runs, no notifications, no jobs, demo fixtures as seeded. */
  reset(): Promise<void>;
  close(): Promise<void>;
};

export const ids = {
  tenant: (name: string) => stableId(`tenant:${name === 'Zephyr' ? 'Other MSP' : 'Contoso MSP'}:${name}`),
  connection: (tenant: string, name: string) => stableId(`connection:${tenant}:${name}`),
  user: (email: string) => stableId(`user:${email}`),
  workspace: (name: string) => stableId(`workspace:${name}`),
  restoreRun: (tenant: string) => stableId(`restore:${tenant}:baseline`),
  schedule: (tenant: string) => stableId(`schedule:${tenant}:nightly-group-sync`),
};

export async function createWorld(overrides: Partial<Config> = {}, options: ServiceOptions = {}): Promise<World> {
  const db = await createTestDatabase();
  // The cluster lane (vitest project `cluster`) runs the same suites on a private Redis Cluster.
  const cluster = inject('redisClusterNodes');
  const config = loadConfig(
    { ...process.env, NODE_ENV: 'test' },
    // Race tests send hundreds of starts as one user: the rate limits have their own tests.
    {
      DATABASE_URL: db.url,
      REDIS_PREFIX: uniqueName('atlas-test'),
      ...(cluster ? { REDIS_CLUSTER_NODES: cluster } : {}),
      LOG_LEVEL: 'silent',
      SIM_LATENCY_MS: 0,
      RATE_LIMIT_STARTS: 100_000,
      RATE_LIMIT_SCHEDULE_CHANGES: 100_000,
      ...overrides,
    },
  );
  const log = createLogger(config.LOG_LEVEL);
  const spawned: Services[] = [];
  const spawnServices = (opts: ServiceOptions = {}) => {
    const s = createServices(config, { log, ...opts });
    spawned.push(s);
    return s;
  };
  const services = spawnServices(options);
  await seedDemo(services.prisma);
  await quietSeededSchedules(services);
  const yoga = createYogaApp(services);
  const tokens = new Map<string, string>();

  const token = async (email: string) => {
    if (!tokens.has(email)) tokens.set(email, await services.tokens.sign(ids.user(email)));
    return tokens.get(email)!;
  };

  return {
    config,
    services,
    databaseUrl: db.url,
    ids,
    spawnServices,
    token,
    async gql(doc, variables, as = 'owner@contoso.test') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (as) headers.authorization = `Bearer ${await token(as)}`;
      const res = await yoga.fetch('http://atlas.test/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: print(doc), variables }),
      });
      return (await res.json()) as ExecutionResult<never>;
    },
    async reset() {
      await services.prisma.notification.deleteMany();
      await services.prisma.operationRun.deleteMany();
      await services.dispatcher.obliterate();
      await services.scheduleTriggers.queue.obliterate({ force: true });
      await services.prisma.schedule.deleteMany({ where: { id: { not: ids.schedule('Alpine') } } });
      await seedDemo(services.prisma);
      await quietSeededSchedules(services);
    },
    async close() {
      for (const s of spawned) await s.close().catch(() => undefined);
      await deleteRedisPrefix(config, config.REDIS_PREFIX);
      await db.drop();
    },
  };
}

/**
 * The demo seed's nightly schedule stays disabled in test worlds: a test that happens to run at
 * 02:00 UTC must not get a group sync on Alpine it did not ask for. Schedule tests enable theirs.
 */
async function quietSeededSchedules(services: Services): Promise<void> {
  await services.prisma.schedule.updateMany({ where: { id: ids.schedule('Alpine') }, data: { enabled: false } });
}
