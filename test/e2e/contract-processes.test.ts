// Contract rules (docs/behaviour.md: catalogue, starting an operation, transport) that only real processes can show: the run
// subscription delivers a bootstrap's steps, a second restore while one runs, `npm run token`,
// the production JWT_SECRET refusal, and, on a private throwaway PostgreSQL cluster, `npm start`
// on an empty database and `/ready` while PostgreSQL is down. One API and one worker process
// serve the file's world; the private cluster gets its own API process.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET, loadConfig } from '../../src/config.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { httpGql, runUpdates, wsSubscribe, type Recorded } from '../support/clients.js';
import { uniqueName } from '../support/databases.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-services.js';
import { runAtlasUntilExit, spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { channelSubscribers, deleteRedisPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OWNER = 'owner@contoso.test';
const ALPINE = ids.tenant('Alpine');
const ELM = ids.tenant('Elm');

let world: World;
let api: AtlasProcess;
let worker: AtlasProcess;
const subscriptions: Recorded[] = [];

beforeAll(async () => {
  // Provider calls slow enough to be seen mid-run, fast enough that a bootstrap ends within seconds.
  world = await createWorld({ SIM_LATENCY_MS: 300 });
  [api, worker] = await Promise.all([spawnAtlas('api', world.config), spawnAtlas('worker', world.config)]);
}, 90_000);
afterAll(async () => {
  for (const s of subscriptions) await s.client.dispose();
  await Promise.all([api?.stop(), worker?.stop()]);
  await world?.close();
});

const gql = async (query: string, variables: Record<string, unknown> = {}, as = OWNER) =>
  httpGql(api.url, await world.token(as), query, variables);
const START = `__typename ... on StartOutcome { status message } ... on StartAccepted { run { id } } ... on StartDeduped { run { id status } } ... on StartScopeBusy { blockingRun { id } }`;
const runStatus = async (id: string) =>
  (await gql('query($id: ID!) { operationRun(id: $id) { status } }', { id })).data.operationRun.status as string;
const terminal = (id: string) =>
  waitFor(async () => !['QUEUED', 'RUNNING'].includes(await runStatus(id)), {
    timeoutMs: 20_000,
    what: `run ${id} to end`,
  });

describe('operationRunUpdated(runId:)', () => {
  it("delivers each step's transitions of a bootstrap, in order, ending with the bootstrap SUCCEEDED", async () => {
    const queue = world.services.dispatcher;
    const channel = world.services.bus.runsTopic(ids.workspace('Contoso MSP'));
    const listeners = async () => channelSubscribers(world.services.redis, channel);
    // The API process listens on the run channel only while someone subscribes: the count going
    // from 0 to 1 is the signal that this subscription is live.
    expect(
      await listeners(),
      'the API listens on the run channel before any subscription: wait on another readiness signal',
    ).toBe(0);

    // Jobs wait in the paused queue until the subscription is live, so no transition is missed.
    await queue.pause();
    let runId: string;
    let alpineSync: string;
    const token = await world.token(OWNER);
    try {
      runId = (
        await gql(`mutation($t: ID!) { result: startOnboardingBootstrap(tenantId: $t) { ${START} } }`, { t: ELM })
      ).data.result.run.id;
      // Another run at the same time, on another tenant: the subscription must leave it out.
      alpineSync = (
        await gql(`mutation($t: ID!) { result: startDirectorySync(tenantId: $t) { ${START} } }`, { t: ALPINE })
      ).data.result.run.id;
      const sub = wsSubscribe(
        api.port,
        token,
        'subscription($r: ID) { operationRunUpdated(runId: $r) { id type status step parent { id } } }',
        { r: runId },
      );
      subscriptions.push(sub);
      await waitFor(async () => (await listeners()) === 1, { what: 'the subscription to listen on Redis' });
    } finally {
      await queue.resume();
    }

    const updates = () => runUpdates(subscriptions[0].events);
    await waitFor(() => updates().some((u) => u.id === runId && u.status === 'SUCCEEDED'), {
      timeoutMs: 20_000,
      what: 'the bootstrap to succeed',
    });
    await terminal(alpineSync);
    expect(subscriptions[0].errors).toEqual([]);
    expect(updates().map((u) => `${u.step ? `step ${u.step} ${u.type}` : 'bootstrap'}: ${u.status}`)).toEqual([
      'bootstrap: RUNNING',
      'step 1 TENANT_VERIFICATION: RUNNING',
      'step 1 TENANT_VERIFICATION: SUCCEEDED',
      'step 2 DIRECTORY_GROUPS_SYNC: RUNNING',
      'step 2 DIRECTORY_GROUPS_SYNC: SUCCEEDED',
      'step 3 ROLE_DEFINITIONS_SYNC: RUNNING',
      'step 3 ROLE_DEFINITIONS_SYNC: SUCCEEDED',
      'bootstrap: SUCCEEDED',
    ]);
    for (const u of updates()) expect(u.id === runId || u.parent?.id === runId, JSON.stringify(u)).toBe(true);
  });
});

describe('a second restore while one runs', () => {
  it('the same restore run is ALREADY_RUNNING pointing at the running one; another restore run of the tenant is SCOPE_BUSY', async () => {
    const startRestore = `mutation($r: ID!) { result: startRestore(restoreRunId: $r) { ${START} } }`;
    // Restore items are light calls (a quarter of the latency): slow Alpine's connection down so the
    // six items keep the restore RUNNING for about two seconds.
    const alpineGraph = { id: ids.connection('Alpine', 'Alpine Graph') };
    await world.services.prisma.providerConnection.update({
      where: alpineGraph,
      data: { simulation: { latencyMs: 1_200 } },
    });
    const first = (await gql(startRestore, { r: ids.restoreRun('Alpine') })).data.result;
    expect(first.__typename).toBe('StartAccepted');
    await waitFor(async () => (await runStatus(first.run.id)) === 'RUNNING', { what: 'the restore to run' });

    const again = (await gql(startRestore, { r: ids.restoreRun('Alpine') }, 'manager@contoso.test')).data.result;
    expect(again).toEqual({
      __typename: 'StartDeduped',
      status: 'ALREADY_RUNNING',
      message: 'Restore already running',
      run: { id: first.run.id, status: 'RUNNING' },
    });

    const second = await world.services.prisma.restoreRun.create({
      data: { tenantId: ALPINE, name: 'Alpine second restore', status: 'READY', items: [] },
    });
    const busy = (await gql(startRestore, { r: second.id })).data.result;
    expect(busy).toEqual({
      __typename: 'StartScopeBusy',
      status: 'SCOPE_BUSY',
      message: 'Restore not started: Restore is in progress on this tenant',
      blockingRun: { id: first.run.id },
    });
    expect(await world.services.prisma.operationRun.count({ where: { type: 'RESTORE_EXECUTE' } })).toBe(1);

    // Control: once the first restore has ended, the other restore run is admitted.
    await terminal(first.run.id);
    const later = (await gql(startRestore, { r: second.id })).data.result;
    expect(later.__typename).toBe('StartAccepted');
    await terminal(later.run.id);
    await world.services.prisma.providerConnection.update({ where: alpineGraph, data: { simulation: Prisma.DbNull } });
  });
});

describe('npm run token', () => {
  it('prints a token that the API accepts for that user', async () => {
    const child = spawn('npm', ['run', '-s', 'token', '--', 'operator@contoso.test'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: world.databaseUrl, JWT_SECRET: world.config.JWT_SECRET, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await new Promise((resolve) => child.once('close', resolve)), stderr).toBe(0);
    const answer = await httpGql(api.url, stdout.trim(), '{ me { email } }');
    expect(answer).toEqual({ data: { me: { email: 'operator@contoso.test' } } });
  });
});

describe('JWT_SECRET in production', () => {
  it('loadConfig refuses NODE_ENV=production without a JWT_SECRET (or with the development default), naming JWT_SECRET', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET })).toThrow(/JWT_SECRET/);
    // Control: a real secret is accepted.
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-real-production-secret-0123456789' }).JWT_SECRET).toBe(
      'a-real-production-secret-0123456789',
    );
  });

  it('a process started that way exits 1 with one JSON fatal line naming JWT_SECRET, before serving', async () => {
    const exit = await runAtlasUntilExit(world.config, { NODE_ENV: 'production', JWT_SECRET: '' });
    const output = `${exit.stdout}${exit.stderr}`;
    expect(exit.code, output).toBe(1);
    const records = output
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    const fatal = records.filter((r) => r.level === 60);
    expect(fatal, output).toHaveLength(1);
    expect(fatal[0].msg).toContain('JWT_SECRET');
    expect(output).not.toContain('API listening');
  });
});

