// Realtime figures for `npm run bench`: fan-out of run events to 1,000 and 10,000 graphql-ws
// subscribers, and 100 tenants x 10 subscribers, each next to the raw `ws` broadcast floor
// measured in the same run (bench/broadcast-floor.mjs: one pre-serialized frame to as many sockets).
// The subscribers are raw graphql-transport-ws clients in this process; the API is a process of its
// own, so its CPU (from /proc) is the server's alone. Events are published on the workspace's Redis
// channel the way RunLifecycle publishes them, so the figure is the API's fan-out, not the worker's.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { RedisNames } from '../src/redis/names.js';

/** A /proc/<pid>/stat line: the command name and the CPU time (user + system) so far, in ms (clock ticks of 10 ms). */
function parseStat(stat: string): { name: string; ms: number } {
  // The name is in parentheses and may hold spaces or parentheses itself: the fields follow the last one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    ms: (Number(fields[11]) + Number(fields[12])) * 10,
  };
}

/** CPU time (user + system) of a process so far, in ms. */
export async function cpuMs(pid: number): Promise<number> {
  return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8')).ms;
}

/** CPU time so far (ms) of every process on the machine, by pid, with its command name. */
export async function cpuSnapshot(): Promise<Map<number, { name: string; ms: number }>> {
  const snapshot = new Map<number, { name: string; ms: number }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (stat) snapshot.set(Number(entry), parseStat(stat));
  }
  return snapshot;
}

/**
 * Where the machine's CPU went between two snapshots (ms): the processes named in `roles` (pid ->
 * role) under their role, every other process under its command name (postgres, redis-server...).
 */
export function cpuSplit(
  before: Map<number, { name: string; ms: number }>,
  after: Map<number, { name: string; ms: number }>,
  roles: Record<string, number>,
): Record<string, number> {
  const roleOf = new Map(Object.entries(roles).map(([role, pid]) => [pid, role]));
  const split: Record<string, number> = {};
  for (const [pid, { name, ms }] of after) {
    const spent = ms - (before.get(pid)?.name === name ? before.get(pid)!.ms : 0);
    if (spent <= 0) continue;
    const key = roleOf.get(pid) ?? name;
    split[key] = (split[key] ?? 0) + spent;
  }
  return split;
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; !done(); ) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}

function pick(sorted: number[], q: number) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : Number.NaN;
}

/** Raw sockets that count frames (and their delivery latency) from the moment `published` records them. */
class Subscribers {
  readonly sockets: WebSocket[] = [];
  acked = 0;
  frames = 0;
  errors = 0;
  latencies: number[] = [];
  sample: string | null = null;
  readonly published = new Map<string, number>();

  /** Opens `count` sockets, 100 at a time (a burst of thousands overflows the listen backlog). */
  async open(url: string, count: number, message: (i: number) => object | null, token: string): Promise<void> {
    for (let from = 0; from < count; from += 100) {
      const batch = Array.from({ length: Math.min(100, count - from) }, (_, k) =>
        this.connect(url, from + k, message, token),
      );
      await Promise.all(batch);
    }
  }

  private connect(url: string, i: number, message: (i: number) => object | null, token: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, 'graphql-transport-ws');
      this.sockets.push(ws);
      ws.on('error', (err) => {
        this.errors++;
        reject(err);
      });
      ws.on('open', () => {
        if (message(i) === null) return resolve(); // the floor: no protocol
        ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      });
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith('{"type":"connection_ack"')) {
          ws.send(JSON.stringify(message(i)));
          return resolve();
        }
        this.receive(text);
      });
    });
  }

  private receive(text: string) {
    const changeId = /"changeId":"(\d+)"/.exec(text)?.[1];
    if (!changeId) {
      if (text.includes('"subscribed":true')) this.acked++;
      return;
    }
    const at = this.published.get(changeId);
    if (at === undefined) return;
    this.frames++;
    this.latencies.push(performance.now() - at);
    this.sample ??= text;
  }

  reset() {
    this.frames = 0;
    this.latencies = [];
  }

  latency() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return { p50: Math.round(pick(sorted, 0.5)), p99: Math.round(pick(sorted, 0.99)) };
  }

  async close() {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.length = 0;
  }
}

