// `npm run bench`: admission and fan-out figures on this machine (a benchmark, not a test).
// Starts two API processes and one worker process the way production would, on its own database
// (atlas_gate_bench, recreated each run) and Redis prefix, seeds 2,000 tenants, drives load from
// this process, prints a table and writes bench/results.json.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { seedDemo, stableId } from '../src/seed/demo.js';
import { TokenService } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { ensureDatabase, migrate } from '../src/db/migrate.js';
import { createPrisma } from '../src/db/prisma.js';
import { RUN_TENANT } from '../src/runs/change-order.js';
import { ROOT, spawnAtlas, type AtlasProcess } from '../test/support/processes.js';
import { startPrivateCluster } from '../test/support/private-services.js';
import { deleteRedisPrefix } from '../test/support/redis.js';
import { createTenants } from '../test/support/tenants.js';
import { MasterCommands } from './cluster.js';
import { withDb } from './db.js';
import { endActiveRuns, loadHistory, monitorQueryPlan } from './history.js';
import {
  cpuMs,
  cpuSnapshot,
  cpuSplit,
  type FanOutSetup,
  fanOutTo,
  groupsOf,
  keepAlive,
  RUN_ONLY,
  slowConsumer,
} from './realtime.js';

const TENANTS = 2_000;
/** The start phases' warm-up: blocks of single-client admissions on tenants 400..1,999. */
const WARM_UP_BLOCKS = 8;
const WARM_UP_BLOCK = 400;
const WARM_UP_TENANTS = 1_600;
const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/** a / b to two decimals. */
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
/** CPU ms per start (or per request), `starts` counted as at least one. */
const perStart = (cpuMs: number, starts = 0) => ratio(cpuMs, Math.max(starts, 1));
const PHASE_SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const base = loadConfig();
const dbUrl = new URL(base.DATABASE_URL);
dbUrl.pathname = '/atlas_gate_bench';
const config = {
  ...base,
  DATABASE_URL: dbUrl.toString(),
  REDIS_PREFIX: `atlas-bench-${process.pid}`,
  LOG_LEVEL: 'warn' as const,
  SIM_LATENCY_MS: 1500,
  // The processes run with NODE_ENV=production, which refuses the development secret.
  JWT_SECRET: 'atlas-gate-bench-only-secret-not-for-production',
  // One benchmark user sends thousands of starts a second: lift the per-user start limit.
  RATE_LIMIT_STARTS: 1_000_000,
};
const tokens = new TokenService(config.JWT_SECRET);

type Stats = { requests: number; seconds: number; rps: number; p50: number; p99: number; errors: number };

function stats(latencies: number[], seconds: number, errors: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pick = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
  return {
    requests: sorted.length,
    seconds: round(seconds),
    rps: round(sorted.length / seconds),
    p50: round(pick(0.5)),
    p99: round(pick(0.99)),
    errors,
  };
}
const round = (n: number) => Math.round(n * 10) / 10;

type Load = {
  url: string;
  token: string;
  clients: number;
  /** Run for this long... */
  seconds?: number;
  /** ...or send exactly this many requests. */
  amount?: number;
  /** The GraphQL request for the n-th request sent. */
  body: (n: number) => { query: string; variables?: Record<string, unknown> };
  /** Whether a response body is the expected answer; anything else counts as an error. */
  ok: (body: string) => boolean;
};

/**
 * HTTP load with autocannon (its own lean HTTP client: on two shared cores, a fetch-based load
 * generator took CPU the servers needed). Latency percentiles come from autocannon's histogram.
 */
