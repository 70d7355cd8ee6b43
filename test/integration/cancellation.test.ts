// Run control (docs/behaviour.md#cancelling-a-run) on the real Postgres, Redis and BullMQ: the decision order and
// role matrix, QUEUED and RUNNING runs, restores, bootstraps, retries, lost workers, notifications,
// and the races (cancel vs the worker's QUEUED -> RUNNING, vs natural completion, vs another cancel,
// vs the reconciler's re-dispatch), each with real concurrency and exact outcomes.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import { SYSTEM } from '../../src/gate/start-gate.js';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import { Reconciler } from '../../src/jobs/reconciler.js';
import { countingProvider } from '../support/counting-provider.js';
import { CancelRun, StartBootstrap, StartDirectorySync, StartRestore } from '../support/documents.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let workers: Workers | null = null;
let provider: ReturnType<typeof countingProvider>;

const ALPINE = ids.tenant('Alpine');
const ALPINE_CONNECTION = ids.connection('Alpine', 'Alpine Graph');
const ALPINE_RESTORE = ids.restoreRun('Alpine');
const ELM = ids.tenant('Elm');
const CONTOSO = ids.workspace('Contoso MSP');

beforeAll(async () => {
  world = await createWorld({ SIM_LATENCY_MS: 0, RETRY_BASE_MS: 30_000, RECONCILE_INTERVAL_MS: 600_000 });
});
afterAll(async () => {
  await workers?.close();
  await world?.close();
});
beforeEach(async () => {
  await world.reset();
  await world.services.prisma.providerConnection.updateMany({ data: { simulation: Prisma.DbNull } });
  await world.services.prisma.directoryGroup.deleteMany();
  provider = countingProvider();
});
afterEach(async () => {
  await workers?.close();
  workers = null;
});

const prisma = () => world.services.prisma;
const run = (id: string) => prisma().operationRun.findUniqueOrThrow({ where: { id } });
const slowAlpine = (latencyMs: number) =>
  prisma().providerConnection.update({ where: { id: ALPINE_CONNECTION }, data: { simulation: { latencyMs } } });
const runWorkers = async () => (workers = await startWorkers(world.services, { provider }));

async function startSync(as = 'operator@contoso.test'): Promise<string> {
  const res = await world.gql(StartDirectorySync, { tenantId: ALPINE }, as);
  if (res.data?.result.__typename !== 'StartAccepted') throw new Error(JSON.stringify(res));
  return res.data.result.run.id;
}

async function cancel(runId: string, as: string) {
  const res = await world.gql(CancelRun, { runId }, as);
  if (res.errors) return { error: res.errors[0].extensions?.code as string };
  return { result: res.data!.result };
}

const viewer = (email: string, role: 'OWNER' | 'MANAGER' | 'OPERATOR') => ({
  userId: ids.user(email),
  roles: new Map([[CONTOSO, role]]),
});

