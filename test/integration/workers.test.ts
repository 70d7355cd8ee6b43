// Workers and run lifecycle against real Postgres, Redis and BullMQ: every run here is started
// through the gate (GraphQL), executed by in-process BullMQ workers (startWorkers), and observed
// by polling the database until it is terminal. Workers are started per test, after the test has
// arranged what the worker must find (a changed default, a disabled connection, a missing job).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Prisma, type OperationRun } from '../../src/generated/prisma/client.js';
import type { OperationRunStatus } from '../../src/generated/prisma/enums.js';
import { Reconciler } from '../../src/jobs/reconciler.js';
import type { ExecutorRacepoints } from '../../src/jobs/executor.js';
import { startWorkers, type Workers } from '../../src/jobs/worker.js';
import { ProviderError, type Provider } from '../../src/providers/provider.js';
import {
  SimulatedProvider,
  simulatedGroups,
  simulatedRoleDefinitions,
  simulatedVerificationReport,
  type SimulationSettings,
} from '../../src/providers/simulated.js';
import type { StartResultFieldsFragment } from '../generated/graphql.js';
import {
  Notifications,
  OperationRunById,
  StartBootstrap,
  StartConnectionCheck,
  StartDirectorySync,
  StartRestore,
  StartTenantVerification,
} from '../support/documents.js';
import { recordRunEvents } from '../support/run-events.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let workers: Workers | null = null;

const OWNER = 'owner@contoso.test';
const MANAGER = 'manager@contoso.test';
const OPERATOR = 'operator@contoso.test';

const ALPINE = ids.tenant('Alpine');
const BIRCH = ids.tenant('Birch');
const CEDAR = ids.tenant('Cedar');
const DUNE = ids.tenant('Dune');
const ELM = ids.tenant('Elm');
const alpineConnection = ids.connection('Alpine', 'Alpine Graph');
const birchPrimary = ids.connection('Birch', 'Birch Graph (primary)');
const birchSecondary = ids.connection('Birch', 'Birch Graph (secondary)');
const duneConnection = ids.connection('Dune', 'Dune Graph');
const elmConnection = ids.connection('Elm', 'Elm Graph');
const alpineRestore = ids.restoreRun('Alpine');

// Expected provider data comes from the simulator itself (or is fixed per test through the
// connection's `simulation` settings), never from a copy of its formulas.
const ROLE_DEFINITION_NAMES = simulatedRoleDefinitions()
  .map((r) => r.displayName)
  .sort();

const TERMINAL: readonly OperationRunStatus[] = ['SUCCEEDED', 'PARTIALLY_SUCCEEDED', 'FAILED', 'CANCELLED', 'BLOCKED'];
const ZERO = { total: 0, succeeded: 0, failed: 0, skipped: 0 };

beforeAll(async () => {
  world = await createWorld({
    SIM_LATENCY_MS: 0,
    RETRY_BASE_MS: 10,
    WORKER_LOCK_MS: 1000,
    RUN_MAX_ATTEMPTS: 4,
    // The workers' own reconciler must not act behind a test's back; the reconciler tests sweep by hand.
    RECONCILE_INTERVAL_MS: 600_000,
    PUBLIC_APP_URL: 'https://atlas.example',
  });
});

afterAll(async () => {
  await stopWorkers();
  await world?.close();
});

beforeEach(async () => {
  await world.reset();
  // reset() re-seeds the fixtures' documented columns; what workers and tests write besides them goes too.
  const prisma = world.services.prisma;
  await prisma.providerConnection.updateMany({ data: { simulation: Prisma.DbNull, checkedAt: null } });
  await prisma.directoryGroup.deleteMany();
  await prisma.roleDefinition.deleteMany();
  await prisma.tenant.updateMany({ data: { verifiedAt: null, verificationReport: Prisma.DbNull } });
});

afterEach(async () => {
  await stopWorkers();
});

async function runWorkers(provider?: Provider, racepoints?: ExecutorRacepoints): Promise<Workers> {
  await stopWorkers();
  workers = await startWorkers(world.services, {
    ...(provider ? { provider } : {}),
    ...(racepoints ? { racepoints } : {}),
  });
  return workers;
}

async function stopWorkers(): Promise<void> {
  const w = workers;
  workers = null;
  await w?.close();
}

// ---- helpers -------------------------------------------------------------------------------

type GqlResult = { data?: { result: StartResultFieldsFragment } | null; errors?: readonly { message: string }[] };

function resultOf(res: GqlResult): StartResultFieldsFragment {
  expect(res.errors).toBeUndefined();
  return res.data!.result;
}

/** The run id of an accepted start (fails the test on any other answer). */
function acceptedRunId(res: GqlResult): string {
  const result = resultOf(res);
  expect(result.__typename, JSON.stringify(result)).toBe('StartAccepted');
  if (result.__typename !== 'StartAccepted') throw new Error('not accepted');
  expect(result.run.status).toBe('QUEUED');
  return result.run.id;
}

const groupSync = (tenantId: string, as = OWNER, providerConnectionId?: string) =>
  world.gql(StartDirectorySync, { tenantId, kind: 'GROUPS', providerConnectionId }, as);
const roleSync = (tenantId: string, as = OWNER) =>
  world.gql(StartDirectorySync, { tenantId, kind: 'ROLE_DEFINITIONS' }, as);
const verification = (tenantId: string, as = OWNER) => world.gql(StartTenantVerification, { tenantId }, as);
const connectionCheck = (providerConnectionId: string, as = OWNER) =>
  world.gql(StartConnectionCheck, { providerConnectionId }, as);