describe('on a private PostgreSQL cluster', () => {
  let cluster: PrivatePostgres | undefined;
  let fresh: AtlasProcess | undefined;
  const prefix = uniqueName('atlas-test');
  afterAll(async () => {
    await fresh?.stop();
    await cluster?.close(); // the cluster, and with it the database the process created
    await deleteRedisPrefix(world.config.REDIS_URL, prefix);
  });

  it('`npm start` on a database that does not exist creates, migrates and seeds it; /ready is 503 while PostgreSQL is down, 200 when back', async () => {
    cluster = await startPrivatePostgres();
    const database = uniqueName('atlas_gate_start');
    const sql = async <T extends pg.QueryResultRow>(db: string, text: string, values: unknown[] = []) => {
      const client = new pg.Client({ connectionString: cluster!.url(db) });
      await client.connect();
      try {
        return (await client.query<T>(text, values)).rows;
      } finally {
        await client.end();
      }
    };
    expect(await sql('postgres', 'SELECT 1 FROM pg_database WHERE datname = $1', [database])).toEqual([]);

    // What `npm start` runs (src/main.ts with the script's NODE_ENV=development, which seeds an empty
    // database), as the API alone, with its own Redis prefix.
    fresh = await spawnAtlas(
      'api',
      { ...world.config, DATABASE_URL: cluster.url(database), REDIS_PREFIX: prefix },
      { NODE_ENV: 'development' },
    );
    const migrations = readdirSync(path.join(ROOT, 'prisma/migrations'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    const applied = await sql<{ name: string }>(
      database,
      'SELECT migration_name AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY 1',
    );
    expect(applied.map((r) => r.name)).toEqual(migrations.sort());
    // Seeded: the contract's demo tenants, readable with a token for a seeded user.
    const tenants = await httpGql(fresh.url, await world.token(OWNER), '{ tenants { name status } }');
    expect(tenants.data.tenants).toEqual([
      { name: 'Alpine', status: 'ACTIVE' },
      { name: 'Birch', status: 'ACTIVE' },
      { name: 'Cedar', status: 'ACTIVE' },
      { name: 'Dune', status: 'ACTIVE' },
      { name: 'Elm', status: 'ONBOARDING' },
      { name: 'Fir', status: 'ARCHIVED' },
    ]);

    const ready = async () => {
      const res = await fetch(`${fresh!.url}/ready`);
      return [res.status, await res.json()];
    };
    expect(await ready()).toEqual([200, { ok: true, postgres: 'ok', redis: 'ok', locks: '1/1 masters' }]);
    await cluster.stop();
    expect(await ready()).toEqual([503, { ok: false, postgres: 'unreachable', redis: 'ok', locks: '1/1 masters' }]);
    expect((await fetch(`${fresh.url}/health`)).status).toBe(200);
    await cluster.start();
    await waitFor(async () => (await ready())[0] === 200, { timeoutMs: 15_000, what: '/ready to recover' });
    expect(await ready()).toEqual([200, { ok: true, postgres: 'ok', redis: 'ok', locks: '1/1 masters' }]);
  }, 120_000);
});
