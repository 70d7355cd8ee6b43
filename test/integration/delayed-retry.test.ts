// Transient provider errors are retried by BullMQ, not by a sleep inside the job
// (docs/behaviour.md#run-states-and-outcomes): the job waits in the queue's delayed set, its run stays
// RUNNING with the attempt counted, and the worker's only slot serves other runs meanwhile. A
// bootstrap whose step is throttled waits the same way; the step counts its attempts, the bootstrap
// stays in its first.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import { StartBootstrap, StartDirectorySync, StartOperation } from '../support/documents.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let workers: Workers | null = null;
beforeAll(async () => {
  // One slot, and a backoff long enough to watch the job wait (1.5 s, then 3 s).
  world = await createWorld({ WORKER_CONCURRENCY: 1, RETRY_BASE_MS: 1_500 });
});
afterAll(async () => world?.close());
afterEach(async () => {
  await workers?.close();
  workers = null;
  await world.reset();
});

const prisma = () => world.services.prisma;
const run = (id: string) => prisma().operationRun.findUniqueOrThrow({ where: { id } });
const throttle = (tenant: string, connection: string, times: number) =>
  prisma().providerConnection.update({
    where: { id: ids.connection(tenant, connection) },
    data: { simulation: { throttle: times, latencyMs: 0 } },
  });

async function accepted(res: Awaited<ReturnType<World['gql']>>): Promise<string> {
  const result = (res.data as { result?: { __typename: string; run?: { id: string } } } | undefined)?.result;
  if (result?.__typename !== 'StartAccepted' || !result.run) throw new Error(JSON.stringify(res));
  return result.run.id;
}

describe('a transient provider error', () => {
  it('puts the job in the delayed set; the run stays RUNNING with its attempt counted, the slot serves another run', async () => {
    await throttle('Alpine', 'Alpine Graph', 1);
    workers = await startWorkers(world.services);
    const throttled = await accepted(await world.gql(StartDirectorySync, { tenantId: ids.tenant('Alpine') }));
    const job = await waitFor(
      async () => {
        const found = await world.services.dispatcher.getJob(throttled);
        return found && (await found.isDelayed()) ? found : null;
      },
      { what: 'the throttled job to wait in the delayed set' },
    );
    expect(job.data.retrying).toBe(throttled);
    expect(await run(throttled)).toMatchObject({ status: 'RUNNING', attempts: 1 });

    // The only slot is free: a run started now ends while the throttled one still waits.
    const other = await accepted(
      await world.gql(StartOperation, {
        type: 'PROVIDER_CONNECTION_CHECK',
        targetId: ids.connection('Elm', 'Elm Graph'),
      }),
    );
    await waitFor(async () => (await run(other)).status === 'SUCCEEDED', { what: 'the other run to succeed' });
    expect((await run(throttled)).status).toBe('RUNNING');

    const done = await waitFor(async () => {
      const r = await run(throttled);
      return r.status === 'SUCCEEDED' ? r : null;
    });
    expect(done.attempts).toBe(2);
  });

  it("a bootstrap's throttled step: the step counts its attempts, the bootstrap stays in its first", async () => {
    await throttle('Elm', 'Elm Graph', 1);
    workers = await startWorkers(world.services);
    const parentId = await accepted(
      await world.gql(StartBootstrap, { tenantId: ids.tenant('Elm') }, 'manager@contoso.test'),
    );
    await waitFor(async () => (await world.services.dispatcher.getJob(parentId))?.isDelayed(), {
      what: 'the bootstrap job to wait for its step',
    });
    const parent = await waitFor(async () => {
      const r = await run(parentId);
      return r.status === 'SUCCEEDED' ? r : null;
    });
    expect(parent.attempts).toBe(1);
    const steps = await prisma().operationRun.findMany({ where: { parentId }, orderBy: { step: 'asc' } });
    // The simulator throttles each run's first attempt: every step waited once, in its own attempt 2.
    expect(steps.map((s) => [s.status, s.attempts])).toEqual([
      ['SUCCEEDED', 2],
      ['SUCCEEDED', 2],
      ['SUCCEEDED', 2],
    ]);
  });
});