const restore = (as = OWNER) => world.gql(StartRestore, { restoreRunId: alpineRestore }, as);
const bootstrap = (tenantId: string, as = OWNER) => world.gql(StartBootstrap, { tenantId }, as);

const runRow = (id: string) => world.services.prisma.operationRun.findUniqueOrThrow({ where: { id } });

/** Polls the database until the run is terminal (bounded). */
async function waitTerminal(runId: string, timeoutMs = 15_000): Promise<OperationRun> {
  return waitFor(
    async () => {
      const run = await runRow(runId);
      return TERMINAL.includes(run.status) ? run : null;
    },
    { timeoutMs, what: `run ${runId} to reach a terminal state` },
  );
}

async function waitStatus(runId: string, status: OperationRunStatus, timeoutMs = 10_000): Promise<OperationRun> {
  return waitFor(
    async () => {
      const run = await runRow(runId);
      return run.status === status ? run : null;
    },
    { timeoutMs, what: `run ${runId} to be ${status}` },
  );
}

const summaryOf = (run: Pick<OperationRun, 'total' | 'succeeded' | 'failed' | 'skipped'>) => ({
  total: run.total,
  succeeded: run.succeeded,
  failed: run.failed,
  skipped: run.skipped,
});

async function setSimulation(connectionId: string, simulation: SimulationSettings): Promise<void> {
  await world.services.prisma.providerConnection.update({ where: { id: connectionId }, data: { simulation } });
}

async function externalTenantId(tenantId: string): Promise<string> {
  return (await world.services.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).externalTenantId;
}

/** The groups the simulator lists for a tenant (its own default count unless `settings` fix it). */
async function listedGroups(tenantId: string, settings: SimulationSettings = {}) {
  return simulatedGroups(await externalTenantId(tenantId), settings);
}

async function defaultGroupCount(tenantId: string): Promise<number> {
  return (await listedGroups(tenantId)).length;
}

/** The seeded restore run's item names, in order (the fixture row). */
async function restoreItemNames(): Promise<string[]> {
  const row = await world.services.prisma.restoreRun.findUniqueOrThrow({ where: { id: alpineRestore } });
  return (row.items as { name: string }[]).map((item) => item.name);
}

const groupRows = (tenantId: string) =>
  world.services.prisma.directoryGroup.findMany({ where: { tenantId }, orderBy: { externalId: 'asc' } });

const notificationsFor = (runId: string) => world.services.prisma.notification.findMany({ where: { runId } });

/** Exactly one notification for the run, to the given user; returns it. */
async function expectOneNotification(runId: string, email: string) {
  const notes = await notificationsFor(runId);
  expect(notes).toHaveLength(1);
  expect(notes[0].userId).toBe(ids.user(email));
  expect(notes[0].body).toContain(`https://atlas.example/operations/runs/${runId}`);
  return notes[0];
}

// ---- handlers ------------------------------------------------------------------------------

