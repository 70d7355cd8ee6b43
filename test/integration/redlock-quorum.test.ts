// The scope lock on three independent Redis masters (REDLOCK_URLS), each a private redis-server
// this file starts, kills and restarts by pid. BullMQ and pub/sub stay on the shared Redis.
// One master down: admissions go on with a 2/3 quorum. Two down: starts answer
// SERVICE_UNAVAILABLE with nothing half-created, and /ready answers 503 (no quorum). Restarted
// masters rejoin and hold leases again.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOptions } from '../../src/redis/connections.js';
import { LOCK_MASTER_OPTIONS, ScopeLock } from '../../src/gate/scope-lock.js';
import { type ApiServer, startServer } from '../../src/server.js';
import type { StartRequest } from '../../src/gate/start-gate.js';
import { createLogger } from '../../src/logger.js';
import { StartDirectorySync, StartTenantVerification } from '../support/documents.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

const ALPINE = ids.tenant('Alpine');
const ELM = ids.tenant('Elm');

let masters: PrivateRedis[] = [];
/** Masters this file stopped; only those are started again (a start() over a live one would orphan it). */
const stopped = new Set<number>();
const stopMaster = async (i: number) => {
  await masters[i].stop();
  stopped.add(i);
};
let probes: Redis[] = [];
let world: World;
let server: ApiServer;
/** Which masters held the tenant's lease while each admission was inside it (seen from the racepoint). */
let leaseSeenOn: string[][] = [];

/** The masters holding a tenant's scope key right now ('down' ones cannot answer). */
async function holders(tenantId: string): Promise<string[]> {
  const key = world.services.names.scopeLock(tenantId);
  const seen = await Promise.all(
    probes.map((p, i) =>
      p.exists(key).then(
        (n) => (n ? `m${i}` : null),
        () => null,
      ),
    ),
  );
  return seen.filter((s): s is string => s !== null);
}

/** Another process's scope lock on the same three masters. */
const lockOnAllMasters = (ttlMs?: number) =>
  ScopeLock.connect(
    world.services.redisConnections.lockMasters(masters.map((m) => m.url).join(','), LOCK_MASTER_OPTIONS),
    (tenantId) => world.services.names.scopeLock(tenantId),
    createLogger('silent'),
    ttlMs,
  );

/** The API's readiness: its HTTP status and what it says of the lock masters. */
const ready = async () => {
  const res = await fetch(`${server.url}/ready`);
  return { status: res.status, locks: ((await res.json()) as { locks: string }).locks };
};

const queuedRows = () => world.services.prisma.operationRun.count({ where: { status: 'QUEUED' } });
const jobs = async () =>
  (await world.services.dispatcher.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).length;

beforeAll(async () => {
  masters = await Promise.all([startPrivateRedis(), startPrivateRedis(), startPrivateRedis()]);
  probes = masters.map((m) => {
    const probe = new Redis({
      ...redisOptions(m.url),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 100,
    });
    probe.on('error', () => undefined);
    return probe;
  });
  // A probe without an offline queue answers "not there" until it is connected: wait for all three.
  await Promise.all(probes.map((p) => (p.status === 'ready' ? undefined : new Promise((r) => p.once('ready', r)))));
  world = await createWorld(
    { REDLOCK_URLS: masters.map((m) => m.url).join(',') },
    {
      gate: {
        // Redlock returns once a majority voted; the last master's SET may land a moment later.
        racepoints: {
          beforeInsert: async (req: StartRequest) =>
            void leaseSeenOn.push(
              await waitFor(
                async () =>
                  (await holders(req.tenantId!)).length === probes.filter((p) => p.status === 'ready').length
                    ? holders(req.tenantId!)
                    : null,
                {
                  timeoutMs: 2_000,
                  what: 'the lease on every live master',
                },
              ).catch(() => holders(req.tenantId!)),
            ),
        },
      },
    },
  );
  server = await startServer(world.services, 0);
});

afterAll(async () => {
  await server?.close();
  await world?.close();
  for (const p of probes) p.disconnect();
  for (const m of masters) await m.close();
});