async function drive(load: Load): Promise<Stats & { outcomes: Record<string, number> }> {
  let sent = 0;
  let errors = 0;
  let firstSent = 0;
  let lastDone = 0;
  const outcomes: Record<string, number> = {};
  const result = await autocannon({
    url: `${load.url}/graphql`,
    connections: load.clients,
    ...(load.amount ? { amount: load.amount } : { duration: load.seconds ?? PHASE_SECONDS }),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${load.token}` },
        setupRequest: (req) => {
          if (!sent) firstSent = performance.now();
          return { ...req, body: JSON.stringify(load.body(sent++)) };
        },
        onResponse: (status, body) => {
          lastDone = performance.now();
          const typename = /"__typename":"(\w+)"/.exec(body)?.[1] ?? (status === 200 ? 'data' : `http ${status}`);
          outcomes[typename] = (outcomes[typename] ?? 0) + 1;
          if (status !== 200 || !load.ok(body)) errors++;
        },
      },
    ],
  });
  // autocannon's own duration is rounded to its 1 s ticks: time the phase from the first request
  // sent to the last answer received.
  const seconds = (lastDone - firstSent) / 1000;
  return {
    requests: result.requests.total,
    seconds: round(seconds),
    rps: round(result.requests.total / seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: errors + result.errors + result.timeouts,
    outcomes,
  };
}

async function post(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

const START = `mutation ($tenantId: ID!, $kind: DirectorySyncKind!) { startDirectorySync(tenantId: $tenantId, kind: $kind) { __typename ... on StartOutcome { status } } }`;
const VERIFY = `mutation ($tenantId: ID!) { startTenantVerification(tenantId: $tenantId) { __typename ... on StartOutcome { status } } }`;

async function seedBench(): Promise<string[]> {
  const admin = new URL(config.DATABASE_URL);
  admin.pathname = '/postgres';
  await withDb(admin.toString(), (db) => db.query('DROP DATABASE IF EXISTS atlas_gate_bench WITH (FORCE)'));
  await ensureDatabase(config.DATABASE_URL);
  await migrate(config.DATABASE_URL);
  const prisma = createPrisma(config.DATABASE_URL, 4);
  await seedDemo(prisma);
  const workspaceId = stableId('workspace:Bench MSP');
  const userId = stableId('user:bench@atlas.test');
  await prisma.workspace.create({ data: { id: workspaceId, name: 'Bench MSP' } });
  await prisma.user.create({ data: { id: userId, email: 'bench@atlas.test', displayName: 'Bench Operator' } });
  await prisma.membership.create({ data: { userId, workspaceId, role: 'OWNER' } });
  // One more than the load phases use: the scale-out race needs a tenant nothing else holds.
  const tenantIds = await createTenants(prisma, workspaceId, 'Bench', TENANTS + 1);
  await prisma.$disconnect();
  // Planner statistics of the freshly seeded tables, as autovacuum would have them within a minute
  // (stale, the planner took Bench MSP for a workspace of 6 tenants and chose nested loops over them).
  await withDb(config.DATABASE_URL, (db) => db.query('ANALYZE'));
  return tenantIds;
}

async function fanOut(apis: AtlasProcess[], token: string, tenantId: string, subscribers: number, transitions: number) {
  const clients = [];
  const latencies: number[] = [];
  let received = 0;
  const pending = new Map<string, number>(); // "runId:status" -> time the transition committed
  for (let i = 0; i < subscribers; i++) {
    const api = apis[i % apis.length];
    const client = createClient({
      url: `ws://127.0.0.1:${api.port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
    });
    clients.push(client);
    client.subscribe(
      {
        query: `subscription ($t: ID) { operationRunUpdated(tenantId: $t) { id status createdAt startedAt finishedAt } }`,
        variables: { t: tenantId },
      },
      {
        next: (value) => {
          const now = Date.now();
          const run = (value.data as any)?.operationRunUpdated;
          if (!run) return;
          const at = Date.parse(
            run.status === 'QUEUED' ? run.createdAt : run.status === 'RUNNING' ? run.startedAt : run.finishedAt,
          );
          latencies.push(now - at);
          received++;
          pending.set(`${run.id}:${run.status}`, at);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
  }
  await new Promise((r) => setTimeout(r, 3_000)); // every socket connected and subscribed
  let runs = 0;
  while (runs * 3 < transitions) {
    const res = await post(apis[0].url, token, START, { tenantId, kind: 'GROUPS' });
    if (res.data?.startDirectorySync?.__typename !== 'StartAccepted')
      throw new Error(`fan-out start not accepted: ${JSON.stringify(res)}`);
    runs++;
    const expected = runs * 3 * subscribers;
    const deadline = Date.now() + 20_000;
    while (received < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
  for (const c of clients) await c.dispose();
  const s = stats(latencies, 1, 0);
  return {
    subscribers,
    transitions: runs * 3,
    delivered: received,
    expected: runs * 3 * subscribers,
    p50: s.p50,
    p99: s.p99,
  };
}

/** One real run row on each of 100 bench tenants (the API resolves their relations from the database). */
async function realtimePhases(
  api: AtlasProcess,
  token: string,
  tenantIds: string[],
  /** A new API process: each fan-out phase measures CPU and memory on a process of its own. */
  freshApi: (env?: Record<string, string>) => Promise<AtlasProcess>,
) {
  const picked = tenantIds.slice(TENANTS - 100, TENANTS);
  const { rows: runs } = await withDb(config.DATABASE_URL, (db) =>
    db.query(
      `INSERT INTO "OperationRun" (id, type, status, "tenantId", "dedupeKey", "scopeClass", "finishedAt")
       SELECT gen_random_uuid(), 'TENANT_VERIFICATION', 'SUCCEEDED', t, 'bench-realtime:' || t, 'SHARED', now() FROM unnest($1::uuid[]) t
       RETURNING *, ${RUN_TENANT}`,
      [picked],
    ),
  );
  const setup: FanOutSetup = {
    api: { pid: api.child.pid!, port: api.port },
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    token,
    workspaceId: stableId('workspace:Bench MSP'),
    runs,
  };
  // Each on a fresh API process: what one phase left in the heap (garbage, a heap already grown)
  // moved the next one's memory figure by several KiB per subscription, either way.
  // Keep-alive pings every 600 s instead of 12 while frames are measured: a round of 10,000 pings and
  // pongs falling into one measured window and not the other swung the ratio by a third. What a
  // round costs is measured on its own (keepAlive10k).
  const onFresh = async <T>(measure: (setup: FanOutSetup) => Promise<T>, keepAliveMs = 600_000): Promise<T> => {
    const fresh = await freshApi({ WS_KEEPALIVE_MS: String(keepAliveMs) });
    try {
      return await measure({ ...setup, api: { pid: fresh.child.pid!, port: fresh.port } });
    } finally {
      await fresh.stop();
    }
  };
  const r1k = await onFresh((s) => fanOutTo(s, 1_000, 20, 100));
  console.log('6. realtime fan-out, 1,000 subscribers', r1k);
  const r10k = await onFresh((s) => fanOutTo(s, Number(process.env.BENCH_BIG_FANOUT ?? 10_000), 6, 1_000));
  console.log('7. realtime fan-out, 10,000 subscribers', r10k);
  const keepAlive10k = await onFresh((s) => keepAlive(s, 10_000, 3_000), 3_000);
  console.log('7b. keep-alive, 10,000 idle subscriptions', keepAlive10k);
  const groups = await groupsOf(setup, 100, 10, 20);
  console.log('8. 100 groups x 10 subscribers', groups);
  const groupsRunOnly = await groupsOf(setup, 100, 10, 20, RUN_ONLY);
  console.log("8b. the same, a document of the run's own fields", groupsRunOnly);
  const slow = await slowConsumer(setup);
  console.log('9. a stalled client beside 100 readers', slow);
  return { fanOut1k: r1k, fanOut10k: r10k, keepAlive10k, groups, groupsRunOnly, slowConsumer: slow };
}

type Driven = Awaited<ReturnType<typeof drive>>;

/** Phase 1: the trivial query `{ me { id } }` at 64 clients, after a warm-up (JIT, pools, caches). */
async function trivialPhase(api: AtlasProcess, token: string) {
  const trivialLoad = {
    url: api.url,
    token,
    body: () => ({ query: '{ me { id } }' }),
    ok: (b: string) => b.startsWith('{"data":{"me"'),
  };
  await drive({ ...trivialLoad, clients: 16, seconds: 2 });
  // API CPU per query too, at 64 clients and at one: what a start costs beyond it is the gate's own.
  const perQuery = async (result: Driven, before: number) =>
    perStart((await cpuMs(api.child.pid!)) - before, result.requests);
  let before = await cpuMs(api.child.pid!);
  const c64 = await drive({ ...trivialLoad, clients: 64 });
  const cpuMsPerQuery = await perQuery(c64, before);
  before = await cpuMs(api.child.pid!);
  const c1 = await drive({ ...trivialLoad, clients: 1, amount: 400 });
  return { ...c64, cpuMsPerQuery, c1: { rps: c1.rps, p50: c1.p50, cpuMsPerQuery: await perQuery(c1, before) } };
}

/** Phase 4: one tenant's runs to BENCH_SUBSCRIBERS (1,000) subscribers over both API processes. */
function fanOutPhase(apis: AtlasProcess[], demoOwner: string) {
  return fanOut(apis, demoOwner, stableId('tenant:Contoso MSP:Elm'), Number(process.env.BENCH_SUBSCRIBERS ?? 1_000), 9);
}

/**
 * A tenant verification on each of `tenants` in turn, at one client on `api` (none may have an
 * active run: every answer an admission): the API's CPU per admitted start.
 */
async function singleClientAdmissions(api: AtlasProcess, token: string, tenants: string[]) {
  const before = await cpuMs(api.child.pid!);
  const result = await drive({
    url: api.url,
    token,
    clients: 1,
    amount: tenants.length,
    body: (n) => ({ query: VERIFY, variables: { tenantId: tenants[n] } }),
    ok: (b) => b.includes('"StartAccepted"'),
  });
  return perStart((await cpuMs(api.child.pid!)) - before, result.outcomes.StartAccepted);
}

/**
 * Phase 2: accepted starts at 1, 16 and 64 clients. Distinct tenants: every start is a fresh
 * dedupe target, so every answer is an admission. Each phase starts another operation type, so
 * each may use all 2,000 tenants. `measure` wraps each phase (the cluster section counts commands).
 */
async function startPhases(
  /** The first drives every phase; the single-client phase and the warm-up run on each. */
  apis: AtlasProcess[],
  token: string,
  tenantIds: string[],
  measure: (run: () => Promise<Driven>) => Promise<Driven> = (run) => run(),
  label = '',
  /** Processes named in the machine's CPU split, by pid (the API's own is added). */
  roles: Record<string, number> = {},
) {
  type Phase = Driven & {
    commandsPerMaster?: unknown;
    cpuMsPerStart?: number;
    machineCpuMsPerStart?: unknown;
    warmUpCpuMsPerStart?: number[][];
    cpuMsPerStartByProcess?: number[];
  };
  const api = apis[0];
  const accepted: Record<string, Phase> = {};
  const phases = [
    { clients: 1, amount: 400, query: VERIFY, variables: {} },
    { clients: 16, amount: 1_200, query: START, variables: { kind: 'ROLE_DEFINITIONS' } },
    { clients: 64, amount: TENANTS, query: START, variables: { kind: 'GROUPS' } },
  ];
  // Warm-up, as the trivial query has one (JIT, pools, caches): 3,200 admissions at one client on
  // each API process, on tenants the single-client phase does not use, in blocks of 400 whose API
  // CPU per start is kept (the warm-up curve). The start path is still being compiled well past
  // 1,500 admissions: measured block by block, 5.9, 4, 3.5, 3.3, 2.8, 2.8, 2.7 ms per start, then
  // 1.5-2.9 from the 2,800th on; with the earlier 1,500-start warm-up, a CPU profile of the
  // single-client phase still spent 15% of the API's main thread and as much again on V8's
  // background threads compiling. Each pass over the 1,600 warm-up tenants first ends the runs
  // the last one left; the two processes take blocks in turn.
  const warmUp: number[][] = apis.map(() => []);
  for (let block = 0; block < WARM_UP_BLOCKS * apis.length; block++) {
    const first = (block * WARM_UP_BLOCK) % WARM_UP_TENANTS;
    if (first === 0) await endActiveRuns(config.DATABASE_URL);
    const tenants = tenantIds.slice(400 + first, 400 + first + WARM_UP_BLOCK);
    warmUp[block % apis.length].push(await singleClientAdmissions(apis[block % apis.length], token, tenants));
  }
  console.log(`${label}2. warm-up: API CPU per start, blocks of ${WARM_UP_BLOCK} admissions, per process`, warmUp);
  for (const phase of phases) {
    const cpuBefore = await cpuMs(api.child.pid!);
    const machineBefore = await cpuSnapshot();
    const result: Phase = await measure(() =>
      drive({
        url: api.url,
        token,
        clients: phase.clients,
        amount: phase.amount,
        body: (n) => ({ query: phase.query, variables: { ...phase.variables, tenantId: tenantIds[n % TENANTS] } }),
        ok: (b) => b.includes('"StartAccepted"'),
      }),
    );
    const admitted = result.outcomes.StartAccepted ?? 0;
    result.cpuMsPerStart = perStart((await cpuMs(api.child.pid!)) - cpuBefore, admitted);
    // Every process's CPU per admitted start (PostgreSQL, Redis, the worker, this load generator):
    // on two shared cores, what the API does not spend itself still limits the rate.
    const split = cpuSplit(machineBefore, await cpuSnapshot(), { api: api.child.pid!, bench: process.pid, ...roles });
    result.machineCpuMsPerStart = Object.fromEntries(
      Object.entries(split)
        .map(([name, ms]) => [name, perStart(ms, admitted)] as const)
        .filter(([, ms]) => ms >= 0.01)
        .sort((a, b) => b[1] - a[1]),
    );
    if (phase.clients === 1) {
      // The single-client phase again on the other API process: two processes of the same code
      // were measured 1.3-1.4x apart for as long as they ran (what the JIT made of each; see
      // BENCH_ONLY=compare), so the figure is their mean, with each one's beside it.
      result.warmUpCpuMsPerStart = warmUp;
      result.cpuMsPerStartByProcess = [result.cpuMsPerStart];
      for (const other of apis.slice(1)) {
        await endActiveRuns(config.DATABASE_URL);
        const tenants = tenantIds.slice(400, 400 + phase.amount);
        result.cpuMsPerStartByProcess.push(await singleClientAdmissions(other, token, tenants));
      }
      result.cpuMsPerStart = perStart(
        result.cpuMsPerStartByProcess.reduce((sum, ms) => sum + ms, 0),
        result.cpuMsPerStartByProcess.length,
      );
    }
    accepted[`c${phase.clients}`] = result;
    console.log(`${label}2. accepted starts, ${phase.clients} clients`, result);
  }
  return accepted;
}

/** BENCH_COMPARE: another checkout (a git worktree with node_modules and src/generated beside it). */
function compareMain(): string {
  const dir = process.env.BENCH_COMPARE;
  if (!dir) throw new Error('BENCH_ONLY=compare needs BENCH_COMPARE=<another checkout of atlas-gate>');
  return path.resolve(dir, 'src/main.ts');
}

/**
 * BENCH_ONLY=compare: API CPU per admitted start at one client, this checkout's start path (`a`)
 * against BENCH_COMPARE's (`b`), on one database with the worker stopped. Each side runs in
 * BENCH_COMPARE_PROCESSES (default 2) API processes started alike (tsx loading the checkout's
 * src/main.ts): two processes of the same code measured here differed by up to 1.3x for as long as
 * they ran (what the JIT made of each), so one process a side compares luck. Blocks of 400
 * admissions go to every process in turn, the order rotated each round, so the machine's drift
 * weighs on all alike; each process is warmed up first (8 blocks).
 */
async function compareSection(env: Record<string, string>, token: string, tenantIds: string[], owned: AtlasProcess[]) {
  const perSide = Number(process.env.BENCH_COMPARE_PROCESSES ?? 2);
  const sides = { a: path.join(ROOT, 'src/main.ts'), b: compareMain() };
  const apis: { side: 'a' | 'b'; api: AtlasProcess; cpu: number[] }[] = [];
  for (let i = 0; i < perSide; i++) {
    for (const side of ['a', 'b'] as const) {
      const api = await spawnAtlas('api', config, env, ['--import', 'tsx'], sides[side]);
      owned.push(api);
      apis.push({ side, api, cpu: [] });
    }
  }
  const blocksPerPass = TENANTS / WARM_UP_BLOCK;
  let done = 0;
  const block = async (api: AtlasProcess) => {
    const first = (done++ % blocksPerPass) * WARM_UP_BLOCK;
    if (first === 0) await endActiveRuns(config.DATABASE_URL);
    return singleClientAdmissions(api, token, tenantIds.slice(first, first + WARM_UP_BLOCK));
  };
  const rounds = async (count: number, keep: boolean) => {
    for (let round = 0; round < count; round++) {
      for (let i = 0; i < apis.length; i++) {
        const entry = apis[(i + round) % apis.length];
        const cpu = await block(entry.api);
        if (keep) entry.cpu.push(cpu);
      }
    }
  };
  await rounds(WARM_UP_BLOCKS, false);
  await rounds(Number(process.env.BENCH_COMPARE_ROUNDS ?? 6), true);
  const side = (name: 'a' | 'b') => {
    const mine = apis.filter((entry) => entry.side === name);
    return {
      checkout: sides[name],
      perProcess: mine.map((entry) => ({ median: mid(entry.cpu), cpuMsPerStart: entry.cpu })),
      median: mid(mine.flatMap((entry) => entry.cpu)),
    };
  };
  const a = side('a');
  const b = side('b');
  // b / a: below 1, b's start path costs the API less.
  return { a, b, ratioOfMedians: ratio(b.median, a.median) };
}

/**
 * Phase 2 again with the worker stopped (for good: the later sections run without it). The runs
 * the first pass admitted are ended by SQL first, so every start is an admission again; the runs
 * admitted here stay queued until the bench's Redis prefix is deleted.
 */
async function startPhasesWorkersOff(apis: AtlasProcess[], token: string, tenantIds: string[], worker: AtlasProcess) {
  await worker.stop();
  await endActiveRuns(config.DATABASE_URL);
  return startPhases(apis, token, tenantIds, undefined, 'workers off: ');
}

async function main() {
  console.log(
    `atlas-gate bench: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${PHASE_SECONDS}s per phase`,
  );
  const tenantIds = await seedBench();
  // One demo user drives the whole load: lift the per-user socket and subscription bounds for it.
  const env = {
    NODE_ENV: 'production',
    WS_MAX_CONNECTIONS_PER_USER: '20000',
    MAX_SUBSCRIPTIONS_PER_USER: '20000',
    SUBSCRIPTION_COST_BUDGET_PER_USER: '100000000',
  };
  const processes: AtlasProcess[] = [];
  const clusterOnly = process.env.BENCH_ONLY === 'cluster';
  let results: any;
  try {
    // BENCH_CPU_PROF=<dir> writes V8 CPU profiles of both API processes (open them in Chrome DevTools).
    // BENCH_API_NODE_ARGS: node flags for the API processes (e.g. GC settings being compared).
    const profile = [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ...(process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ];
    const [apiA, apiB, worker] = await Promise.all([
      spawnAtlas('api', config, env, profile),
      spawnAtlas('api', config, env, profile),
      spawnAtlas('worker', config, env),
    ]);
    processes.push(apiA, apiB, worker);
    const freshApi = (extra: Record<string, string> = {}) => spawnAtlas('api', config, { ...env, ...extra }, profile);
    const benchToken = await tokens.sign(stableId('user:bench@atlas.test'));
    const demoOwner = await tokens.sign(stableId('user:owner@contoso.test'));
    if (process.env.BENCH_ONLY === 'realtime') {
      // The realtime phases alone (iterating on fan-out): printed, not written to results.json.
      console.log(JSON.stringify(await realtimePhases(apiA, benchToken, tenantIds, freshApi), null, 2));
      return;
    }

    if (process.env.BENCH_ONLY === 'compare') {
      // Two checkouts' start paths side by side (printed, not written): see compareSection.
      await worker.stop();
      console.log(JSON.stringify(await compareSection(env, benchToken, tenantIds, processes), null, 2));
      return;
    }

    if (process.env.BENCH_ONLY === 'starts') {
      // The trivial query and the accepted-start phases alone (iterating on admission): printed, not written.
      const trivial = await trivialPhase(apiA, benchToken);
      const accepted = await startPhases([apiA, apiB], benchToken, tenantIds, undefined, '', {
        worker: worker.child.pid!,
      });
      const workersOff = await startPhasesWorkersOff([apiA, apiB], benchToken, tenantIds, worker);
      const summary = (phases: typeof accepted) => ({
        accepted64ToTrivial: ratio(phases.c64.rps, trivial.rps),
        cpuMsPerStart: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, v.cpuMsPerStart])),
        c1ByProcess: phases.c1.cpuMsPerStartByProcess,
        c1CpuToTrivialCpu: ratio(phases.c1.cpuMsPerStart!, trivial.c1.cpuMsPerQuery),
        machineCpuMsPerStart64: phases.c64.machineCpuMsPerStart,
      });
      console.log(
        JSON.stringify({
          trivialRps: trivial.rps,
          trivialCpuMs: { c1: trivial.c1.cpuMsPerQuery, c64: trivial.cpuMsPerQuery },
          ...summary(accepted),
          workersOff: summary(workersOff),
        }),
      );
      return;
    }

    if (process.env.BENCH_ONLY === 'history') {
      // The history phases alone (iterating on queries and indexes): printed, not written.
      const history = await historySection(apiA, benchToken, tenantIds, worker);
      console.log(JSON.stringify(history, null, 2));
      printHistory(history);
      return;
    }
    const trivial = await trivialPhase(apiA, benchToken);
    console.log('1. trivial query', trivial);

    // Fan-out runs before the start phases: their admitted runs queue up behind the worker.
    const fan = await fanOutPhase([apiA, apiB], demoOwner);
    console.log('4. fan-out', fan);
    if (clusterOnly) {
      // BENCH_ONLY=cluster: the single-node figures the cluster section is compared with, then it.
      results = {
        trivialQuery: trivial,
        fanOut: fan,
        acceptedStarts: await startPhases([apiA, apiB], benchToken, tenantIds, undefined, '', {
          worker: worker.child.pid!,
        }),
      };
    } else {
      // Realtime at scale: API CPU per delivered frame next to the raw ws broadcast floor, same run.
      const realtime = await realtimePhases(apiA, benchToken, tenantIds, freshApi);

      const accepted = await startPhases([apiA, apiB], benchToken, tenantIds, undefined, '', {
        worker: worker.child.pid!,
      });

      const hotTenant = stableId('tenant:Contoso MSP:Alpine');
      // Hot tenant: one start admitted, the rest answered from the plain read (deduped), until
      // the run ends and the next start is admitted again.
      const hot = await drive({
        url: apiA.url,
        token: demoOwner,
        clients: 64,
        body: () => ({ query: START, variables: { tenantId: hotTenant, kind: 'GROUPS' } }),
        ok: (b) => b.includes('"StartDeduped"') || b.includes('"StartAccepted"'),
      });
      const outcomes = hot.outcomes;
      console.log('3. hot tenant', hot, outcomes);

      // Scale-out race: 200 identical starts split across both API processes, all at once.
      const raceTenant = tenantIds[TENANTS];
      const race = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          post(
            (i % 2 ? apiA : apiB).url,
            benchToken,
            `mutation ($t: ID!) { startOnboardingBootstrap(tenantId: $t) { __typename } }`,
            { t: raceTenant },
          ),
        ),
      );
      const raceCounts: Record<string, number> = {};
      for (const r of race) {
        const t = (r.data as any)?.startOnboardingBootstrap?.__typename ?? 'error';
        raceCounts[t] = (raceCounts[t] ?? 0) + 1;
      }
      console.log('5. scale-out race', raceCounts);

      // The same start phases with the worker stopped: what the gate costs without the worker's
      // execution of the admitted runs competing for the same two cores.
      const acceptedWorkersOff = await startPhasesWorkersOff([apiA, apiB], benchToken, tenantIds, worker);

      // Cost under history: the accepted-start and monitor phases on this database, then again with
      // 1,000,000 historical runs loaded (BENCH_HISTORY=0 skips; BENCH_HISTORY_RUNS sets the count).
      const history =
        process.env.BENCH_HISTORY === '0' ? null : await historySection(apiA, benchToken, tenantIds, worker);

      results = {
        machine: {
          cores: os.cpus().length,
          cpu: os.cpus()[0]?.model,
          memoryGiB: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
        },
        date: new Date().toISOString(),
        phaseSeconds: PHASE_SECONDS,
        trivialQuery: trivial,
        acceptedStarts: accepted,
        acceptedStartsWorkersOff: acceptedWorkersOff,
        hotTenant: { ...hot, outcomes },
        fanOut: fan,
        realtime,
        scaleOut: { starts: 200, processes: 2, outcomes: raceCounts, admitted: raceCounts.StartAccepted ?? 0 },
        history,
        // API process CPU (user + system, /proc) during the single-client phase / the starts it admitted.
        cpuMsPerAcceptedStart: accepted.c1.cpuMsPerStart,
        cpuMsPerAcceptedStartWorkersOff: acceptedWorkersOff.c1.cpuMsPerStart,
        ratios: {
          accepted64ToTrivial: ratio(accepted.c64.rps, trivial.rps),
          accepted64ToTrivialWorkersOff: ratio(acceptedWorkersOff.c64.rps, trivial.rps),
          hotTenantToTrivial: ratio(hot.rps, trivial.rps),
          // API CPU per start / per trivial query, both at one client: the same run's yardstick (the
          // machine here moved both by up to 2x within an hour; a CPU-bound loop stayed the same).
          acceptedCpuToTrivialCpu: ratio(accepted.c1.cpuMsPerStart!, trivial.c1.cpuMsPerQuery),
          acceptedCpuToTrivialCpuWorkersOff: ratio(acceptedWorkersOff.c1.cpuMsPerStart!, trivial.c1.cpuMsPerQuery),
          ...(history
            ? { historyAcceptedP99: history.ratios.acceptedP99, historyMonitorP99: history.ratios.monitorP99 }
            : {}),
        },
      };
    }
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteRedisPrefix(config, config.REDIS_PREFIX);
  }
  if (!results) return; // BENCH_ONLY=realtime
  // The same start phases and fan-out on a private 3-master Redis Cluster (BENCH_CLUSTER=0 skips it).
  if (process.env.BENCH_CLUSTER !== '0') results.cluster = await clusterSection(tenantIds, env, results);
  if (clusterOnly) {
    printCluster(results);
    return;
  }
  await writeFile(new URL('./results.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
  printTable(results);
  if (results.history) printHistory(results.history);
  if (results.cluster) printCluster(results);
  if (results.scaleOut.admitted !== 1) {
    console.error(`scale-out race admitted ${results.scaleOut.admitted}, expected exactly 1`);
    process.exitCode = 1;
  }
}

/**
 * Phases 1, 4 and 2 again with the processes on a private 3-master Redis Cluster (REDIS_CLUSTER_NODES,
 * six queue shards), on the same database with the single-node phases' runs removed (so every start
 * is an admission again), each phase with the commands each master processed during it.
 */
async function clusterSection(tenantIds: string[], env: Record<string, string>, single: any) {
  const cluster = await startPrivateCluster(3);
  const clusterConfig = {
    ...config,
    REDIS_CLUSTER_NODES: cluster.nodes,
    REDIS_PREFIX: `atlas-bench-cluster-${process.pid}`,
  };
  const masters = new MasterCommands(cluster.ports);
  const processes: AtlasProcess[] = [];
  try {
    await forgetRuns();
    const [apiA, apiB, worker] = await Promise.all([
      spawnAtlas('api', clusterConfig, env),
      spawnAtlas('api', clusterConfig, env),
      spawnAtlas('worker', clusterConfig, env),
    ]);
    processes.push(apiA, apiB, worker);
    const benchToken = await tokens.sign(stableId('user:bench@atlas.test'));
    const demoOwner = await tokens.sign(stableId('user:owner@contoso.test'));
    const trivial = await masters.during(() => trivialPhase(apiA, benchToken));
    console.log('cluster 1. trivial query', trivial);
    const fan = await masters.during(() => fanOutPhase([apiA, apiB], demoOwner));
    console.log('cluster 4. fan-out', fan);
    const accepted = await startPhases([apiA, apiB], benchToken, tenantIds, (run) => masters.during(run), 'cluster ', {
      worker: worker.child.pid!,
    });
    return {
      masters: cluster.ports.length,
      queueShards: 6,
      trivialQuery: trivial,
      fanOut: fan,
      acceptedStarts: accepted,
      ratios: {
        // cluster / single node, same run
        trivialRps: ratio(trivial.rps, single.trivialQuery.rps),
        accepted64Rps: ratio(accepted.c64.rps, single.acceptedStarts.c64.rps),
        accepted64P99: ratio(accepted.c64.p99, single.acceptedStarts.c64.p99),
        fanOutP99: ratio(fan.p99, single.fanOut.p99),
      },
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    masters.close();
    await cluster.close();
  }
}

const RUN_FIELDS = 'id type status createdAt finishedAt summary { total succeeded failed } tenant { id name }';
const MONITOR: [string, string][] = [
  ['firstPage', `{ operationRuns(first: 20) { edges { node { ${RUN_FIELDS} } } pageInfo { hasNextPage endCursor } } }`],
  [
    'filtered',
    `{ operationRuns(first: 20, filter: { status: [FAILED], type: [DIRECTORY_GROUPS_SYNC] }) { edges { node { ${RUN_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
  ],
  [
    'tenantRuns',
    `query ($t: ID!) { operationRuns(first: 20, filter: { tenantId: $t }) { edges { node { ${RUN_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
  ],
  [
    'runPage',
    `query ($id: ID!) { operationRun(id: $id) { ${RUN_FIELDS} startedAt attempts reason { code message } providerConnection { id displayName } initiator { id displayName } children { id status } } }`,
  ],
];

/** Whose CPU the history section reports per accepted start (the machine: every process on it). */
const CPU_ROLES = ['api', 'postgres', 'machine'] as const;

/**
 * The accepted-start phase (64 clients) and the monitor reads (16 clients each) on the database as
 * the earlier phases left it (a few thousand runs: "empty"), then with BENCH_HISTORY_RUNS (1,000,000)
 * terminal runs loaded over the 2,000 tenants and 90 days ("full"). The worker is stopped first: its
 * backlog would weigh on one measurement more than the other. Active runs are ended by SQL before
 * each start phase, so every start is an admission again.
 */
async function historySection(api: AtlasProcess, token: string, tenantIds: string[], worker: AtlasProcess) {
  await worker.stop();
  const tenants = tenantIds.slice(0, TENANTS);
  const starts = (amount: number) =>
    drive({
      url: api.url,
      token,
      clients: 64,
      amount,
      body: (n) => ({ query: VERIFY, variables: { tenantId: tenants[n % TENANTS] } }),
      ok: (b) => b.includes('"StartAccepted"'),
    });
  const sql = (text: string, params: unknown[] = []) =>
    withDb(config.DATABASE_URL, async (db) => (await db.query(text, params)).rows);
  // Each measure three times, its median reported (the p99 of one short phase moves with the
  // machine by half or more between runs; the ratio is of medians taken minutes apart).
  const ROUNDS = 3;
  const median = <T extends { p99: number }>(rounds: T[]) => ({
    ...rounds.find((r) => r.p99 === mid(rounds.map((x) => x.p99)))!,
    p99Rounds: rounds.map((r) => r.p99),
  });
  const measure = async (label: string) => {
    // Warm-up (JIT, plans, caches) on 200 tenants.
    await endActiveRuns(config.DATABASE_URL);
    await starts(200);
    type Round = Driven & { walKBPerStart: number; cpuMsPerStart: Record<(typeof CPU_ROLES)[number], number> };
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Every tenant free again, and a checkpoint: each round's first write to a page is the first
      // since a checkpoint (a full-page image in the WAL), as for a tenant's first start after one.
      await endActiveRuns(config.DATABASE_URL);
      await sql('CHECKPOINT');
      // The WAL the admissions wrote (the worker is stopped): what the indexes that grow with
      // history cost each start, mostly in full-page images.
      const [{ lsn }] = await sql('SELECT pg_current_wal_insert_lsn() AS lsn');
      const cpuBefore = await cpuSnapshot();
      const driven = await starts(TENANTS);
      const split = cpuSplit(cpuBefore, await cpuSnapshot(), { api: api.child.pid!, bench: process.pid });
      const [{ bytes }] = await sql('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::float8 AS bytes', [lsn]);
      // And the CPU each start cost: the API, PostgreSQL, and the whole machine (kernel threads
      // writing back the WAL included), which a slow spell of the VM moves less than a p99.
      const { api: apiMs = 0, postgres: postgresMs = 0 } = split;
      rounds.push({
        ...driven,
        walKBPerStart: Math.round((bytes / 1024 / driven.requests) * 10) / 10,
        cpuMsPerStart: {
          api: perStart(apiMs, driven.requests),
          postgres: perStart(postgresMs, driven.requests),
          machine: perStart(
            Object.values(split).reduce((a, b) => a + b, 0),
            driven.requests,
          ),
        },
      });
    }
    const acceptedStarts = {
      ...median(rounds),
      walKBPerStart: mid(rounds.map((r) => r.walKBPerStart)),
      cpuMsPerStart: Object.fromEntries(CPU_ROLES.map((k) => [k, mid(rounds.map((r) => r.cpuMsPerStart[k]))])),
      cpuMsPerStartRounds: rounds.map((r) => r.cpuMsPerStart),
    };
    // The oldest run: one of the history once it is loaded.
    const [oldest] = await sql('SELECT id FROM "OperationRun" ORDER BY "createdAt" LIMIT 1');
    const variables = { t: tenants[7], id: oldest.id };
    const read = (name: string, query: string, clients: number, seconds: number) =>
      drive({
        url: api.url,
        token,
        clients,
        seconds,
        body: () => ({
          query,
          variables: name === 'runPage' ? { id: variables.id } : name === 'tenantRuns' ? { t: variables.t } : {},
        }),
        ok: (b) => b.startsWith('{"data":{"operationRun') && !b.includes('"errors"'),
      });
    for (const [name, query] of MONITOR) await read(name, query, 4, 1); // warm-up
    // The reads in turn, round after round: a slow spell of the machine weighs on all of them.
    const reads: Record<string, Driven[]> = Object.fromEntries(MONITOR.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++)
      for (const [name, query] of MONITOR) reads[name].push(await read(name, query, 16, 2));
    const monitor = Object.fromEntries(MONITOR.map(([name]) => [name, median(reads[name])]));
    console.log(
      `10. history (${label}): accepted starts`,
      acceptedStarts,
      'monitor p99',
      Object.fromEntries(Object.entries(monitor).map(([k, v]) => [k, v.p99Rounds])),
    );
    return { acceptedStarts, monitor };
  };
  // "Empty": the first weeks of an MSP, a page's worth for every read measured (25 runs per
  // tenant); "full": the same grown to BENCH_HISTORY_RUNS. The reads return the same page sizes
  // in both, so the ratio is the cost of the history alone.
  const runs = Number(process.env.BENCH_HISTORY_RUNS ?? 1_000_000);
  const user = stableId('user:bench@atlas.test');
  const small = Math.min(runs, 25 * tenants.length);
  const start = await loadHistory(config.DATABASE_URL, tenants, user, small);
  const empty = await measure('empty');
  const rest = await loadHistory(config.DATABASE_URL, tenants, user, runs - small, small);
  const load = {
    runs,
    emptyRuns: small,
    notifications: start.notifications + rest.notifications,
    tenants: tenants.length,
    seconds: Math.round((start.seconds + rest.seconds) * 10) / 10,
  };
  console.log('10. history loaded', load);
  const full = await measure('full');
  const viewer = {
    userId: user,
    roles: new Map([[stableId('workspace:Bench MSP'), 'OWNER' as const]]),
  };
  const plans = {
    firstPage: await monitorQueryPlan(config.DATABASE_URL, viewer, {}),
    filtered: await monitorQueryPlan(config.DATABASE_URL, viewer, {
      status: ['FAILED'],
      type: ['DIRECTORY_GROUPS_SYNC'],
    }),
    tenantRuns: await monitorQueryPlan(config.DATABASE_URL, viewer, { tenantId: tenants[7] }),
  };
  // A p99 can round to 0 ms on the smaller database: counted as 1.
  const p99Ratio = (full: number, empty: number) => ratio(full, Math.max(empty, 1));
  const monitorRatios = Object.fromEntries(
    MONITOR.map(([name]) => [name, p99Ratio(full.monitor[name].p99, empty.monitor[name].p99)]),
  );
  return {
    ...load,
    empty,
    full,
    plans,
    ratios: {
      acceptedP99: p99Ratio(full.acceptedStarts.p99, empty.acceptedStarts.p99),
      acceptedWal: ratio(full.acceptedStarts.walKBPerStart, empty.acceptedStarts.walKBPerStart),
      acceptedCpu: Object.fromEntries(
        CPU_ROLES.map((k) => [k, ratio(full.acceptedStarts.cpuMsPerStart[k], empty.acceptedStarts.cpuMsPerStart[k])]),
      ),
      // The monitor's first page, as the issue names it; the other reads beside it.
      monitorP99: monitorRatios.firstPage,
      monitor: monitorRatios,
    },
  };
}

/** The single-node phases' runs (and their notifications) go: the cluster phases start the same tenants. */
async function forgetRuns() {
  await withDb(config.DATABASE_URL, (db) => db.query('TRUNCATE "OperationRun" CASCADE'));
}

function printHistory(h: any) {
  console.log(
    `\nhistory: ${h.emptyRuns.toLocaleString('en')} -> ${h.runs.toLocaleString('en')} terminal runs over ${h.tenants} tenants and 90 days, ${h.notifications.toLocaleString('en')} notifications (loaded in ${h.seconds} s); p99 empty -> full (ratio), the median of three rounds`,
  );
  const line = (name: string, empty: any, full: any, ratio: number) =>
    console.log(
      `  ${name.padEnd(34)} ${empty.p99} -> ${full.p99} ms (${ratio}x); ${empty.rps}/s -> ${full.rps}/s; rounds ${empty.p99Rounds?.join('/')} -> ${full.p99Rounds?.join('/')} ms`,
    );
  line('accepted starts, 64 clients', h.empty.acceptedStarts, h.full.acceptedStarts, h.ratios.acceptedP99);
  console.log(
    `  ${'WAL written per accepted start'.padEnd(34)} ${h.empty.acceptedStarts.walKBPerStart} -> ${h.full.acceptedStarts.walKBPerStart} kB (${h.ratios.acceptedWal}x)`,
  );
  for (const k of CPU_ROLES)
    console.log(
      `  ${`CPU per accepted start, ${k}`.padEnd(34)} ${h.empty.acceptedStarts.cpuMsPerStart[k]} -> ${h.full.acceptedStarts.cpuMsPerStart[k]} ms (${h.ratios.acceptedCpu[k]}x)`,
    );
  for (const name of Object.keys(h.empty.monitor))
    line(`monitor: ${name}, 16 clients`, h.empty.monitor[name], h.full.monitor[name], h.ratios.monitor[name]);
}

function printCluster(r: any) {
  const c = r.cluster;
  const share = (m: { share: number }[]) => m.map((x) => `${Math.round(x.share * 100)}%`).join('/');
  console.log(
    `\non a private ${c.masters}-master Redis Cluster (${c.queueShards} queue shards), next to one Redis node, same run`,
  );
  const rows: [string, any, any][] = [
    ['trivial query, 64 clients', r.trivialQuery, c.trivialQuery],
    ...(['c1', 'c16', 'c64'] as const).map((k): [string, any, any] => [
      `accepted starts, ${k.slice(1)} clients`,
      r.acceptedStarts[k],
      c.acceptedStarts[k],
    ]),
    [`fan-out to ${c.fanOut.subscribers} subscribers`, r.fanOut, c.fanOut],
  ];
  for (const [name, one, on] of rows)
    console.log(
      `  ${name.padEnd(34)} node ${one.rps ? `${one.rps}/s ` : ''}p99 ${one.p99} ms | cluster ${on.rps ? `${on.rps}/s ` : ''}p99 ${on.p99} ms | commands per master ${on.commandsPerMaster.map((m: { commands: number }) => m.commands).join('/')} (${share(on.commandsPerMaster)})`,
    );
}

function printTable(r: any) {
  const rows: [string, string, string, string, string][] = [
    [
      'trivial query { me { id } }, 64 clients',
      `${r.trivialQuery.rps}/s`,
      `${r.trivialQuery.p50}`,
      `${r.trivialQuery.p99}`,
      `${r.trivialQuery.errors}`,
    ],
    ...(['c1', 'c16', 'c64'] as const).map((c): [string, string, string, string, string] => [
      `accepted starts, distinct tenants, ${c.slice(1)} clients`,
      `${r.acceptedStarts[c].rps}/s`,
      `${r.acceptedStarts[c].p50}`,
      `${r.acceptedStarts[c].p99}`,
      `${r.acceptedStarts[c].errors}`,
    ]),
    [
      'hot tenant, 64 clients, same sync',
      `${r.hotTenant.rps}/s`,
      `${r.hotTenant.p50}`,
      `${r.hotTenant.p99}`,
      `${r.hotTenant.errors}`,
    ],
    [
      `fan-out to ${r.fanOut.subscribers} subscribers (${r.fanOut.delivered}/${r.fanOut.expected} delivered)`,
      '-',
      `${r.fanOut.p50}`,
      `${r.fanOut.p99}`,
      `${r.fanOut.expected - r.fanOut.delivered}`,
    ],
    [
      'scale-out race, 200 starts over 2 API processes',
      `admitted ${r.scaleOut.admitted}`,
      '-',
      '-',
      `${r.scaleOut.outcomes.error ?? 0}`,
    ],
  ];
  const widths = [58, 14, 9, 9, 7];
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' ');
  console.log('\n' + line(['measure', 'rate', 'p50 ms', 'p99 ms', 'errors']));
  console.log('-'.repeat(widths.reduce((a, b) => a + b + 1, 0)));
  for (const row of rows) console.log(line(row));
  console.log(
    `\naccepted starts (64 clients) / trivial query: ${r.ratios.accepted64ToTrivial}; hot tenant / trivial query: ${r.ratios.hotTenantToTrivial}`,
  );
  console.log(
    `API CPU per accepted start (1 client, /proc, mean of two processes ${r.acceptedStarts.c1.cpuMsPerStartByProcess.join(' / ')}): ${r.cpuMsPerAcceptedStart} ms; per trivial query ${r.trivialQuery.c1.cpuMsPerQuery} ms (${r.ratios.acceptedCpuToTrivialCpu}x; worker stopped ${r.ratios.acceptedCpuToTrivialCpuWorkersOff}x)`,
  );
  const off = r.acceptedStartsWorkersOff;
  console.log(
    `worker stopped: accepted starts (64 clients) ${off.c64.rps}/s, / trivial query ${r.ratios.accepted64ToTrivialWorkersOff}; API CPU per accepted start (1 client) ${r.cpuMsPerAcceptedStartWorkersOff} ms`,
  );
  for (const [label, phase] of [
    ['worker running', r.acceptedStarts.c64],
    ['worker stopped', off.c64],
  ])
    console.log(
      `CPU per accepted start at 64 clients, every process (${label}): ${Object.entries(phase.machineCpuMsPerStart)
        .slice(0, 6)
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', ')} ms`,
    );
  const rt = r.realtime;
  console.log(
    '\nrealtime (API process CPU per delivered frame, next to a raw ws broadcast of one pre-serialized frame)',
  );
  for (const [name, f] of [
    ['1,000 subscribers, one tenant', rt.fanOut1k],
    [`${rt.fanOut10k.api.subscribers} subscribers, one tenant`, rt.fanOut10k],
  ] as const)
    console.log(
      `  ${name}: API ${f.api.cpuUsPerFrame} us/frame (idle ${f.api.idleCpuMs} ms over the same time; p50 ${f.api.p50} ms, p99 ${f.api.p99} ms, ${f.api.delivered}/${f.api.expected} delivered, ${f.api.idleKiBPerSubscription} KiB RSS per idle subscription); floor ${f.floor.cpuUsPerFrame} us/frame (p50 ${f.floor.p50} ms, p99 ${f.floor.p99} ms); ratio ${f.cpuRatio}x`,
    );
  const ka = rt.keepAlive10k;
  console.log(
    `  keep-alive, ${ka.subscribers} idle subscriptions: ${ka.cpuMsPerRound} ms API CPU per round of pings and pongs (${ka.cpuUsPerSocketPerRound} us per socket; one round per WS_KEEPALIVE_MS, default 12 s)`,
  );
  console.log(
    `  100 groups x 10 subscribers: ${rt.groups.framesPerSecond} frames/s, ${rt.groups.cpuMsPerGroupEvent} ms API CPU per group event (${rt.groups.delivered}/${rt.groups.expected} delivered, p99 ${rt.groups.p99} ms)`,
  );
  for (const g of [rt.groups, rt.groupsRunOnly])
    console.log(
      `  100 groups x 10 (${g.document}): ${g.framesPerSecond} frames/s, ${g.cpuMsPerGroupEvent} ms API CPU per group event, frames included (${g.executions} shared executions for ${g.delivered} frames)`,
    );
  const sc = rt.slowConsumer;
  console.log(
    `  a stalled client beside ${sc.readers} readers, ${sc.events} events of ${sc.frameKiB} KiB: readers p50/p99 ${sc.without.p50}/${sc.without.p99} ms without it, ${sc.withStalled.p50}/${sc.withStalled.p99} ms with it (stalled socket closed with ${sc.withStalled.closeCode})`,
  );
}

await main();