describe('handlers: outcome and summary counts', () => {
  it('group sync stores every listed group and removes stale ones on the next sync', async () => {
    const listed = await listedGroups(ALPINE);
    const expected = listed.length;
    expect(expected).toBeGreaterThan(5); // the second sync below shrinks the list
    const elmExpected = await defaultGroupCount(ELM);

    const elmRunId = acceptedRunId(await groupSync(ELM));
    const firstId = acceptedRunId(await groupSync(ALPINE));
    await runWorkers();
    const first = await waitTerminal(firstId);
    expect(first.status).toBe('SUCCEEDED');
    expect(summaryOf(first)).toEqual({ total: expected, succeeded: expected, failed: 0, skipped: 0 });
    expect(first.attempts).toBe(1);
    expect(first.reasonCode).toBeNull();
    expect(first.providerConnectionId).toBe(alpineConnection);
    expect(first.startedAt).not.toBeNull();
    expect(first.finishedAt!.getTime()).toBeGreaterThanOrEqual(first.startedAt!.getTime());
    const rows = await groupRows(ALPINE);
    const stored = (groups: { externalId: string; displayName: string; mail: string | null }[]) =>
      groups
        .map((g) => ({ externalId: g.externalId, displayName: g.displayName, mail: g.mail }))
        .sort((a, b) => a.externalId.localeCompare(b.externalId));
    expect(stored(rows)).toEqual(stored(listed));
    expect((await waitTerminal(elmRunId)).status).toBe('SUCCEEDED');
    expect(await groupRows(ELM)).toHaveLength(elmExpected);

    // The provider now lists 5 groups: the others are stale and removed, the 5 are kept (same ids).
    await setSimulation(alpineConnection, { groupCount: 5 });
    const secondId = acceptedRunId(await groupSync(ALPINE));
    const second = await waitTerminal(secondId);
    expect(second.status).toBe('SUCCEEDED');
    expect(summaryOf(second)).toEqual({ total: 5, succeeded: 5, failed: 0, skipped: 0 });
    const after = await groupRows(ALPINE);
    expect(stored(after)).toEqual(stored(await listedGroups(ALPINE, { groupCount: 5 })));
    const before = new Set(rows.map((g) => g.externalId));
    for (const g of after) expect(before.has(g.externalId)).toBe(true);
    // Kept rows are the same rows (updated in place), not re-created.
    const rowIds = new Map(rows.map((g) => [g.externalId, g.id]));
    for (const g of after) expect(g.id).toBe(rowIds.get(g.externalId));
    // Another tenant's groups are not touched by Alpine's sync.
    expect(await groupRows(ELM)).toHaveLength(elmExpected);

    await expectOneNotification(firstId, OWNER);
    await expectOneNotification(secondId, OWNER);
  });

  it('role definitions sync stores the 7 built-in role definitions', async () => {
    const runId = acceptedRunId(await roleSync(ALPINE));
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.type).toBe('ROLE_DEFINITIONS_SYNC');
    expect(summaryOf(run)).toEqual({ total: 7, succeeded: 7, failed: 0, skipped: 0 });
    expect(run.attempts).toBe(1);
    const roles = await world.services.prisma.roleDefinition.findMany({
      where: { tenantId: ALPINE },
      orderBy: { displayName: 'asc' },
    });
    expect(roles.map((r) => r.displayName)).toEqual(ROLE_DEFINITION_NAMES);
    expect(roles.every((r) => r.isBuiltIn)).toBe(true);

    // A second sync upserts: still 7 rows, not 14.
    const againId = acceptedRunId(await roleSync(ALPINE));
    expect(summaryOf(await waitTerminal(againId))).toEqual({ total: 7, succeeded: 7, failed: 0, skipped: 0 });
    expect(await world.services.prisma.roleDefinition.count({ where: { tenantId: ALPINE } })).toBe(7);
  });

  it('tenant verification stores the report on the tenant and sets verifiedAt', async () => {
    const runId = acceptedRunId(await verification(ALPINE));
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(summaryOf(run)).toEqual({ total: 2, succeeded: 2, failed: 0, skipped: 0 });
    const tenant = await world.services.prisma.tenant.findUniqueOrThrow({ where: { id: ALPINE } });
    expect(tenant.verificationReport).toEqual(simulatedVerificationReport(tenant.externalTenantId));
    expect(tenant.verifiedAt).not.toBeNull();
    expect(tenant.verifiedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt!.getTime());
    expect(tenant.verifiedAt!.getTime()).toBeLessThanOrEqual(run.finishedAt!.getTime());
    expect(tenant.status).toBe('ACTIVE');
  });

  it('connection check records the credential state: CONSENT_REQUIRED fails, VALID flips the connection to VALID', async () => {
    await setSimulation(duneConnection, { credentialState: 'CONSENT_REQUIRED' });
    const failedId = acceptedRunId(await connectionCheck(duneConnection));
    await runWorkers();
    const failed = await waitTerminal(failedId);
    expect(failed.status).toBe('FAILED');
    expect(failed.reasonCode).toBe('PROVIDER_CONSENT_REQUIRED');
    expect(failed.reasonMessage).toBe('admin consent has not been granted for the provider connection');
    expect(summaryOf(failed)).toEqual({ total: 1, succeeded: 0, failed: 1, skipped: 0 });
    expect(failed.attempts).toBe(1);
    let connection = await world.services.prisma.providerConnection.findUniqueOrThrow({
      where: { id: duneConnection },
    });
    expect(connection.credentialState).toBe('CONSENT_REQUIRED');
    expect(connection.checkedAt).not.toBeNull();

    // Consent granted: the provider now answers VALID.
    await setSimulation(duneConnection, { credentialState: 'VALID' });
    const okId = acceptedRunId(await connectionCheck(duneConnection));
    const ok = await waitTerminal(okId);
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.reasonCode).toBeNull();
    expect(summaryOf(ok)).toEqual({ total: 1, succeeded: 1, failed: 0, skipped: 0 });
    connection = await world.services.prisma.providerConnection.findUniqueOrThrow({ where: { id: duneConnection } });
    expect(connection.credentialState).toBe('VALID');

    // ... so starts on Dune are no longer blocked.
    const syncId = acceptedRunId(await groupSync(DUNE));
    expect((await waitTerminal(syncId)).status).toBe('SUCCEEDED');

    // And the other way round: a check that finds expired credentials flips a VALID connection.
    await setSimulation(duneConnection, { credentialState: 'EXPIRED' });
    const expiredId = acceptedRunId(await connectionCheck(duneConnection));
    const expired = await waitTerminal(expiredId);
    expect(expired.status).toBe('FAILED');
    expect(expired.reasonCode).toBe('PROVIDER_CREDENTIALS_EXPIRED');
    connection = await world.services.prisma.providerConnection.findUniqueOrThrow({ where: { id: duneConnection } });
    expect(connection.credentialState).toBe('EXPIRED');
  });

  it('restore: all items applied -> SUCCEEDED, restore run COMPLETED; executing it again is RESTORE_RUN_NOT_READY', async () => {
    const runId = acceptedRunId(await restore());
    // While the execution is active the restore run stays READY.
    expect((await world.services.prisma.restoreRun.findUniqueOrThrow({ where: { id: alpineRestore } })).status).toBe(
      'READY',
    );
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.restoreRunId).toBe(alpineRestore);
    expect(summaryOf(run)).toEqual({ total: 6, succeeded: 6, failed: 0, skipped: 0 });
    expect(run.reasonCode).toBeNull();
    expect((await world.services.prisma.restoreRun.findUniqueOrThrow({ where: { id: alpineRestore } })).status).toBe(
      'COMPLETED',
    );
    const note = await expectOneNotification(runId, OWNER);
    expect(note.title).toBe('Restore on Alpine succeeded');

    const again = resultOf(await restore());
    expect(again.__typename).toBe('StartBlocked');
    if (again.__typename !== 'StartBlocked') return;
    expect(again.status).toBe('BLOCKED');
    expect(again.reason.code).toBe('RESTORE_RUN_NOT_READY');
    expect(again.run.status).toBe('BLOCKED');
  });

  it('restore interrupted after two items resumes after them: every item applied exactly once, counts only grow', async () => {
    const runId = acceptedRunId(await restore());
    // The provider answers a transient error once, at the third item: the run is retried (attempt 2).
    const inner = new SimulatedProvider(0);
    const applied: string[] = [];
    const savedCounts: number[] = [];
    let calls = 0;
    const provider: Provider = Object.assign(Object.create(inner) as Provider, {
      applyRestoreItem: async (...args: Parameters<Provider['applyRestoreItem']>) => {
        const saved = await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: runId } });
        savedCounts.push(saved.succeeded);
        if (++calls === 3) throw new ProviderError('PROVIDER_THROTTLED', 'HTTP 429 Too Many Requests', true, 0);
        const result = await inner.applyRestoreItem(...args);
        applied.push(args[1].name);
        return result;
      },
    });
    await runWorkers(provider);
    const run = await waitTerminal(runId);
    expect([run.status, run.attempts]).toEqual(['SUCCEEDED', 2]);
    expect(summaryOf(run)).toEqual({ total: 6, succeeded: 6, failed: 0, skipped: 0 });
    expect(applied).toHaveLength(6);
    expect(new Set(applied).size).toBe(6);
    // The counts the run showed before each provider call: attempt 2 went on from 2, never back to 0.
    expect(savedCounts).toEqual([0, 1, 2, 2, 3, 4, 5]);
    expect((await world.services.prisma.restoreRun.findUniqueOrThrow({ where: { id: alpineRestore } })).status).toBe(
      'COMPLETED',
    );
  });

  it('restore: some items failing -> PARTIALLY_SUCCEEDED with exact counts, restore run PARTIALLY_COMPLETED', async () => {
    await setSimulation(alpineConnection, { failItems: ['iOS minimum OS', 'BitLocker'] });
    const runId = acceptedRunId(await restore());
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('PARTIALLY_SUCCEEDED');
    expect(summaryOf(run)).toEqual({ total: 6, succeeded: 4, failed: 2, skipped: 0 });
    expect(run.reasonCode).toBe('RESTORE_ITEMS_PARTIALLY_FAILED');
    expect(run.attempts).toBe(1);
    expect((await world.services.prisma.restoreRun.findUniqueOrThrow({ where: { id: alpineRestore } })).status).toBe(
      'PARTIALLY_COMPLETED',
    );
    const note = await expectOneNotification(runId, OWNER);
    expect(note.title).toBe('Restore on Alpine partially succeeded');
    expect(note.body).toContain('4 of 6 items succeeded, 2 failed. Some restore items failed to apply.');

    const again = resultOf(await restore());
    expect(again.__typename === 'StartBlocked' && again.reason.code).toBe('RESTORE_RUN_NOT_READY');
  });

  it('restore: every item failing -> FAILED, restore run FAILED; executing it again is RESTORE_RUN_NOT_READY', async () => {
    await setSimulation(alpineConnection, { failItems: await restoreItemNames() });
    const runId = acceptedRunId(await restore());
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('FAILED');
    expect(summaryOf(run)).toEqual({ total: 6, succeeded: 0, failed: 6, skipped: 0 });
    expect(run.reasonCode).toBe('RESTORE_ITEMS_FAILED');
    expect(run.reasonMessage).toBe('every restore item failed to apply');
    expect((await world.services.prisma.restoreRun.findUniqueOrThrow({ where: { id: alpineRestore } })).status).toBe(
      'FAILED',
    );
    expect((await expectOneNotification(runId, OWNER)).title).toBe('Restore on Alpine failed');

    const again = resultOf(await restore());
    expect(again.__typename).toBe('StartBlocked');
    if (again.__typename !== 'StartBlocked') return;
    expect(again.reason.code).toBe('RESTORE_RUN_NOT_READY');
    // The blocked start is recorded, never queued, never notified.
    expect(await world.services.dispatcher.getJob(again.run.id)).toBeUndefined();
    expect(await notificationsFor(again.run.id)).toHaveLength(0);
  });
});