describe('scope lock on three Redlock masters', () => {
  it('with all three up, an admission holds its lease on every master', async () => {
    leaseSeenOn = [];
    const res = await world.gql(StartDirectorySync, { tenantId: ALPINE });
    expect(res.data?.result.__typename).toBe('StartAccepted');
    expect(leaseSeenOn).toEqual([['m0', 'm1', 'm2']]);
    // Released after the admission, on every master.
    expect(await holders(ALPINE)).toEqual([]);
    expect(await ready()).toEqual({ status: 200, locks: '3/3 masters' });
  });

  it('with one master down, admissions go on (2/3 quorum) and contention is still told from the outage', async () => {
    await world.reset();
    await stopMaster(2);
    leaseSeenOn = [];

    // Distinct targets: each is admitted.
    const distinct = await Promise.all([
      world.gql(StartDirectorySync, { tenantId: ALPINE, kind: 'GROUPS' }),
      world.gql(StartDirectorySync, { tenantId: ALPINE, kind: 'ROLE_DEFINITIONS' }),
      world.gql(StartTenantVerification, { tenantId: ALPINE }),
      world.gql(StartDirectorySync, { tenantId: ELM }),
    ]);
    expect(distinct.map((r) => r.errors?.[0]?.extensions?.code ?? r.data?.result.__typename)).toEqual(
      Array(4).fill('StartAccepted'),
    );

    // A burst on one target contends for the lease on the two live masters: one admitted, the rest deduped.
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => world.gql(StartTenantVerification, { tenantId: ELM })),
    );
    const answers = burst.map((r) => r.errors?.[0]?.extensions?.code ?? r.data?.result.__typename);
    expect(answers.filter((a) => a === 'StartAccepted')).toHaveLength(1);
    expect(answers.filter((a) => a === 'StartDeduped')).toHaveLength(19);

    expect(leaseSeenOn).toHaveLength(5);
    for (const seen of leaseSeenOn) expect(seen).toEqual(['m0', 'm1']);
    expect(await queuedRows()).toBe(5);
    expect(await jobs()).toBe(5);
    // Still ready: one master down leaves a quorum.
    expect(await ready()).toEqual({ status: 200, locks: '2/3 masters' });
  });

  it('with one master still down, a held lease is contention (wait and re-read), answered without waiting on the down master', async () => {
    const holder = lockOnAllMasters(30_000);
    const contender = lockOnAllMasters();
    try {
      const lease = await holder.tryAcquire(ALPINE);
      expect(lease).not.toBeNull();
      const started = Date.now();
      for (let i = 0; i < 10; i++) expect(await contender.tryAcquire(ALPINE)).toBeNull();
      // About a millisecond each; a vote queued for the down master would take its reconnect cycle (0.5-1 s) each.
      expect(Date.now() - started).toBeLessThan(2_500);
      await holder.release(lease!);
      const next = await contender.tryAcquire(ALPINE);
      expect(next).not.toBeNull();
      await contender.release(next!);
    } finally {
      holder.close();
      contender.close();
    }
  });

  it('with two masters down, starts answer SERVICE_UNAVAILABLE and nothing is half-created', async () => {
    await world.reset();
    // A lease taken while two masters were up survives on m0 alone once m1 goes down: a
    // "locked" vote from a minority is an outage, not contention to wait out.
    const holder = lockOnAllMasters(30_000);
    try {
      expect(await holder.tryAcquire(ALPINE)).not.toBeNull();
      await stopMaster(1);
      leaseSeenOn = [];

      const started = Date.now();
      const answers = await Promise.all([
        world.gql(StartDirectorySync, { tenantId: ALPINE }),
        world.gql(StartDirectorySync, { tenantId: ELM }),
        world.gql(StartTenantVerification, { tenantId: ELM }),
      ]);
      for (const res of answers) {
        expect(res.data).toBeNull();
        expect(res.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
        expect(res.errors?.[0]?.message).toMatch(/unreachable/);
        expect(res.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
      }
      // Answered at once, not after the gate's 3 s wait for a busy tenant.
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(leaseSeenOn).toEqual([]);
      expect(await world.services.prisma.operationRun.count()).toBe(0);
      expect(await queuedRows()).toBe(0);
      expect(await jobs()).toBe(0);
      // Out of rotation: this replica cannot admit anything.
      expect(await ready()).toEqual({ status: 503, locks: '1/3 masters, no quorum' });
    } finally {
      holder.close();
    }
  });

  it('restarted masters rejoin: admissions work again and hold their lease on all three', async () => {
    for (const i of stopped) await masters[i].start();
    expect([...stopped].sort()).toEqual([1, 2]);
    stopped.clear();
    // Each try is one admission on a fresh state; the clients reconnect within about half a second.
    const seen = await waitFor(
      async () => {
        await world.reset();
        leaseSeenOn = [];
        const res = await world.gql(StartDirectorySync, { tenantId: ELM });
        return res.data?.result.__typename === 'StartAccepted' && leaseSeenOn[0]?.length === 3 && leaseSeenOn[0];
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'an admission holding its lease on all three masters' },
    );
    expect(seen).toEqual(['m0', 'm1', 'm2']);
    expect(await ready()).toEqual({ status: 200, locks: '3/3 masters' });
    expect(await queuedRows()).toBe(1);
    expect(await jobs()).toBe(1);
  });
});