type Api = { pid: number; port: number };
export type FanOutSetup = {
  api: Api;
  redisUrl: string;
  prefix: string;
  token: string;
  workspaceId: string;
  /** A real run row of each tenant, as RunLifecycle would publish it. */
  runs: Record<string, unknown>[];
};

const QUERY = `subscription ($t: ID) { operationRunUpdated(tenantId: $t) { id changeId status tenant { id name } summary { total succeeded failed } } }`;
let nextChangeId = 10n ** 15n;

/** Publishes `events` run events, `gapMs` apart, spread over `runs`; returns when all are published. */
async function publish(setup: FanOutSetup, redis: Redis, subs: Subscribers, events: number, gapMs: number) {
  const channel = new RedisNames(setup.prefix).runsChannel(setup.workspaceId);
  for (let i = 0; i < events; i++) {
    const run = setup.runs[i % setup.runs.length];
    const changeId = String(nextChangeId++);
    subs.published.set(changeId, performance.now());
    await redis.publish(
      channel,
      JSON.stringify({ workspaceId: setup.workspaceId, run: { ...run, status: 'RUNNING', total: i, changeId } }),
    );
    if (gapMs) await sleep(gapMs);
  }
}

/** The floor: as many raw sockets, the same frame, the same count and pace, from a bare ws server. */
async function floor(frame: string, sockets: number, frames: number, gapMs: number) {
  const child = spawn(process.execPath, [new URL('./broadcast-floor.mjs', import.meta.url).pathname, frame], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // Every line in order, however they arrive (several rounds' lines may come in one chunk).
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value);
  try {
    const port = Number((await next()).split(' ')[1]);
    const subs = new Subscribers();
    let received = 0;
    // Delivery latency as the API's is taken: from when round i began (the floor says, in epoch ms)
    // to when a socket received its i-th frame.
    const sentAt: number[] = [];
    const receivedAt: number[][] = [];
    const epochNow = () => performance.timeOrigin + performance.now();
    await subs.open(`ws://127.0.0.1:${port}`, sockets, () => null, '');
    for (const ws of subs.sockets) {
      let i = 0;
      ws.on('message', () => {
        received++;
        (receivedAt[i++] ??= []).push(epochNow());
      });
    }
    await sleep(500);
    const cpuBefore = await cpuMs(child.pid!);
    const started = performance.now();
    child.stdin!.write(`go ${frames} ${gapMs}\n`);
    for (let line = await next(); line !== 'done'; line = await next()) {
      const [, i, at] = line.split(' ');
      sentAt[Number(i)] = Number(at);
    }
    await until(() => received >= frames * sockets, 60_000);
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await cpuMs(child.pid!)) - cpuBefore;
    await subs.close();
    const latencies = receivedAt.flatMap((times, i) => times.map((t) => t - sentAt[i])).sort((a, b) => a - b);
    return {
      delivered: received,
      cpuUsPerFrame: round((cpu * 1000) / Math.max(received, 1)),
      framesPerSecond: Math.round(received / seconds),
      p50: Math.round(pick(latencies, 0.5)),
      p99: Math.round(pick(latencies, 0.99)),
    };
  } finally {
    child.kill();
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

/** `count` subscriptions of QUERY to the first run's tenant, opened on `to`. */
const subscribeTo = (setup: FanOutSetup, to: Subscribers, count: number) =>
  to.open(
    `ws://127.0.0.1:${setup.api.port}/graphql`,
    count,
    (i) => ({
      id: `sub-${i}`,
      type: 'subscribe',
      payload: {
        query: QUERY,
        variables: { t: (setup.runs[0] as { tenantId: string }).tenantId },
        extensions: { subscriptionAck: true },
      },
    }),
    setup.token,
  );

/**
 * What keep-alive costs on its own: `subscribers` idle subscriptions on an API pinging every
 * `intervalMs` (WS_KEEPALIVE_MS, set on its process), API CPU per round of pings and pongs.
 */
export async function keepAlive(setup: FanOutSetup, subscribers: number, intervalMs: number, rounds = 3) {
  const subs = new Subscribers();
  try {
    await subscribeTo(setup, subs, subscribers);
    await until(() => subs.acked >= subscribers, 120_000);
    await sleep(1_000);
    const before = await cpuMs(setup.api.pid);
    await sleep(rounds * intervalMs);
    const cpu = (await cpuMs(setup.api.pid)) - before;
    return {
      subscribers,
      intervalMs,
      cpuMsPerRound: round(cpu / rounds),
      cpuUsPerSocketPerRound: round((cpu * 1000) / rounds / subscribers),
    };
  } finally {
    await subs.close();
  }
}

/** `subscribers` subscriptions to one tenant, `events` events `gapMs` apart: API CPU per delivered frame, latency, memory. */
export async function fanOutTo(setup: FanOutSetup, subscribers: number, events: number, gapMs: number) {
  const redis = new Redis(setup.redisUrl);
  const subs = new Subscribers();
  try {
    // A first round of 100 subscriptions and an event, closed again: what a process pays once (code
    // loaded and compiled, caches filled) stays out of the per-subscription memory figure.
    const first = new Subscribers();
    await subscribeTo(setup, first, 100);
    await until(() => first.acked >= 100, 60_000);
    await publish({ ...setup, runs: [setup.runs[0]] }, redis, first, 1, 0);
    await until(() => first.frames >= 100, 60_000);
    await first.close();
    await sleep(1_000);
    const rssBefore = await rssKiB(setup.api.pid);
    await subscribeTo(setup, subs, subscribers);
    await until(() => subs.acked >= subscribers, 120_000);
    await sleep(1_000);
    const rssIdle = await rssKiB(setup.api.pid);
    // Warm-up: the first events pay for JIT and caches.
    await publish({ ...setup, runs: [setup.runs[0]] }, redis, subs, 3, gapMs);
    await until(() => subs.frames >= 3 * subscribers, 60_000);
    subs.reset();
    // What the API spends with these subscribers and no events (timers, keep-alives), over as long.
    const idleBefore = await cpuMs(setup.api.pid);
    await sleep(events * gapMs);
    const idleCpuMs = (await cpuMs(setup.api.pid)) - idleBefore;
    const cpuBefore = await cpuMs(setup.api.pid);
    const started = performance.now();
    await publish({ ...setup, runs: [setup.runs[0]] }, redis, subs, events, gapMs);
    await until(() => subs.frames >= events * subscribers, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await cpuMs(setup.api.pid)) - cpuBefore;
    const api = {
      subscribers,
      events,
      delivered: subs.frames,
      expected: events * subscribers,
      cpuUsPerFrame: round((cpu * 1000) / Math.max(subs.frames, 1)),
      idleCpuMs,
      framesPerSecond: Math.round(subs.frames / seconds),
      ...subs.latency(),
      idleKiBPerSubscription: round((rssIdle - rssBefore) / subscribers),
    };
    const sample = subs.sample ?? '{}';
    await subs.close();
    await sleep(1_000);
    const raw = await floor(sample, subscribers, events, gapMs);
    return { api, floor: raw, cpuRatio: round(api.cpuUsPerFrame / raw.cpuUsPerFrame) };
  } finally {
    await subs.close();
    redis.disconnect();
  }
}

/** The API's histogram of group executions so far (its sum in seconds and count), from /metrics. */
async function groupExecutions(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    sum: read('atlas_subscription_group_execution_seconds_sum'),
    count: read('atlas_subscription_group_execution_seconds_count'),
  };
}