// ---- pinning and the pre-execute guard -----------------------------------------------------

describe('pinned connection', () => {
  it('executes with the connection pinned at admission, not the default changed afterwards', async () => {
    const prisma = world.services.prisma;
    await setSimulation(birchSecondary, { groupCount: 7 });
    const runId = acceptedRunId(await groupSync(BIRCH, OWNER, birchSecondary));
    expect((await runRow(runId)).providerConnectionId).toBe(birchSecondary);

    // Before any worker runs: the tenant gets a new, usable default connection listing 3 groups
    // (the old default first stops being one: one default per tenant is a unique index).
    await prisma.providerConnection.update({ where: { id: birchPrimary }, data: { isDefault: false } });
    const replacement = await prisma.providerConnection.create({
      data: {
        tenantId: BIRCH,
        displayName: 'Birch Graph (new default)',
        provider: 'SIMULATED',
        enabled: true,
        credentialState: 'VALID',
        isDefault: true,
        simulation: { groupCount: 3 },
      },
    });
    try {
      await runWorkers();
      const run = await waitTerminal(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.providerConnectionId).toBe(birchSecondary);
      expect(summaryOf(run)).toEqual({ total: 7, succeeded: 7, failed: 0, skipped: 0 });
      expect(await groupRows(BIRCH)).toHaveLength(7);
      const job = await world.services.dispatcher.getJob(runId);
      expect(job?.data).toEqual({ runId, providerConnectionId: birchSecondary });
      const viaGraphql = await world.gql(OperationRunById, { id: runId });
      expect(viaGraphql.data!.operationRun!.providerConnection).toEqual({ id: birchSecondary });

      // Control: a start without an explicit connection now resolves (and uses) the new default.
      const defaultRunId = acceptedRunId(await groupSync(BIRCH));
      const defaultRun = await waitTerminal(defaultRunId);
      expect(defaultRun.providerConnectionId).toBe(replacement.id);
      expect(summaryOf(defaultRun)).toEqual({ total: 3, succeeded: 3, failed: 0, skipped: 0 });
      expect(await groupRows(BIRCH)).toHaveLength(3);
    } finally {
      await prisma.providerConnection.delete({ where: { id: replacement.id } });
    }
  });

  it('pre-execute guard: a pinned connection disabled after admission fails the run before calling the provider', async () => {
    // Groups from an earlier sync: the guarded run must leave them exactly as they are.
    const seededId = acceptedRunId(await groupSync(ALPINE));
    await runWorkers();
    expect((await waitTerminal(seededId)).status).toBe('SUCCEEDED');
    await stopWorkers();
    const before = await groupRows(ALPINE);
    expect(before).toHaveLength(await defaultGroupCount(ALPINE));

    await setSimulation(alpineConnection, { groupCount: 2 });
    const runId = acceptedRunId(await groupSync(ALPINE));
    await world.services.prisma.providerConnection.update({
      where: { id: alpineConnection },
      data: { enabled: false },
    });
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('FAILED');
    expect(run.reasonCode).toBe('PROVIDER_CONNECTION_DISABLED');
    expect(run.reasonMessage).toBe('the provider connection is disabled');
    expect(run.attempts).toBe(0);
    expect(run.startedAt).toBeNull();
    expect(run.finishedAt).not.toBeNull();
    expect(summaryOf(run)).toEqual(ZERO);
    expect(await groupRows(ALPINE)).toEqual(before);
    expect((await expectOneNotification(runId, OWNER)).title).toBe('Group sync on Alpine failed');
  });

  it('pre-execute guard: credentials expired after admission -> FAILED PROVIDER_CREDENTIALS_EXPIRED, attempts 0', async () => {
    const runId = acceptedRunId(await roleSync(ALPINE));
    await world.services.prisma.providerConnection.update({
      where: { id: alpineConnection },
      data: { credentialState: 'EXPIRED' },
    });
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('FAILED');
    expect(run.reasonCode).toBe('PROVIDER_CREDENTIALS_EXPIRED');
    expect(run.attempts).toBe(0);
    expect(run.startedAt).toBeNull();
    expect(await world.services.prisma.roleDefinition.count({ where: { tenantId: ALPINE } })).toBe(0);
  });
  it('pre-execute guard: a pinned connection deleted after admission -> FAILED PROVIDER_CONNECTION_MISSING', async () => {
    const runId = acceptedRunId(await verification(ALPINE));
    await world.services.prisma.providerConnection.delete({ where: { id: alpineConnection } });
    expect((await runRow(runId)).providerConnectionId).toBeNull();
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('FAILED');
    expect(run.reasonCode).toBe('PROVIDER_CONNECTION_MISSING');
    expect(run.attempts).toBe(0);
    expect(run.startedAt).toBeNull();
    expect((await world.services.prisma.tenant.findUniqueOrThrow({ where: { id: ALPINE } })).verifiedAt).toBeNull();
    // (world.reset() in the next beforeEach re-creates the seeded connection.)
  });
});