describe('who may cancel (decision order: NOT_FOUND, FORBIDDEN, then the state)', () => {
  it('answers by role and initiator, before looking at the state', async () => {
    const operatorRun = await startSync('operator@contoso.test'); // QUEUED: no worker runs
    expect(await cancel(operatorRun, 'outsider@other.test')).toEqual({ error: 'NOT_FOUND' });
    expect(await cancel('not-a-uuid', 'owner@contoso.test')).toEqual({ error: 'NOT_FOUND' });
    expect(await cancel('00000000-0000-4000-8000-000000000000', 'owner@contoso.test')).toEqual({ error: 'NOT_FOUND' });
    expect((await world.gql(CancelRun, { runId: operatorRun }, null)).errors?.[0].extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(await cancel(operatorRun, 'reader@contoso.test')).toEqual({ error: 'FORBIDDEN' });
    expect((await run(operatorRun)).status).toBe('QUEUED');

    // An operator may cancel their own run, not a manager's; owners and managers any, system runs too.
    const systemRun = await world.services.gate.start(SYSTEM, { type: 'TENANT_VERIFICATION', tenantId: ALPINE });
    if (systemRun.status !== 'QUEUED') throw new Error(systemRun.status);
    expect(await cancel(systemRun.run.id, 'operator@contoso.test')).toEqual({ error: 'FORBIDDEN' });
    expect((await cancel(systemRun.run.id, 'manager@contoso.test')).result?.__typename).toBe('RunCancelled');
    expect((await cancel(operatorRun, 'operator@contoso.test')).result?.__typename).toBe('RunCancelled');

    // On a finished run a reader still gets FORBIDDEN, not RunAlreadyFinished.
    expect(await cancel(operatorRun, 'reader@contoso.test')).toEqual({ error: 'FORBIDDEN' });
    const finished = await cancel(operatorRun, 'owner@contoso.test');
    expect(finished.result).toMatchObject({ __typename: 'RunAlreadyFinished', message: 'Group sync already finished' });
  });

  it('a BLOCKED run is already finished: nothing changes', async () => {
    const res = await world.gql(StartDirectorySync, { tenantId: ids.tenant('Cedar') }, 'owner@contoso.test');
    if (res.data?.result.__typename !== 'StartBlocked') throw new Error('expected BLOCKED');
    const answer = await cancel(res.data.result.run.id, 'owner@contoso.test');
    expect(answer.result).toMatchObject({
      __typename: 'RunAlreadyFinished',
      run: { status: 'BLOCKED', cancelRequestedAt: null },
    });
  });
});

describe('a QUEUED run', () => {
  it('is CANCELLED at once, never started, its job withdrawn; the initiator alone is notified, naming the canceller', async () => {
    const runId = await startSync('operator@contoso.test');
    const answer = await cancel(runId, 'manager@contoso.test');
    expect(answer.result).toMatchObject({
      __typename: 'RunCancelled',
      message: 'Group sync cancelled',
      run: {
        id: runId,
        status: 'CANCELLED',
        startedAt: null,
        cancelledBy: { email: 'manager@contoso.test' },
        reason: { code: 'CANCELLED_BY_USER', message: 'cancelled by Mateo Manager' },
      },
    });
    const row = await run(runId);
    expect(row.cancelRequestedAt).not.toBeNull();
    expect(row.finishedAt).not.toBeNull();
    expect(await world.services.dispatcher.getJob(runId)).toBeUndefined();

    const notes = await prisma().notification.findMany();
    expect(notes.map((n) => [n.userId, n.title])).toEqual([
      [ids.user('operator@contoso.test'), 'Group sync on Alpine was cancelled by Mateo Manager'],
    ]);

    // A worker started afterwards finds nothing to do and never calls the provider.
    await runWorkers();
    const control = await startSync('owner@contoso.test');
    await waitFor(async () => (await run(control)).status === 'SUCCEEDED', {
      what: 'a control run on the same worker',
    });
    expect(provider.calls.map((c) => c.method)).toEqual(['listGroups']);
    expect((await run(runId)).status).toBe('CANCELLED');
  });

  it('a queued restore goes back to READY and can be started again', async () => {
    const res = await world.gql(StartRestore, { restoreRunId: ALPINE_RESTORE }, 'owner@contoso.test');
    if (res.data?.result.__typename !== 'StartAccepted') throw new Error('expected accepted');
    expect((await cancel(res.data.result.run.id, 'owner@contoso.test')).result?.__typename).toBe('RunCancelled');
    expect((await prisma().restoreRun.findUniqueOrThrow({ where: { id: ALPINE_RESTORE } })).status).toBe('READY');
    expect(
      (await world.gql(StartRestore, { restoreRunId: ALPINE_RESTORE }, 'owner@contoso.test')).data?.result.__typename,
    ).toBe('StartAccepted');
  });
});

describe('a RUNNING run', () => {
  it('keeps its status and scope until the worker stops, then ends CANCELLED; no provider call after the cancel', async () => {
    await slowAlpine(20_000);
    await runWorkers();
    const runId = await startSync('operator@contoso.test');
    await waitFor(async () => (await run(runId)).status === 'RUNNING' && provider.calls.length === 1, {
      what: 'the provider call to start',
    });

    const first = await cancel(runId, 'owner@contoso.test');
    const cancelledAt = Date.now();
    // Still RUNNING in the answer; a repeated cancel answers CancelRequested again and keeps the first requester.
    expect(first.result).toMatchObject({
      __typename: 'CancelRequested',
      message: 'Group sync cancellation requested',
      run: { status: 'RUNNING', cancelledBy: { email: 'owner@contoso.test' } },
    });
    const second = await cancel(runId, 'manager@contoso.test');
    if (second.result?.__typename === 'CancelRequested')
      expect(second.result.run.cancelledBy?.email).toBe('owner@contoso.test');
    else expect(second.result?.__typename).toBe('RunAlreadyFinished');

    const ended = await waitFor(async () => ((await run(runId)).status === 'CANCELLED' ? run(runId) : null), {
      what: 'the run to end CANCELLED',
    });
    expect(ended.cancelledById).toBe(ids.user('owner@contoso.test'));
    expect([ended.reasonCode, ended.reasonMessage]).toEqual(['CANCELLED_BY_USER', 'cancelled by Olivia Owner']);
    expect(provider.calls).toEqual([expect.objectContaining({ method: 'listGroups', outcome: 'aborted' })]);
    expect(provider.calls.every((c) => c.startedAt < cancelledAt)).toBe(true);
    expect(await prisma().directoryGroup.count({ where: { tenantId: ALPINE } })).toBe(0);
    const notes = await prisma().notification.findMany();
    expect(notes.map((n) => [n.userId, n.title])).toEqual([
      [ids.user('operator@contoso.test'), 'Group sync on Alpine was cancelled by Olivia Owner'],
    ]);
  });

  it('a restore stops between items with the count it applied; the restore run is PARTIALLY_COMPLETED', async () => {
    await slowAlpine(2_000); // 500 ms per restore item
    await runWorkers();
    const res = await world.gql(StartRestore, { restoreRunId: ALPINE_RESTORE }, 'owner@contoso.test');
    if (res.data?.result.__typename !== 'StartAccepted') throw new Error('expected accepted');
    const runId = res.data.result.run.id;
    await waitFor(async () => (await run(runId)).succeeded >= 2, { what: 'two items applied' });
    expect((await cancel(runId, 'owner@contoso.test')).result?.__typename).toBe('CancelRequested');
    const ended = await waitFor(async () => ((await run(runId)).status === 'CANCELLED' ? run(runId) : null), {
      what: 'the restore to stop',
    });
    expect(ended.succeeded).toBeGreaterThanOrEqual(2);
    expect(ended.succeeded).toBeLessThan(6);
    expect(provider.calls.filter((c) => c.method === 'applyRestoreItem')).toHaveLength(ended.succeeded + 1); // the one in flight was aborted
    expect((await prisma().restoreRun.findUniqueOrThrow({ where: { id: ALPINE_RESTORE } })).status).toBe(
      'PARTIALLY_COMPLETED',
    );
  });

  it('a run waiting out a retry backoff is cancelled at once, not after the wait', async () => {
    await prisma().providerConnection.update({
      where: { id: ALPINE_CONNECTION },
      data: { simulation: { throttle: 3, latencyMs: 0 } },
    });
    await runWorkers();
    const runId = await startSync('owner@contoso.test');
    await waitFor(async () => provider.calls.length === 1 && provider.calls[0].outcome === 'error', {
      what: 'the first, throttled attempt',
    });
    expect((await cancel(runId, 'owner@contoso.test')).result?.__typename).toBe('CancelRequested');
    await waitFor(async () => (await run(runId)).status === 'CANCELLED', {
      timeoutMs: 5_000,
      what: 'the cancel to cut the 30 s backoff short',
    });
    expect(provider.calls).toHaveLength(1);
  });

  it('a bootstrap cancelled through one of its steps: the step stops, later steps never start, the tenant stays ONBOARDING', async () => {
    await prisma().providerConnection.update({
      where: { id: ids.connection('Elm', 'Elm Graph') },
      data: { simulation: { latencyMs: 20_000 } },
    });
    await runWorkers();
    const res = await world.gql(StartBootstrap, { tenantId: ELM }, 'manager@contoso.test');
    if (res.data?.result.__typename !== 'StartAccepted') throw new Error('expected accepted');
    const parentId = res.data.result.run.id;
    const steps = await prisma().operationRun.findMany({ where: { parentId }, orderBy: { step: 'asc' } });
    await waitFor(async () => (await run(steps[0].id)).status === 'RUNNING', { what: 'the first step to run' });

    const answer = await cancel(steps[0].id, 'owner@contoso.test');
    expect(answer.result).toMatchObject({
      __typename: 'CancelRequested',
      run: { id: parentId, type: 'ONBOARDING_BOOTSTRAP' },
    });
    await waitFor(async () => (await run(parentId)).status === 'CANCELLED', { what: 'the bootstrap to end' });
    const after = await prisma().operationRun.findMany({ where: { parentId }, orderBy: { step: 'asc' } });
    expect(after.map((s) => [s.status, s.reasonCode, Boolean(s.startedAt), Boolean(s.cancelRequestedAt)])).toEqual([
      ['CANCELLED', 'CANCELLED_BY_USER', true, true],
      ['CANCELLED', 'CANCELLED_BY_USER', false, true],
      ['CANCELLED', 'CANCELLED_BY_USER', false, true],
    ]);
    expect((await prisma().tenant.findUniqueOrThrow({ where: { id: ELM } })).status).toBe('ONBOARDING');
    expect(provider.calls).toHaveLength(1);
    const notes = await prisma().notification.findMany();
    expect(notes.map((n) => [n.userId, n.runId, n.title])).toEqual([
      [ids.user('manager@contoso.test'), parentId, 'Onboarding bootstrap on Elm was cancelled by Olivia Owner'],
    ]);
  });

  it('whose worker died after the cancel request ends CANCELLED, not FAILED WORKER_LOST', async () => {
    const runId = await startSync('owner@contoso.test');
    await world.services.lifecycle.markRunning(runId); // a worker took it ...
    expect((await cancel(runId, 'owner@contoso.test')).result?.__typename).toBe('CancelRequested');
    await world.services.dispatcher.obliterate(); // ... and vanished with its job
    const reconciler = new Reconciler(
      prisma(),
      world.services.dispatcher,
      (await runWorkers()).executor,
      world.services.log,
      600_000,
      0,
    );
    expect(await reconciler.sweep()).toEqual({ redispatched: 0, failed: 1 });
    const ended = await run(runId);
    expect([ended.status, ended.reasonCode]).toEqual(['CANCELLED', 'CANCELLED_BY_USER']);
    expect(provider.calls).toEqual([]);
  });
});

describe('races', () => {
  it('cancel vs the worker taking the job: Postgres decides, and a lost QUEUED -> RUNNING never reaches the provider', async () => {
    const manager = viewer('manager@contoso.test', 'MANAGER');
    const winners = { cancel: 0, worker: 0 };
    for (let i = 0; i < 20; i++) {
      const runId = await startSync('owner@contoso.test');
      const [answer, running] = await Promise.all([
        world.services.runControl.cancel(manager, runId),
        world.services.lifecycle.markRunning(runId),
      ]);
      if (answer.status === 'CANCELLED') {
        winners.cancel++;
        expect(running).toBeNull();
        expect((await run(runId)).startedAt).toBeNull();
      } else {
        winners.worker++;
        expect([answer.status, running?.status]).toEqual(['REQUESTED', 'RUNNING']);
        await world.services.lifecycle.finish(runId, { status: 'CANCELLED', reason: { code: 'CANCELLED_BY_USER' } });
      }
    }
    expect(winners.cancel + winners.worker).toBe(20);
    expect(await prisma().operationRun.count({ where: { status: 'CANCELLED' } })).toBe(20);
    expect(await prisma().notification.count()).toBe(20);
  });

  it('cancel vs natural completion: one terminal state, one notification', async () => {
    const owner = viewer('owner@contoso.test', 'OWNER');
    for (let i = 0; i < 10; i++) {
      const runId = await startSync('operator@contoso.test');
      await world.services.lifecycle.markRunning(runId);
      const [answer, finished] = await Promise.all([
        world.services.runControl.cancel(owner, runId),
        world.services.lifecycle.finish(runId, {
          status: 'SUCCEEDED',
          summary: { total: 3, succeeded: 3, failed: 0, skipped: 0 },
        }),
      ]);
      const row = await run(runId);
      // The worker's last provider call was done: its natural end stands either way.
      expect([row.status, row.succeeded, finished?.status]).toEqual(['SUCCEEDED', 3, 'SUCCEEDED']);
      expect(['REQUESTED', 'FINISHED']).toContain(answer.status);
      if (answer.status === 'REQUESTED') expect(row.cancelledById).toBe(ids.user('owner@contoso.test'));
      expect(await prisma().notification.findMany({ where: { runId } })).toEqual([
        expect.objectContaining({ title: 'Group sync on Alpine succeeded' }),
      ]);
    }
  });

  it('two cancels at once: one cancels, the other finds it finished; one notification, the winner named', async () => {
    for (let i = 0; i < 10; i++) {
      const runId = await startSync('operator@contoso.test');
      const answers = await Promise.all([cancel(runId, 'owner@contoso.test'), cancel(runId, 'manager@contoso.test')]);
      const kinds = answers.map((a) => a.result?.__typename).sort();
      expect(kinds).toEqual(['RunAlreadyFinished', 'RunCancelled']);
      const winner = answers.find((a) => a.result?.__typename === 'RunCancelled')!.result!.run.cancelledBy!.email;
      const row = await run(runId);
      expect(row.cancelledById).toBe(ids.user(winner));
      expect(await prisma().notification.count({ where: { runId } })).toBe(1);
    }
  });

  it('cancel vs the reconciler re-dispatching a run whose job went missing: CANCELLED, no provider call', async () => {
    const manager = viewer('manager@contoso.test', 'MANAGER');
    const runIds = [await startSync('owner@contoso.test')];
    const verification = await world.gql(StartBootstrap, { tenantId: ELM }, 'owner@contoso.test');
    if (verification.data?.result.__typename === 'StartAccepted') runIds.push(verification.data.result.run.id);
    await world.services.dispatcher.obliterate();
    const w = await runWorkers();
    const reconciler = new Reconciler(prisma(), world.services.dispatcher, w.executor, world.services.log, 600_000, 0);
    await Promise.all([reconciler.sweep(), ...runIds.map((id) => world.services.runControl.cancel(manager, id))]);
    for (const id of runIds) {
      const row = await waitFor(async () => ((await run(id)).status === 'CANCELLED' ? run(id) : null), {
        what: `run ${id} cancelled`,
      });
      expect(row.startedAt).toBeNull();
    }
    // Whatever was re-dispatched found its run cancelled: the worker is idle and made no call.
    await waitFor(async () => (await world.services.dispatcher.getJobCounts('active', 'waiting')).active === 0, {
      what: 'the worker to be idle',
    });
    expect(provider.calls).toEqual([]);
  });
});
