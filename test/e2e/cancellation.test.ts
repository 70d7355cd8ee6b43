// Cancellation across processes: the request reaches an API process while the run executes in a
// separate worker process (`src/main.ts --role=worker`). The cancel travels over Redis to the worker
// holding the job, which aborts the simulated provider's call: the run is CANCELLED within 2 s
// of the request (docs/behaviour.md#cancelling-a-run), long before its 15 s provider call would have ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGql, runUpdates, wsSubscribe } from '../support/clients.js';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let api: AtlasProcess;
let worker: AtlasProcess;

beforeAll(async () => {
  world = await createWorld({ SIM_LATENCY_MS: 15_000 });
  [api, worker] = await Promise.all([spawnAtlas('api', world.config), spawnAtlas('worker', world.config)]);
}, 90_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await world?.close();
});

const START_SYNC = `mutation ($t: ID!) { startDirectorySync(tenantId: $t) { __typename ... on StartAccepted { run { id } } } }`;
const CANCEL = `mutation ($id: ID!) { cancelOperationRun(runId: $id) { __typename ... on CancelOutcome { message run { id status cancelRequestedAt cancelledBy { displayName } } } } }`;
const RUN_UPDATES = `subscription ($id: ID) { operationRunUpdated(runId: $id) { id status cancelRequestedAt reason { code message } } }`;
const MY_NOTIFICATIONS = `subscription { myNotifications { title run { id } } }`;

describe('cancelling a run that executes in another process', () => {
  it('is CANCELLED within 2 s of the request; the monitor sees the request and the end, the initiator one notification', async () => {
    const operator = await world.token('operator@contoso.test');
    const manager = await world.token('manager@contoso.test');
    const started = await httpGql(api.url, operator, START_SYNC, { t: ids.tenant('Alpine') });
    const runId = started.data.startDirectorySync.run.id;
    const monitor = wsSubscribe(api.port, manager, RUN_UPDATES, { id: runId }, 0, { ack: true });
    const inbox = wsSubscribe(api.port, operator, MY_NOTIFICATIONS, {}, 0, { ack: true });
    await Promise.all([monitor.live, inbox.live]);
    const row = () => world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: runId } });
    await waitFor(async () => (await row()).status === 'RUNNING', {
      timeoutMs: 20_000,
      what: 'the worker process to start the run',
    });
    // The provider call is in flight for 15 s from here.

    const answer = await httpGql(api.url, manager, CANCEL, { id: runId });
    expect(answer.data.cancelOperationRun).toMatchObject({
      __typename: 'CancelRequested',
      message: 'Group sync cancellation requested',
      run: { id: runId, status: 'RUNNING', cancelledBy: { displayName: 'Mateo Manager' } },
    });

    const ended = await waitFor(
      async () => {
        const r = await row();
        return r.status === 'CANCELLED' ? r : null;
      },
      { timeoutMs: 10_000, what: 'the run to end CANCELLED' },
    );
    expect(ended.finishedAt!.getTime() - ended.cancelRequestedAt!.getTime()).toBeLessThan(2_000);
    expect(ended.finishedAt!.getTime() - ended.startedAt!.getTime()).toBeLessThan(15_000);
    expect([ended.reasonCode, ended.reasonMessage]).toEqual(['CANCELLED_BY_USER', 'cancelled by Mateo Manager']);
    expect(await world.services.prisma.directoryGroup.count({ where: { tenantId: ids.tenant('Alpine') } })).toBe(0);

    await waitFor(() => runUpdates(monitor.events).some((r) => r.status === 'CANCELLED'), {
      what: 'the monitor to see CANCELLED',
    });
    const seen = runUpdates(monitor.events).filter((r) => r.id === runId);
    // The cancel request is an event of its own (still RUNNING, now with cancelRequestedAt), then the end.
    expect(seen.some((r) => r.status === 'RUNNING' && r.cancelRequestedAt)).toBe(true);
    expect(seen.at(-1)).toMatchObject({
      status: 'CANCELLED',
      reason: { code: 'CANCELLED_BY_USER', message: 'cancelled by Mateo Manager' },
    });
    await waitFor(() => inbox.events.some((e) => e.data), { what: "the initiator's notification" });
    expect(inbox.events.filter((e) => e.data).map((e) => e.data.myNotifications)).toEqual([
      { title: 'Group sync on Alpine was cancelled by Mateo Manager', run: { id: runId } },
    ]);
    expect(worker.output.join('')).toContain('cancel requested: stopping the run');
    await Promise.all([monitor.client.dispose(), inbox.client.dispose()]);
  }, 60_000);
});