// ---- retries -------------------------------------------------------------------------------

describe('retries of transient provider errors', () => {
  it('throttled twice, then succeeds on attempt 3', async () => {
    await setSimulation(alpineConnection, { throttle: 2 });
    const runId = acceptedRunId(await groupSync(ALPINE));
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts).toBe(3);
    expect(run.reasonCode).toBeNull();
    const expected = await defaultGroupCount(ALPINE);
    expect(summaryOf(run)).toEqual({ total: expected, succeeded: expected, failed: 0, skipped: 0 });
    expect(await groupRows(ALPINE)).toHaveLength(expected);
    await expectOneNotification(runId, OWNER);
  });

  it('unavailable once (HTTP 503), then succeeds on attempt 2', async () => {
    await setSimulation(alpineConnection, { unavailable: 1 });
    const runId = acceptedRunId(await roleSync(ALPINE));
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts).toBe(2);
  });

  it('throttled on every attempt: FAILED PROVIDER_THROTTLED after RUN_MAX_ATTEMPTS (4)', async () => {
    expect(world.config.RUN_MAX_ATTEMPTS).toBe(4);
    await setSimulation(alpineConnection, { throttle: 10 });
    const runId = acceptedRunId(await groupSync(ALPINE));
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('FAILED');
    expect(run.reasonCode).toBe('PROVIDER_THROTTLED');
    expect(run.attempts).toBe(4);
    expect(summaryOf(run)).toEqual(ZERO);
    expect(await groupRows(ALPINE)).toHaveLength(0);
    expect((await expectOneNotification(runId, OWNER)).title).toBe('Group sync on Alpine failed');
  });

  it('auth failure is permanent: FAILED PROVIDER_AUTH_FAILED on attempt 1, no retry', async () => {
    await setSimulation(alpineConnection, { authFailure: true });
    const runId = acceptedRunId(await groupSync(ALPINE));
    await runWorkers();
    const run = await waitTerminal(runId);
    expect(run.status).toBe('FAILED');
    expect(run.reasonCode).toBe('PROVIDER_AUTH_FAILED');
    expect(run.attempts).toBe(1);
    expect(summaryOf(run)).toEqual(ZERO);
    const viaGraphql = await world.gql(OperationRunById, { id: runId });
    expect(viaGraphql.data!.operationRun!.reason).toEqual({
      code: 'PROVIDER_AUTH_FAILED',
      message: "The provider rejected the connection's credentials",
      nextSteps: [
        {
          label: 'Renew credentials',
          action: 'RENEW_CREDENTIALS',
          url: `/tenants/${ALPINE}/provider-connections/${alpineConnection}`,
        },
        {
          label: 'Run a connection check',
          action: 'START_CONNECTION_CHECK',
          url: `/tenants/${ALPINE}/provider-connections/${alpineConnection}`,
        },
      ],
    });
  });
});