export const RUN_ONLY = `subscription ($t: ID) { operationRunUpdated(tenantId: $t) { id changeId status summary { total succeeded failed } } }`;

/**
 * `groups` tenants x `perGroup` subscribers each, events on every tenant as fast as published:
 * frames per second, API CPU per group event (frames included), and the mean wall time of one
 * shared execution (the API's own histogram: resolvers, their reads and serialization).
 */
export async function groupsOf(
  setup: FanOutSetup,
  groups: number,
  perGroup: number,
  eventsPerGroup: number,
  query = QUERY,
) {
  const redis = new Redis(setup.redisUrl);
  const subs = new Subscribers();
  try {
    const runs = setup.runs.slice(0, groups);
    await subs.open(
      `ws://127.0.0.1:${setup.api.port}/graphql`,
      groups * perGroup,
      (i) => ({
        id: `sub-${i}`,
        type: 'subscribe',
        payload: {
          query,
          variables: { t: (runs[i % groups] as { tenantId: string }).tenantId },
          extensions: { subscriptionAck: true },
        },
      }),
      setup.token,
    );
    await until(() => subs.acked >= groups * perGroup, 120_000);
    await sleep(500);
    const events = groups * eventsPerGroup;
    const executionsBefore = await groupExecutions(setup.api.port);
    const cpuBefore = await cpuMs(setup.api.pid);
    const started = performance.now();
    await publish({ ...setup, runs }, redis, subs, events, 0);
    await until(() => subs.frames >= events * perGroup, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await cpuMs(setup.api.pid)) - cpuBefore;
    const executionsAfter = await groupExecutions(setup.api.port);
    const executions = executionsAfter.count - executionsBefore.count;
    return {
      groups,
      perGroup,
      document: query === QUERY ? 'with tenant { id name }' : "the run's own fields",
      executions,
      executionMsMean:
        Math.round(((executionsAfter.sum - executionsBefore.sum) * 1e6) / Math.max(executions, 1)) / 1000,
      delivered: subs.frames,
      expected: events * perGroup,
      framesPerSecond: Math.round(subs.frames / seconds),
      cpuMsPerGroupEvent: round(cpu / events),
      ...subs.latency(),
    };
  } finally {
    await subs.close();
    redis.disconnect();
  }
}

