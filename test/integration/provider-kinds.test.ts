// Providers per connection (docs/behaviour.md#previews-and-provider-connections): a run is executed
// by the kind of provider its pinned connection names, and a start of a type that kind cannot run is
// BLOCKED with a translated reason, in previews and starts alike, and refused again by the worker's
// pre-execute guard should the connection change kind after admission.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import type { OperationType } from '../../src/generated/prisma/enums.js';
import type { Provider } from '../../src/providers/provider.js';
import { graphKind, ProviderRegistry, simulatedKind } from '../../src/providers/registry.js';
import { SimulatedProvider } from '../../src/providers/simulated.js';
import { OperationRunById, StartOperation, TargetPreviews } from '../support/documents.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

// This deployment's Microsoft Graph kind cannot restore; the simulator runs everything.
const simulated = new SimulatedProvider(0);
const calls: string[] = [];
const recording = (kind: string): Provider =>
  new Proxy(simulated, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function'
        ? (...args: unknown[]) => {
            calls.push(`${kind}.${String(name)}`);
            return value.apply(target, args);
          }
        : value;
    },
  });
const EVERY_BUT_RESTORE: OperationType[] = [
  'DIRECTORY_GROUPS_SYNC',
  'ROLE_DEFINITIONS_SYNC',
  'TENANT_VERIFICATION',
  'PROVIDER_CONNECTION_CHECK',
  'ONBOARDING_BOOTSTRAP',
];
const providers = new ProviderRegistry({
  MICROSOFT_GRAPH: graphKind(recording('graph'), EVERY_BUT_RESTORE),
  SIMULATED: simulatedKind(recording('simulated')),
});

let world: World;
let workers: Workers | null = null;
beforeAll(async () => {
  world = await createWorld({}, { providers });
});
afterAll(async () => world?.close());
afterEach(async () => {
  await workers?.close();
  workers = null;
  calls.length = 0;
  await world.reset();
});

const ALPINE_CONNECTION = ids.connection('Alpine', 'Alpine Graph');
const setKind = (provider: 'MICROSOFT_GRAPH' | 'SIMULATED') =>
  world.services.prisma.providerConnection.update({ where: { id: ALPINE_CONNECTION }, data: { provider } });
const restore = () => world.gql(StartOperation, { type: 'RESTORE_EXECUTE', targetId: ids.restoreRun('Alpine') });
const groupSync = () => world.gql(StartOperation, { type: 'DIRECTORY_GROUPS_SYNC', targetId: ids.tenant('Alpine') });

async function ended(runId: string) {
  return waitFor(
    async () => {
      const run = (await world.gql(OperationRunById, { id: runId })).data?.operationRun;
      return run && !['QUEUED', 'RUNNING'].includes(run.status) ? run : null;
    },
    { timeoutMs: 15_000, what: `run ${runId} to end` },
  );
}

describe('a provider kind per connection', () => {
  it('blocks, in the preview and the start, a type the connection’s kind cannot run, and says why', async () => {
    await setKind('MICROSOFT_GRAPH');
    const previews = await world.gql(TargetPreviews, { id: ids.tenant('Alpine') });
    const preview = previews.data!.tenant!.restoreRuns.find((r) => r.id === ids.restoreRun('Alpine'))!.startPreview;
    expect(preview).toMatchObject({
      status: 'BLOCKED',
      reason: {
        code: 'PROVIDER_OPERATION_UNSUPPORTED',
        message: "The provider connection's provider cannot run this operation",
      },
    });
    const start = (await restore()).data!.result;
    expect(start).toMatchObject({
      __typename: 'StartBlocked',
      message: "Restore blocked: the provider connection's provider cannot run this operation",
      reason: { code: 'PROVIDER_OPERATION_UNSUPPORTED' },
    });
    expect(start.__typename === 'StartBlocked' && start.run.reason?.nextSteps.map((s) => s.action)).toEqual([
      'CHOOSE_PROVIDER_CONNECTION',
      'OPEN_PROVIDER_CONNECTION',
    ]);
    // What the kind can run is admitted and runs on that kind's client.
    const sync = (await groupSync()).data!.result;
    if (sync.__typename !== 'StartAccepted') throw new Error(sync.__typename);
    workers = await startWorkers(world.services);
    expect((await ended(sync.run.id)).status).toBe('SUCCEEDED');
    expect(calls).toEqual(['graph.listGroups']);
  });

  it('each run executes on its own connection’s kind, and the guard refuses a kind changed after admission', async () => {
    const simulatedSync = (await groupSync()).data!.result;
    if (simulatedSync.__typename !== 'StartAccepted') throw new Error(simulatedSync.__typename);
    workers = await startWorkers(world.services);
    expect((await ended(simulatedSync.run.id)).status).toBe('SUCCEEDED');
    expect(calls).toEqual(['simulated.listGroups']);

    // A restore admitted on the simulator, whose connection becomes a Graph one before a worker takes it.
    await workers.close();
    workers = null;
    const queued = (await restore()).data!.result;
    if (queued.__typename !== 'StartAccepted') throw new Error(queued.__typename);
    await setKind('MICROSOFT_GRAPH');
    calls.length = 0;
    workers = await startWorkers(world.services);
    const run = await ended(queued.run.id);
    expect(run.status).toBe('FAILED');
    expect(run.reason?.code).toBe('PROVIDER_OPERATION_UNSUPPORTED');
    expect(calls).toEqual([]);
  });
});
