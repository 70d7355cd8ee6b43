// Issue 19: Redis coming back empty (a restart without persistence, a flush, a failover) must not
// stop schedules silently. Every key of this file's prefix is deleted under a running worker; the
// periodic reconciler recreates the job schedulers and firings resume, with no worker restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import { CreateSchedule } from '../support/documents.js';
import { deleteRedisPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let workers: Workers;

beforeAll(async () => {
  world = await createWorld({ SCHEDULE_MIN_INTERVAL_S: 1, RECONCILE_INTERVAL_MS: 300 });
  workers = await startWorkers(world.services);
});
afterAll(async () => {
  await workers?.close();
  await world?.close();
});

const firings = async (id: string) =>
  (await world.services.prisma.schedule.findUniqueOrThrow({ where: { id } })).firings;

/** What a Redis restarted without persistence looks like to us: none of our keys. Returns the keys deleted. */
const emptyRedis = (): Promise<string[]> => deleteRedisPrefix(world.config, world.config.REDIS_PREFIX);

describe('job schedulers lost by Redis', () => {
  it('are recreated by the periodic reconciler, and firings resume without a worker restart', async () => {
    const res = await world.gql(CreateSchedule, {
      input: { tenantId: ids.tenant('Alpine'), type: 'TENANT_VERIFICATION', cron: '* * * * * *' },
    });
    const id = res.data!.schedule.id;
    await waitFor(async () => (await firings(id)) >= 2, { timeoutMs: 15_000, what: 'two firings before the loss' });

    const deleted = await emptyRedis();
    // Positive control: the loss took the job scheduler with it.
    expect(deleted.some((key) => key.includes(':schedules:repeat'))).toBe(true);
    const atLoss = await firings(id);

    await waitFor(async () => (await world.services.scheduleTriggers.ids()).includes(id), {
      timeoutMs: 15_000,
      what: 'the job scheduler to be recreated',
    });
    await waitFor(async () => (await firings(id)) >= atLoss + 2, {
      timeoutMs: 20_000,
      what: 'two firings after the loss',
    });
    expect(await world.services.scheduleTriggers.ids()).toEqual([id]);
  }, 60_000);
});
