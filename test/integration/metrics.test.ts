// /metrics of an API process after a known sequence of starts and cancels: exact counter values per
// operation, status and reason, busy answers given without the scope lock (and one that needed it,
// held by a racepoint), cancels by answer, runs reaching a terminal state; the METRICS_TOKEN guard;
// and the x-request-id round trip.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ApiServer } from '../../src/server.js';
import { httpGql } from '../support/clients.js';
import { sample, scrape } from '../support/metrics.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
let world: World;
let api: ApiServer;
/** While set, the admission racepoint holds the next TENANT_VERIFICATION start (once) until `released`. */
let holdNextVerification: { reached: () => void; released: Promise<void> } | undefined;

beforeAll(async () => {
  world = await createWorld(
    { METRICS_TOKEN },
    {
      // A short lease, so a second start can take the lock while the first is held in its transaction.
      scopeLockTtlMs: 300,
      gate: {
        racepoints: {
          beforeInsert: async (req) => {
            const hold = req.type === 'TENANT_VERIFICATION' ? holdNextVerification : undefined;
            if (!hold) return;
            holdNextVerification = undefined;
            hold.reached();
            await hold.released;
          },
        },
      },
    },
  );
  api = await startServer(world.services, 0);
});

afterAll(async () => {
  await api?.close();
  await world?.close();
});

const SYNC = `mutation ($t: ID!) { startDirectorySync(tenantId: $t) { __typename ... on StartOutcome { status } ... on StartAccepted { run { id } } } }`;
const VERIFY = `mutation ($t: ID!) { startTenantVerification(tenantId: $t) { __typename ... on StartOutcome { status } } }`;
const RESTORE = `mutation ($r: ID!) { startRestore(restoreRunId: $r) { __typename ... on StartOutcome { status } } }`;
const CANCEL = `mutation ($id: ID!) { cancelOperationRun(runId: $id) { __typename } }`;

/** The queries of this world's database waiting on a row lock. */
async function lockWaiters(): Promise<number> {
  const rows = await world.services.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  return Number(rows[0].n);
}