/**
 * A client that stops reading beside 100 that read: 200 events of about 60 KB, once without and once
 * with the stalled client. Its socket is closed with 1013 once WS_MAX_BUFFERED_BYTES is passed, and
 * the readers' latency is compared with the run without it (the bound is in the README).
 */
export async function slowConsumer(setup: FanOutSetup, readers = 100, events = 200) {
  const query = `subscription ($t: ID) { operationRunUpdated(tenantId: $t) { id changeId status reason { message } } }`;
  const run = setup.runs[0] as { tenantId: string };
  const big = { ...run, reasonCode: 'INTERNAL_ERROR', reasonMessage: 'x'.repeat(60_000), reasonNextSteps: [] };
  const once = async (stalled: boolean) => {
    const redis = new Redis(setup.redisUrl);
    const subs = new Subscribers();
    const slow = new Subscribers();
    let closeCode: number | null = null;
    try {
      const message = (i: number) => ({
        id: `sub-${i}`,
        type: 'subscribe',
        payload: { query, variables: { t: run.tenantId }, extensions: { subscriptionAck: true } },
      });
      await subs.open(`ws://127.0.0.1:${setup.api.port}/graphql`, readers, message, setup.token);
      if (stalled) {
        await slow.open(`ws://127.0.0.1:${setup.api.port}/graphql`, 1, message, setup.token);
        const socket = slow.sockets[0];
        socket.on('close', (code) => (closeCode = code));
        await until(() => slow.acked === 1, 30_000);
        (socket as unknown as { _socket: { pause(): void } })._socket.pause(); // stops reading
      }
      await until(() => subs.acked >= readers, 60_000);
      await sleep(500);
      await publish({ ...setup, runs: [big] }, redis, subs, events, 5);
      await until(() => subs.frames >= events * readers, 120_000);
      if (stalled) {
        // Reading again: what the server queued before closing arrives, then its close frame.
        (slow.sockets[0] as unknown as { _socket: { resume(): void } })._socket.resume();
        await until(() => closeCode !== null, 30_000);
      }
      return { delivered: subs.frames, expected: events * readers, ...subs.latency(), closeCode };
    } finally {
      await subs.close();
      await slow.close();
      redis.disconnect();
    }
  };
  const without = await once(false);
  const withStalled = await once(true);
  return { readers, events, frameKiB: 60, without, withStalled };
}