// ---- onboarding bootstrap ------------------------------------------------------------------

async function stepsOf(parentId: string): Promise<OperationRun[]> {
  return world.services.prisma.operationRun.findMany({ where: { parentId }, orderBy: { step: 'asc' } });
}

describe('onboarding bootstrap', () => {
  it('runs its steps in order, holds the scope meanwhile, succeeds 3/3 and sets Elm ACTIVE', async () => {
    // Slow enough that the chain can be observed mid-flight.
    await setSimulation(elmConnection, { latencyMs: 250 });
    const parentId = acceptedRunId(await bootstrap(ELM));

    // While the bootstrap is active, other starts on Elm are SCOPE_BUSY naming the parent.
    const busy = resultOf(await groupSync(ELM, OPERATOR));
    expect(busy.__typename).toBe('StartScopeBusy');
    if (busy.__typename !== 'StartScopeBusy') return;
    expect(busy.status).toBe('SCOPE_BUSY');
    expect(busy.blockingRun.id).toBe(parentId);
    expect(busy.blockingRun.type).toBe('ONBOARDING_BOOTSTRAP');
    expect(busy.message).toBe('Group sync not started: Onboarding bootstrap is in progress on this tenant');
    expect(busy.runUrl).toBe(`https://atlas.example/operations/runs/${parentId}`);

    await runWorkers();
    // Step 2 (a group sync on Elm's connection) is running: an outside group sync is still
    // SCOPE_BUSY on the parent, never deduped onto the step.
    const steps = await stepsOf(parentId);
    await waitStatus(steps[1].id, 'RUNNING');
    const during = resultOf(await groupSync(ELM, OPERATOR));
    expect(during.__typename === 'StartScopeBusy' && during.blockingRun.id).toBe(parentId);
    const duringVerification = resultOf(await verification(ELM, OPERATOR));
    expect(duringVerification.__typename === 'StartScopeBusy' && duringVerification.blockingRun.id).toBe(parentId);

    const parent = await waitTerminal(parentId);
    expect(parent.status).toBe('SUCCEEDED');
    expect(summaryOf(parent)).toEqual({ total: 3, succeeded: 3, failed: 0, skipped: 0 });
    expect(parent.reasonCode).toBeNull();

    const children = await stepsOf(parentId);
    expect(children.map((c) => [c.step, c.type, c.status])).toEqual([
      [1, 'TENANT_VERIFICATION', 'SUCCEEDED'],
      [2, 'DIRECTORY_GROUPS_SYNC', 'SUCCEEDED'],
      [3, 'ROLE_DEFINITIONS_SYNC', 'SUCCEEDED'],
    ]);
    const elmGroups = await defaultGroupCount(ELM);
    expect(children.map(summaryOf)).toEqual([
      { total: 2, succeeded: 2, failed: 0, skipped: 0 },
      { total: elmGroups, succeeded: elmGroups, failed: 0, skipped: 0 },
      { total: 7, succeeded: 7, failed: 0, skipped: 0 },
    ]);
    for (const child of children) {
      expect(child.providerConnectionId).toBe(elmConnection);
      expect(child.initiatorId).toBe(ids.user(OWNER));
      expect(child.attempts).toBe(1);
      expect(child.startedAt).not.toBeNull();
      expect(child.finishedAt).not.toBeNull();
    }
    expect(children[0].startedAt!.getTime()).toBeGreaterThanOrEqual(parent.startedAt!.getTime());
    for (let i = 1; i < children.length; i++) {
      expect(children[i].startedAt!.getTime()).toBeGreaterThanOrEqual(children[i - 1].finishedAt!.getTime());
    }
    expect(parent.finishedAt!.getTime()).toBeGreaterThanOrEqual(children[2].finishedAt!.getTime());

    const tenant = await world.services.prisma.tenant.findUniqueOrThrow({ where: { id: ELM } });
    expect(tenant.status).toBe('ACTIVE');
    expect(tenant.verifiedAt).not.toBeNull();
    expect(await groupRows(ELM)).toHaveLength(elmGroups);
    expect(await world.services.prisma.roleDefinition.count({ where: { tenantId: ELM } })).toBe(7);

    // Exactly one notification: the parent's, to its initiator. The blocked starts above made none.
    const all = await world.services.prisma.notification.findMany();
    expect(all).toHaveLength(1);
    expect(all[0].runId).toBe(parentId);
    expect(all[0].userId).toBe(ids.user(OWNER));
    expect(all[0].title).toBe('Onboarding bootstrap on Elm succeeded');
    expect(all[0].body).toMatch(/^Onboarding bootstrap on Elm succeeded\. 3 of 3 steps succeeded\. /);

    // The scope is free again.
    const after = resultOf(await groupSync(ELM, OPERATOR));
    expect(after.__typename).toBe('StartAccepted');
  });

  it('stops at a failed first step: later steps CANCELLED, parent FAILED naming "Tenant verification", Elm stays ONBOARDING', async () => {
    await setSimulation(elmConnection, { authFailure: true });
    const parentId = acceptedRunId(await bootstrap(ELM));
    await runWorkers();
    const parent = await waitTerminal(parentId);
    expect(parent.status).toBe('FAILED');
    expect(parent.reasonCode).toBe('BOOTSTRAP_STEP_FAILED');
    expect(parent.reasonMessage).toBe('the Tenant verification step failed');
    expect(parent.reasonMessage).toContain('Tenant verification');
    expect(summaryOf(parent)).toEqual({ total: 3, succeeded: 0, failed: 1, skipped: 2 });

    const children = await stepsOf(parentId);
    expect(children.map((c) => [c.step, c.type, c.status, c.reasonCode])).toEqual([
      [1, 'TENANT_VERIFICATION', 'FAILED', 'PROVIDER_AUTH_FAILED'],
      [2, 'DIRECTORY_GROUPS_SYNC', 'CANCELLED', 'CANCELLED_AFTER_FAILED_STEP'],
      [3, 'ROLE_DEFINITIONS_SYNC', 'CANCELLED', 'CANCELLED_AFTER_FAILED_STEP'],
    ]);
    expect(children[0].attempts).toBe(1);
    for (const cancelled of children.slice(1)) {
      expect(cancelled.reasonMessage).toBe('not run because the Tenant verification step failed');
      expect(cancelled.attempts).toBe(0);
      expect(cancelled.startedAt).toBeNull();
      expect(cancelled.finishedAt).not.toBeNull();
    }

    const tenant = await world.services.prisma.tenant.findUniqueOrThrow({ where: { id: ELM } });
    expect(tenant.status).toBe('ONBOARDING');
    expect(tenant.verifiedAt).toBeNull();
    expect(await groupRows(ELM)).toHaveLength(0);

    const all = await world.services.prisma.notification.findMany();
    expect(all).toHaveLength(1);
    expect(all[0].runId).toBe(parentId);
    expect(all[0].title).toBe('Onboarding bootstrap on Elm failed');
  });

  it('stops at a failed group sync step: step 1 kept, step 3 CANCELLED, parent FAILED naming "Group sync"', async () => {
    // The simulated provider applies faults to every call, so this provider fails only listGroups (permanently).
    const provider: Provider = new (class extends SimulatedProvider {
      override async listGroups(): Promise<never> {
        throw new ProviderError('PROVIDER_PERMISSION_DENIED', 'Insufficient privileges to list groups', false);
      }
    })(0);
    const parentId = acceptedRunId(await bootstrap(ELM));
    await runWorkers(provider);
    const parent = await waitTerminal(parentId);
    expect(parent.status).toBe('FAILED');
    expect(parent.reasonCode).toBe('BOOTSTRAP_STEP_FAILED');
    expect(parent.reasonMessage).toBe('the Group sync step failed');
    expect(summaryOf(parent)).toEqual({ total: 3, succeeded: 1, failed: 1, skipped: 1 });
    const children = await stepsOf(parentId);
    expect(children.map((c) => [c.step, c.status, c.reasonCode])).toEqual([
      [1, 'SUCCEEDED', null],
      [2, 'FAILED', 'PROVIDER_PERMISSION_DENIED'],
      [3, 'CANCELLED', 'CANCELLED_AFTER_FAILED_STEP'],
    ]);
    expect(children[2].reasonMessage).toBe('not run because the Group sync step failed');
    const tenant = await world.services.prisma.tenant.findUniqueOrThrow({ where: { id: ELM } });
    expect(tenant.status).toBe('ONBOARDING');
    expect(tenant.verifiedAt).not.toBeNull();
    expect(await notificationsFor(children[1].id)).toHaveLength(0);
    await expectOneNotification(parentId, OWNER);
  });
});