describe('/metrics after a known sequence', () => {
  it('counts each decision exactly once, by operation, status and reason', async () => {
    const owner = await world.token('owner@contoso.test');
    const start = (query: string, vars: Record<string, unknown>) => httpGql(api.url, owner, query, vars);
    const alpine = ids.tenant('Alpine');

    const accepted = await start(SYNC, { t: alpine });
    expect(accepted.data.startDirectorySync.status).toBe('QUEUED');
    expect((await start(SYNC, { t: alpine })).data.startDirectorySync.status).toBe('ALREADY_RUNNING');
    expect((await start(RESTORE, { r: ids.restoreRun('Alpine') })).data.startRestore.status).toBe('SCOPE_BUSY');
    expect((await start(SYNC, { t: ids.tenant('Birch') })).data.startDirectorySync.status).toBe('BLOCKED');
    expect((await start(SYNC, { t: randomUUID() })).errors?.[0].extensions.code).toBe('NOT_FOUND');

    // A busy answer that needed the lock: the first verification is held inside its admission (row
    // lock taken, lease expiring); the second takes the expired lease, waits on the row, and answers
    // ALREADY_RUNNING once the first commits.
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      holdNextVerification = { reached: resolve, released: new Promise((r) => (release = r)) };
    });
    const first = start(VERIFY, { t: alpine });
    await reached;
    const second = start(VERIFY, { t: alpine });
    await waitFor(async () => (await lockWaiters()) > 0, { what: 'the second verification to wait on the tenant row' });
    release();
    expect((await first).data.startTenantVerification.status).toBe('QUEUED');
    expect((await second).data.startTenantVerification.status).toBe('ALREADY_RUNNING');

    const runId = accepted.data.startDirectorySync.run.id;
    expect((await start(CANCEL, { id: runId })).data.cancelOperationRun.__typename).toBe('RunCancelled');
    expect((await start(CANCEL, { id: runId })).data.cancelOperationRun.__typename).toBe('RunAlreadyFinished');
    expect((await start(CANCEL, { id: randomUUID() })).errors?.[0].extensions.code).toBe('NOT_FOUND');

    const text = await scrape(api.url, METRICS_TOKEN);
    const decisions = (operation: string, status: string, reason = '') =>
      sample(text, 'atlas_gate_decisions_total', { operation, status, reason });
    expect(decisions('DIRECTORY_GROUPS_SYNC', 'QUEUED')).toBe(1);
    expect(decisions('DIRECTORY_GROUPS_SYNC', 'ALREADY_RUNNING')).toBe(1);
    expect(decisions('RESTORE_EXECUTE', 'SCOPE_BUSY')).toBe(1);
    expect(decisions('DIRECTORY_GROUPS_SYNC', 'BLOCKED', 'PROVIDER_CONNECTION_DISABLED')).toBe(1);
    expect(decisions('DIRECTORY_GROUPS_SYNC', 'NOT_FOUND')).toBe(1);
    expect(decisions('TENANT_VERIFICATION', 'QUEUED')).toBe(1);
    expect(decisions('TENANT_VERIFICATION', 'ALREADY_RUNNING')).toBe(1);

    const withoutLock = (operation: string, status: string) =>
      sample(text, 'atlas_gate_busy_without_lock_total', { operation, status });
    expect(withoutLock('DIRECTORY_GROUPS_SYNC', 'ALREADY_RUNNING')).toBe(1);
    expect(withoutLock('RESTORE_EXECUTE', 'SCOPE_BUSY')).toBe(1);
    expect(withoutLock('TENANT_VERIFICATION', 'ALREADY_RUNNING')).toBeUndefined(); // it took the lock

    // Three admissions took the lock once each; the second verification met it held first.
    expect(sample(text, 'atlas_scope_lock_acquire_seconds_count', { result: 'acquired' })).toBe(3);
    expect(sample(text, 'atlas_scope_lock_acquire_seconds_count', { result: 'contended' })).toBeGreaterThan(0);
    expect(
      sample(text, 'atlas_gate_admission_seconds_count', { operation: 'DIRECTORY_GROUPS_SYNC', status: 'QUEUED' }),
    ).toBe(1);

    expect(sample(text, 'atlas_cancels_total', { answer: 'RunCancelled' })).toBe(1);
    expect(sample(text, 'atlas_cancels_total', { answer: 'RunAlreadyFinished' })).toBe(1);
    expect(sample(text, 'atlas_cancels_total', { answer: 'NOT_FOUND' })).toBe(1);

    // Terminal states reached in this process: the blocked start and the cancelled queued run.
    const finished = (type: string, status: string) => sample(text, 'atlas_runs_finished_total', { type, status });
    expect(finished('DIRECTORY_GROUPS_SYNC', 'BLOCKED')).toBe(1);
    expect(finished('DIRECTORY_GROUPS_SYNC', 'CANCELLED')).toBe(1);
    // Never RUNNING, so no duration.
    expect(
      sample(text, 'atlas_run_duration_seconds_count', { type: 'DIRECTORY_GROUPS_SYNC', status: 'CANCELLED' }),
    ).toBeUndefined();

    // Per-operation GraphQL timings, labelled by root field (never by the client's operation name).
    expect(
      sample(text, 'graphql_envelop_request_duration_count', {
        operationType: 'mutation',
        rootField: 'startDirectorySync',
      }),
    ).toBe(4);
  });

  it('counts client mistakes by their public code, not as unknown', async () => {
    const token = await world.token('reader@contoso.test');
    const invalid = await httpGql(api.url, token, '{ me { noSuchField } }');
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const unparsable = await httpGql(api.url, token, '{ me { id }');
    expect(unparsable.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const text = await scrape(api.url, METRICS_TOKEN);
    const errors = (phase: string, code: string) => sample(text, 'graphql_envelop_error_result', { phase, code });
    expect([errors('validate', 'GRAPHQL_VALIDATION_FAILED'), errors('parse', 'GRAPHQL_PARSE_FAILED')]).toEqual([1, 1]);
    expect(text).not.toMatch(/graphql_envelop_error_result\{[^}]*code="unknown"/);
  });

  it('needs the METRICS_TOKEN bearer when one is configured', async () => {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const text = await scrape(api.url, METRICS_TOKEN);
    expect(text).toContain('# TYPE atlas_gate_decisions_total counter');
  });
});

describe('request ids', () => {
  it("echoes the caller's x-request-id, and makes one up when it is missing or unusable", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    expect((await post({ 'x-request-id': 'spa-7f3a.42' })).headers.get('x-request-id')).toBe('spa-7f3a.42');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect((await post({})).headers.get('x-request-id')).toMatch(uuid);
    expect((await post({ 'x-request-id': 'has spaces; and="quotes"' })).headers.get('x-request-id')).toMatch(uuid);
    expect((await fetch(`${api.url}/health`)).headers.get('x-request-id')).toMatch(uuid);
  });
});
