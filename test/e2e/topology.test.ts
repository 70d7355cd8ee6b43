// The production topology as processes (docker-compose.yml without containers): two API processes
// (WORKERS=off) and two worker processes (METRICS_PORT) on one PostgreSQL and one Redis. Starts go
// to both APIs, a subscriber on each sees the runs that workers execute, a cancel crosses from an API
// to whichever worker holds the run, and the /metrics of every process add up to the exact sequence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGql, runUpdates, wsSubscribe, type Recorded } from '../support/clients.js';
import { sample, scrape, total } from '../support/metrics.js';
import { type AtlasProcess, spawnAtlas } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

const METRICS_TOKEN = 'topology-metrics-token-0123456789';
let world: World;
let apis: AtlasProcess[];
let workers: AtlasProcess[];
/** Each worker's metrics base URL (METRICS_PORT=0: the port it logged). */
let workerMetrics: string[];

beforeAll(async () => {
  world = await createWorld();
  const common = { METRICS_TOKEN, METRICS_SAMPLE_MS: '200', SCHEDULE_MIN_INTERVAL_S: '1' };
  const worker = () =>
    spawnAtlas('worker', world.config, {
      ...common,
      METRICS_PORT: '0',
      SIM_LATENCY_MS: '15000',
      WORKER_CONCURRENCY: '4',
    });
  [apis, workers] = await Promise.all([
    Promise.all([spawnAtlas('api', world.config, common), spawnAtlas('api', world.config, common)]),
    Promise.all([worker(), worker()]),
  ]);
  workerMetrics = workers.map((w) => {
    const port = /metrics on http:\/\/[^:]+:(\d+)\/metrics/.exec(w.output.join(''))?.[1];
    if (!port) throw new Error(`the worker logged no metrics port:\n${w.output.join('')}`);
    return `http://127.0.0.1:${port}`;
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([...(apis ?? []), ...(workers ?? [])].map((p) => p.stop()));
  await world?.close();
});

const START_SYNC = `mutation ($t: ID!) { startDirectorySync(tenantId: $t) { __typename ... on StartOutcome { status } ... on StartAccepted { run { id } } ... on StartDeduped { run { id } } } }`;
const START_RESTORE = `mutation ($r: ID!) { startRestore(restoreRunId: $r) { __typename ... on StartOutcome { status } ... on StartScopeBusy { blockingRun { id } } } }`;
const CANCEL = `mutation ($id: ID!) { cancelOperationRun(runId: $id) { __typename } }`;
const CREATE_SCHEDULE = `mutation ($t: ID!) { createSchedule(input: { tenantId: $t, type: TENANT_VERIFICATION, cron: "* * * * * *" }) { id } }`;
const DISABLE_SCHEDULE = `mutation ($id: ID!) { updateSchedule(id: $id, input: { enabled: false }) { enabled } }`;
const RUN_UPDATES = `subscription ($t: ID) { operationRunUpdated(tenantId: $t) { id status } }`;

describe('two APIs and two workers on one PostgreSQL and one Redis', () => {
  it('starts on both APIs, live updates on both, a cancel across processes, exact metrics from every process', async () => {
    const [api1, api2] = apis;
    const owner = await world.token('owner@contoso.test');
    const manager = await world.token('manager@contoso.test');
    const alpine = ids.tenant('Alpine');
    const subscribers: Recorded[] = apis.map((api) =>
      wsSubscribe(api.port, manager, RUN_UPDATES, { t: alpine }, 0, { ack: true }),
    );
    await Promise.all(subscribers.map((s) => s.live));

    // The known sequence, across both APIs: accepted, deduped, busy, blocked.
    const accepted = await httpGql(api1.url, owner, START_SYNC, { t: alpine });
    expect(accepted.data.startDirectorySync.status).toBe('QUEUED');
    const runId = accepted.data.startDirectorySync.run.id;
    const deduped = await httpGql(api2.url, owner, START_SYNC, { t: alpine });
    expect(deduped.data.startDirectorySync).toMatchObject({ status: 'ALREADY_RUNNING', run: { id: runId } });
    const busy = await httpGql(api2.url, owner, START_RESTORE, { r: ids.restoreRun('Alpine') });
    expect(busy.data.startRestore).toMatchObject({ status: 'SCOPE_BUSY', blockingRun: { id: runId } });
    const blocked = await httpGql(api1.url, owner, START_SYNC, { t: ids.tenant('Birch') });
    expect(blocked.data.startDirectorySync.status).toBe('BLOCKED');

    // A worker process runs it (15 s provider calls); the cancel reaches it from the other API.
    const row = () => world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: runId } });
    await waitFor(async () => (await row()).status === 'RUNNING', {
      timeoutMs: 20_000,
      what: 'a worker to start the run',
    });
    expect((await httpGql(api2.url, manager, CANCEL, { id: runId })).data.cancelOperationRun.__typename).toBe(
      'CancelRequested',
    );
    await waitFor(async () => (await row()).status === 'CANCELLED', {
      timeoutMs: 10_000,
      what: 'the run to be cancelled',
    });
    for (const subscriber of subscribers)
      await waitFor(() => runUpdates(subscriber.events).some((r) => r.id === runId && r.status === 'CANCELLED'), {
        what: 'each API subscriber to see CANCELLED',
      });
    const holder = await waitFor(
      () => 1 + workers.findIndex((w) => w.output.join('').includes('cancel requested: stopping the run')),
      { what: 'the worker holding the run to log the cancel' },
    ).then((oneBased) => oneBased - 1);

    const [m1, m2] = await Promise.all(apis.map((api) => scrape(api.url, METRICS_TOKEN)));
    const mw = await Promise.all(workerMetrics.map((url) => scrape(url, METRICS_TOKEN)));
    const decision = (text: string, operation: string, status: string, reason = '') =>
      sample(text, 'atlas_gate_decisions_total', { operation, status, reason });
    const GROUPS = 'DIRECTORY_GROUPS_SYNC';
    expect(decision(m1, GROUPS, 'QUEUED')).toBe(1);
    expect(decision(m1, GROUPS, 'BLOCKED', 'PROVIDER_CONNECTION_DISABLED')).toBe(1);
    expect(decision(m2, GROUPS, 'ALREADY_RUNNING')).toBe(1);
    expect(decision(m2, 'RESTORE_EXECUTE', 'SCOPE_BUSY')).toBe(1);
    expect(total(m1, 'atlas_gate_decisions_total') + total(m2, 'atlas_gate_decisions_total')).toBe(4);
    expect(sample(m2, 'atlas_gate_busy_without_lock_total', { operation: GROUPS, status: 'ALREADY_RUNNING' })).toBe(1);
    expect(
      sample(m2, 'atlas_gate_busy_without_lock_total', { operation: 'RESTORE_EXECUTE', status: 'SCOPE_BUSY' }),
    ).toBe(1);
    expect(sample(m2, 'atlas_cancels_total', { answer: 'CancelRequested' })).toBe(1);

    // Terminal states, each counted once, by the process that made the transition.
    expect(sample(m1, 'atlas_runs_finished_total', { type: GROUPS, status: 'BLOCKED' })).toBe(1);
    expect(sample(mw[holder], 'atlas_runs_finished_total', { type: GROUPS, status: 'CANCELLED' })).toBe(1);
    expect(sample(mw[holder], 'atlas_run_duration_seconds_count', { type: GROUPS, status: 'CANCELLED' })).toBe(1);
    expect([m1, m2, ...mw].reduce((sum, text) => sum + total(text, 'atlas_runs_finished_total'), 0)).toBe(2);

    // Each API holds its subscriber's socket and subscription; workers serve no GraphQL.
    for (const text of [m1, m2]) {
      expect(sample(text, 'atlas_websocket_connections')).toBe(1);
      expect(sample(text, 'atlas_subscriptions_active', { field: 'operationRunUpdated' })).toBe(1);
    }
    // Queue depths are sampled in every process; process metrics everywhere.
    for (const text of [m1, m2, ...mw]) {
      expect(sample(text, 'atlas_queue_jobs', { queue: 'operations', shard: '0', state: 'waiting' })).toBe(0);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    }
    // Worker metrics need the token too.
    expect((await fetch(`${workerMetrics[0]}/metrics`)).status).toBe(401);
    expect((await fetch(`${workerMetrics[0]}/health`)).status).toBe(200);
    await Promise.all(subscribers.map((s) => s.client.dispose()));

    // Schedules across the processes: created through one API, disabled through the other, fired
    // by the two workers (once per tick between them), each firing counted by the worker that fired it.
    const created = await httpGql(api1.url, owner, CREATE_SCHEDULE, { t: ids.tenant('Dune') });
    const scheduleId = created.data.createSchedule.id;
    const firings = async () =>
      (await world.services.prisma.schedule.findUniqueOrThrow({ where: { id: scheduleId } })).firings;
    await waitFor(async () => (await firings()) >= 3, { timeoutMs: 15_000, what: 'three firings' });
    expect((await httpGql(api2.url, owner, DISABLE_SCHEDULE, { id: scheduleId })).data.updateSchedule.enabled).toBe(
      false,
    );
    const fired = await firings();
    // Dune's connection awaits consent: every firing is a BLOCKED run without initiator, named by the
    // schedule (a block an operator fixes on the connection, so the schedule is not paused).
    const runs = await world.services.prisma.operationRun.findMany({ where: { scheduleId } });
    expect(runs.length).toBe(fired);
    expect(runs.every((r) => r.status === 'BLOCKED' && r.initiatorId === null)).toBe(true);
    await waitFor(
      async () => {
        const texts = await Promise.all(workerMetrics.map((url) => scrape(url, METRICS_TOKEN)));
        return (
          texts.reduce(
            (sum, text) => sum + (sample(text, 'atlas_schedule_firings_total', { outcome: 'BLOCKED' }) ?? 0),
            0,
          ) === fired
        );
      },
      { what: "the workers' firing counters to add up to the schedule's firings" },
    );
  }, 120_000);
});