// ---- notifications -------------------------------------------------------------------------

describe('notifications', () => {
  it('one per accepted top-level run at its terminal state, to the initiator only; none for blocked starts', async () => {
    const operatorRunId = acceptedRunId(await groupSync(ALPINE, OPERATOR));
    const managerRunId = acceptedRunId(await verification(ELM, MANAGER));
    const blocked = resultOf(await groupSync(CEDAR, MANAGER));
    expect(blocked.__typename === 'StartBlocked' && blocked.reason.code).toBe('PROVIDER_CONNECTION_MISSING');
    const blockedDune = resultOf(await groupSync(DUNE, OPERATOR));
    expect(blockedDune.__typename === 'StartBlocked' && blockedDune.reason.code).toBe('PROVIDER_CONSENT_REQUIRED');
    // None at queue time.
    expect(await world.services.prisma.notification.count()).toBe(0);

    await runWorkers();
    await waitTerminal(operatorRunId);
    await waitTerminal(managerRunId);

    const all = await world.services.prisma.notification.findMany({ orderBy: { createdAt: 'asc' } });
    expect(all).toHaveLength(2);
    const forOperator = await expectOneNotification(operatorRunId, OPERATOR);
    expect(forOperator.title).toBe('Group sync on Alpine succeeded');
    const groups = await defaultGroupCount(ALPINE);
    expect(forOperator.body).toBe(
      `Group sync on Alpine succeeded. ${groups} of ${groups} items succeeded. https://atlas.example/operations/runs/${operatorRunId}`,
    );
    const forManager = await expectOneNotification(managerRunId, MANAGER);
    expect(forManager.title).toBe('Tenant verification on Elm succeeded');

    // Through GraphQL: each member sees exactly their own.
    const operatorView = await world.gql(Notifications, {}, OPERATOR);
    expect(operatorView.data!.notifications.map((n) => [n.run.id, n.run.status, n.url])).toEqual([
      [operatorRunId, 'SUCCEEDED', `https://atlas.example/operations/runs/${operatorRunId}`],
    ]);
    expect((await world.gql(Notifications, {}, MANAGER)).data!.notifications.map((n) => n.run.id)).toEqual([
      managerRunId,
    ]);
    expect((await world.gql(Notifications, {}, OWNER)).data!.notifications).toEqual([]);

    // Nothing more arrives later (no duplicate from a second transition or a job event): a run
    // started now goes through the same workers and adds its one notification, and only that.
    const markerId = acceptedRunId(await roleSync(ALPINE, OPERATOR));
    await waitTerminal(markerId);
    await expectOneNotification(markerId, OPERATOR);
    expect(await world.services.prisma.notification.count()).toBe(3);
  });
});

