// One way to end a run family (docs/behaviour.md#run-states-and-outcomes): whatever ends a bootstrap
// (a failed step, a cancel while QUEUED, an abandoned job, a failed dispatch), its steps that had not
// ended are cancelled in the same transaction as the bootstrap's own end (the rows share the
// transaction id PostgreSQL stamps them with, xmin), with the reason that fits, and their events are
// published before the bootstrap's, so the parent's end is its family's last event.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runs/events.js';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import { CancelRun, StartBootstrap } from '../support/documents.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let workers: Workers | null = null;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => world?.close());
beforeEach(async () => world.reset());
afterEach(async () => {
  await workers?.close();
  workers = null;
});

const ELM = ids.tenant('Elm');
const MANAGER = 'manager@contoso.test';

async function startBootstrap(): Promise<string> {
  const res = await world.gql(StartBootstrap, { tenantId: ELM }, MANAGER);
  if (res.data?.result.__typename !== 'StartAccepted') throw new Error(JSON.stringify(res));
  return res.data.result.run.id;
}

/** The family's rows in step order (the parent first), with the id of the transaction that last wrote each. */
async function family(parentId: string) {
  return world.services.prisma.$queryRaw<
    {
      id: string;
      step: number | null;
      status: string;
      reasonCode: string | null;
      reasonMessage: string | null;
      xmin: string;
    }[]
  >`SELECT id::text, step, status::text, "reasonCode", "reasonMessage", xmin::text FROM "OperationRun"
    WHERE id = ${parentId}::uuid OR "parentId" = ${parentId}::uuid ORDER BY step NULLS FIRST`;
}

/** Run events of the family, in publication order, while `during` runs. */
async function eventsDuring(parentId: string, during: () => Promise<void>): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  const iterator = world.services.bus.runEvents([ids.workspace('Contoso MSP')])[Symbol.asyncIterator]();
  const reading = (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      if (next.value.run.id === parentId || next.value.run.parentId === parentId) seen.push(next.value);
    }
  })();
  // Live before anything is published: a probe (the parent as it is now, not ended) has come through.
  const probe = await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: parentId } });
  await waitFor(
    async () => {
      await world.services.bus.runUpdated({ workspaceId: ids.workspace('Contoso MSP'), run: probe });
      return seen.length > 0;
    },
    { what: 'the run event stream to be live' },
  );
  await during();
  await waitFor(async () => seen.some((e) => e.run.id === parentId && e.run.finishedAt !== null), {
    timeoutMs: 10_000,
    what: 'the bootstrap end event',
  });
  await iterator.return?.();
  await reading;
  return seen;
}

function expectOneTransactionAndOrder(rows: Awaited<ReturnType<typeof family>>, events: RunEvent[], ended: string[]) {
  const [parent] = rows;
  for (const id of ended)
    expect(rows.find((r) => r.id === id)!.xmin, `${id} ended with its bootstrap`).toBe(parent.xmin);
  const endEvents = events.filter((e) => e.run.finishedAt !== null && [...ended, parent.id].includes(e.run.id));
  expect(endEvents.map((e) => e.run.id)).toEqual([...ended, parent.id]);
}

describe('ending a bootstrap ends its pending steps with it', () => {
  it('a cancel while QUEUED: every step CANCELLED_BY_USER, in the same transaction, before the bootstrap', async () => {
    const parentId = await startBootstrap();
    const steps = (await family(parentId)).slice(1).map((r) => r.id);
    const events = await eventsDuring(parentId, async () => {
      const answer = await world.gql(CancelRun, { runId: parentId }, MANAGER);
      expect(answer.data?.result.__typename).toBe('RunCancelled');
    });
    const rows = await family(parentId);
    expect(rows.map((r) => [r.step, r.status, r.reasonCode])).toEqual([
      [null, 'CANCELLED', 'CANCELLED_BY_USER'],
      [1, 'CANCELLED', 'CANCELLED_BY_USER'],
      [2, 'CANCELLED', 'CANCELLED_BY_USER'],
      [3, 'CANCELLED', 'CANCELLED_BY_USER'],
    ]);
    expectOneTransactionAndOrder(rows, events, steps);
  });

  it('a failed step: the later steps name it, in the same transaction as the bootstrap FAILED', async () => {
    await world.services.prisma.providerConnection.update({
      where: { id: ids.connection('Elm', 'Elm Graph') },
      data: { simulation: { authFailure: true } },
    });
    const parentId = await startBootstrap();
    const later = (await family(parentId)).slice(2).map((r) => r.id);
    const events = await eventsDuring(parentId, async () => {
      workers = await startWorkers(world.services);
    });
    const rows = await family(parentId);
    expect(rows.map((r) => [r.step, r.status, r.reasonCode])).toEqual([
      [null, 'FAILED', 'BOOTSTRAP_STEP_FAILED'],
      [1, 'FAILED', 'PROVIDER_AUTH_FAILED'],
      [2, 'CANCELLED', 'CANCELLED_AFTER_FAILED_STEP'],
      [3, 'CANCELLED', 'CANCELLED_AFTER_FAILED_STEP'],
    ]);
    expect(rows[2].reasonMessage).toBe('not run because the Tenant verification step failed');
    expectOneTransactionAndOrder(rows, events, later);
  });

  it('an abandoned job (reconciler, lost worker) and a failed dispatch: the steps carry the same reason', async () => {
    const lost = await startBootstrap();
    // Its worker died holding it: RUNNING, and its job gone.
    await world.services.lifecycle.markRunning(lost);
    await world.services.dispatcher.remove(lost);
    workers = await startWorkers(world.services);
    const lostSteps = (await family(lost)).slice(1).map((r) => r.id);
    const events = await eventsDuring(lost, () => workers!.executor.abandon(lost, 'WORKER_LOST'));
    const rows = await family(lost);
    expect(rows.map((r) => [r.status, r.reasonCode])).toEqual([
      ['FAILED', 'WORKER_LOST'],
      ['CANCELLED', 'WORKER_LOST'],
      ['CANCELLED', 'WORKER_LOST'],
      ['CANCELLED', 'WORKER_LOST'],
    ]);
    expectOneTransactionAndOrder(rows, events, lostSteps);

    // A failed dispatch means no worker ever took the run: the workers above must not take this one.
    await workers!.close();
    workers = null;
    const undispatched = await startBootstrap();
    await world.services.lifecycle.failDispatch(undispatched);
    const again = await family(undispatched);
    expect(again.map((r) => [r.status, r.reasonCode])).toEqual([
      ['FAILED', 'DISPATCH_FAILED'],
      ['CANCELLED', 'DISPATCH_FAILED'],
      ['CANCELLED', 'DISPATCH_FAILED'],
      ['CANCELLED', 'DISPATCH_FAILED'],
    ]);
    expect(new Set(again.map((r) => r.xmin)).size).toBe(1);
  });
});
