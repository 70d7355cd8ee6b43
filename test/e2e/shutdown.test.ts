// SIGTERM, as an orchestrator sends it, to real processes. An API process with an open WebSocket,
// an SSE stream and a start in flight (held on the tenant's row lock by this test): it stops
// accepting, answers /ready 503, closes the socket with 1012 Service Restart (graphql-ws clients
// reconnect), ends the SSE stream, lets the start finish, and exits 0 within SHUTDOWN_TIMEOUT_MS.
// A worker whose provider call hangs: it exits 0 within the bound without cancelling the run,
// and another worker takes the run over and completes it.
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseSubscribe, wsSubscribe } from '../support/clients.js';
import { type AtlasProcess, spawnAtlas } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';
import { StartDirectorySync } from '../support/documents.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;
let world: World;
const started: AtlasProcess[] = [];

beforeAll(async () => {
  world = await createWorld();
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  await world?.close();
});

const RUN_UPDATES = `subscription ($t: ID) { operationRunUpdated(tenantId: $t) { id status } }`;
const START_SYNC = JSON.stringify({
  query: 'mutation ($t: ID!) { startDirectorySync(tenantId: $t) { __typename ... on StartAccepted { run { id } } } }',
  variables: { t: ids.tenant('Alpine') },
});

/** Queries of this world's database waiting on a lock another transaction holds. */
async function lockWaiters(): Promise<number> {
  const rows = await world.services.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  return Number(rows[0].n);
}

/** A raw keep-alive HTTP/1.1 connection: a second request can follow the first on the same socket. */
function rawHttp(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (chunk) => (data += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => data, closed };
}

describe('SIGTERM to an API process', () => {
  it('drains: /ready 503, no new connections, WebSocket 1012, SSE ended, the in-flight start answered, exit 0 in time', async () => {
    const api = await spawnAtlas('api', world.config, { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
    started.push(api);
    const manager = await world.token('manager@contoso.test');
    const owner = await world.token('owner@contoso.test');
    const vars = { t: ids.tenant('Alpine') };
    const socket = wsSubscribe(api.port, manager, RUN_UPDATES, vars, 0, { ack: true });
    const sse = await sseSubscribe(api.url, manager, RUN_UPDATES, vars, { ack: true });
    await Promise.all([socket.live, sse.live]);

    // The start waits on Alpine's row, which this test holds, so it is in flight when SIGTERM comes.
    const holder = new pg.Client({ connectionString: world.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM "Tenant" WHERE id = $1 FOR UPDATE', [ids.tenant('Alpine')]);
    const http = rawHttp(api.port);
    http.socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${owner}\r\n` +
        `Content-Length: ${Buffer.byteLength(START_SYNC)}\r\n\r\n${START_SYNC}`,
    );
    await waitFor(async () => (await lockWaiters()) > 0, { what: 'the start to wait on the tenant row' });

    const signalled = Date.now();
    const exited = api.stop('SIGTERM');
    await waitFor(() => socket.closed.code, { what: 'the WebSocket to be closed' });
    expect(socket.closed.code).toBe(1012);
    await sse.ended; // ended by the server: the client reconnects (to another replica)
    await expect(fetch(`${api.url}/health`)).rejects.toThrow(); // the listener is closed
    // The same connection is still served while its request is in flight: readiness says "not me".
    http.socket.write('GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');

    await holder.query('COMMIT');
    await holder.end();
    await http.closed;
    const [first, second] = http.received().split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(first).toContain('"__typename":"StartAccepted"');
    expect(second).toMatch(/^HTTP\/1\.1 503/);
    expect(second).toContain('shutting down');

    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    // The start that was in flight is a committed, queued run.
    expect(await world.services.prisma.operationRun.count({ where: { status: 'QUEUED' } })).toBe(1);
    await socket.client.dispose();
  }, 60_000);
});

describe('SIGTERM to a worker whose provider call hangs', () => {
  it('exits 0 within the bound without cancelling the run; another worker takes it over', async () => {
    await world.reset();
    const grace = 3_000;
    const lease = { WORKER_LOCK_MS: '2000' };
    const stuck = await spawnAtlas('worker', world.config, {
      ...lease,
      SIM_LATENCY_MS: '120000', // every provider call "hangs" for two minutes
      SHUTDOWN_TIMEOUT_MS: String(grace),
    });
    started.push(stuck);
    const answer = await world.gql(StartDirectorySync, { tenantId: ids.tenant('Alpine') });
    const runId = answer.data?.result.__typename === 'StartAccepted' ? answer.data.result.run.id : '';
    expect(runId).not.toBe('');
    const row = () => world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: runId } });
    await waitFor(async () => (await row()).status === 'RUNNING', { timeoutMs: 20_000, what: 'the run to start' });

    const signalled = Date.now();
    expect(await stuck.stop('SIGTERM')).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(grace + 1_000);
    await waitFor(() => stuck.output.join('').includes('handing them back'), { what: 'the hand-back log line' });
    // Not a cancel: the job's signal was not aborted, so the run is still RUNNING, on attempt 1.
    expect(await row()).toMatchObject({ status: 'RUNNING', attempts: 1, cancelRequestedAt: null });

    const next = await spawnAtlas('worker', world.config, { ...lease, SIM_LATENCY_MS: '0' });
    started.push(next);
    const ended = await waitFor(
      async () => {
        const r = await row();
        return r.status === 'SUCCEEDED' ? r : null;
      },
      { timeoutMs: 20_000, what: 'the other worker to complete the run' },
    );
    expect(ended.attempts).toBe(2);
  }, 90_000);
});