// ---- racepoints ----------------------------------------------------------------------------

/** A racepoint that holds whoever reaches it until released, and says with what it was reached. */
function holdPoint<T>() {
  let reached!: (value: T) => void;
  let release!: () => void;
  const at = new Promise<T>((r) => (reached = r));
  const released = new Promise<void>((r) => (release = r));
  const point = async (value: T) => {
    reached(value);
    await released;
  };
  return { at, release, point };
}

describe('worker racepoints', () => {
  it('holds a run after markRunning and before finish, each observable, then lets it end', async () => {
    const events = await recordRunEvents(world.services.bus, ids.workspace('Contoso MSP'));
    const afterMarkRunning = holdPoint<OperationRun>();
    const beforeFinish = holdPoint<{ runId: string; status: string; total?: number }>();
    try {
      const runId = acceptedRunId(await groupSync(ALPINE));
      await runWorkers(undefined, {
        afterMarkRunning: afterMarkRunning.point,
        beforeFinish: (id, result) =>
          beforeFinish.point({ runId: id, status: result.status, total: result.summary?.total }),
      });

      // Held after QUEUED -> RUNNING: the row and the published event say RUNNING; the provider was not called.
      expect((await afterMarkRunning.at).id).toBe(runId);
      const running = await runRow(runId);
      expect([running.status, running.attempts, running.startedAt !== null]).toEqual(['RUNNING', 1, true]);
      await waitFor(() => events.statusesOf(runId).includes('RUNNING'), { what: 'the RUNNING event' });
      expect(await groupRows(ALPINE)).toHaveLength(0);
      afterMarkRunning.release();

      // Held with its outcome decided (the handler wrote its rows) but not recorded: still RUNNING.
      const listed = await listedGroups(ALPINE);
      expect(await beforeFinish.at).toEqual({ runId, status: 'SUCCEEDED', total: listed.length });
      expect((await runRow(runId)).status).toBe('RUNNING');
      expect(await groupRows(ALPINE)).toHaveLength(listed.length);
      expect(await notificationsFor(runId)).toHaveLength(0);
      beforeFinish.release();

      expect((await waitTerminal(runId)).status).toBe('SUCCEEDED');
      await waitFor(() => events.statusesOf(runId).includes('SUCCEEDED'), { what: 'the SUCCEEDED event' });
      // The whole stream: nothing was published while the run was held before finish.
      expect(events.statusesOf(runId)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
      await expectOneNotification(runId, OWNER);
    } finally {
      afterMarkRunning.release();
      beforeFinish.release();
      await events.stop();
    }
  });
});

// ---- reconciler ----------------------------------------------------------------------------

describe('reconciler', () => {
  it('re-dispatches an admitted run whose job is missing; the run then succeeds', async () => {
    const runId = acceptedRunId(await groupSync(ALPINE));
    const queue = world.services.dispatcher;
    expect(await queue.getJob(runId)).toBeDefined();
    await queue.remove(runId);
    expect(await queue.getJob(runId)).toBeUndefined();

    const w = await runWorkers();
    // The workers' own reconciler leaves young runs alone (its grace period): nothing to repair yet.
    expect(await w.reconciler.sweep()).toEqual({ redispatched: 0, failed: 0 });
    expect((await runRow(runId)).status).toBe('QUEUED');

    const reconciler = new Reconciler(
      world.services.prisma,
      world.services.dispatcher,
      w.executor,
      world.services.log,
      600_000,
      0,
    );
    expect(await reconciler.sweep()).toEqual({ redispatched: 1, failed: 0 });
    const run = await waitTerminal(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts).toBe(1);
    const job = await queue.getJob(runId);
    expect(job?.data).toEqual({ runId, providerConnectionId: alpineConnection });
    await expectOneNotification(runId, OWNER);

    // Nothing left to repair.
    expect(await reconciler.sweep()).toEqual({ redispatched: 0, failed: 0 });
  });

  it('fails a RUNNING run whose job is gone as WORKER_LOST', async () => {
    const runId = acceptedRunId(await groupSync(ALPINE));
    await world.services.dispatcher.remove(runId);
    // What a worker that died after taking the run leaves behind: RUNNING, and no job.
    await world.services.lifecycle.markRunning(runId);
    const w = await runWorkers();
    const reconciler = new Reconciler(
      world.services.prisma,
      world.services.dispatcher,
      w.executor,
      world.services.log,
      600_000,
      0,
    );
    expect(await reconciler.sweep()).toEqual({ redispatched: 0, failed: 1 });
    const run = await runRow(runId);
    expect(run.status).toBe('FAILED');
    expect(run.reasonCode).toBe('WORKER_LOST');
    expect(run.attempts).toBe(1);
    await expectOneNotification(runId, OWNER);
  });
});
