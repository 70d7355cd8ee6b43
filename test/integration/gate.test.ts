// The start gate against real Postgres, Redis and BullMQ (no workers run here, so admitted runs
// stay QUEUED and the outcomes of later starts are stable).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { PublicError } from '../../src/errors.js';
import { JobDispatcher } from '../../src/jobs/dispatch.js';
import { ScopeLock } from '../../src/gate/scope-lock.js';
import { StartGate, type Initiator, type StartGateOptions } from '../../src/gate/start-gate.js';
import { createLogger } from '../../src/logger.js';
import {
  StartBootstrap,
  StartConnectionCheck,
  StartDirectorySync,
  StartRestore,
  StartTenantVerification,
} from '../support/documents.js';
import type { StartResultFieldsFragment } from '../generated/graphql.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld({ PUBLIC_APP_URL: 'https://atlas.example' });
});
afterAll(async () => world?.close());
beforeEach(async () => world.reset());

const ALPINE = ids.tenant('Alpine');
const ELM = ids.tenant('Elm');
const alpineConnection = ids.connection('Alpine', 'Alpine Graph');
const birchSecondary = ids.connection('Birch', 'Birch Graph (secondary)');

type Start = {
  name: string;
  label: string;
  run: (as?: string, tenant?: string) => Promise<{ result?: StartResultFieldsFragment; code?: string }>;
};

function unwrap(res: {
  data?: { result: StartResultFieldsFragment } | null;
  errors?: readonly { extensions?: Record<string, unknown> }[];
}) {
  if (res.errors?.length) return { code: String(res.errors[0].extensions?.code) };
  return { result: res.data!.result };
}

/** Every start mutation, on a target that admits it in the seeded state. */
const STARTS: Start[] = [
  {
    name: 'startRestore',
    label: 'Restore',
    run: async (as) => unwrap(await world.gql(StartRestore, { restoreRunId: ids.restoreRun('Alpine') }, as)),
  },
  {
    name: 'startDirectorySync(GROUPS)',
    label: 'Group sync',
    run: async (as, t = ALPINE) => unwrap(await world.gql(StartDirectorySync, { tenantId: t, kind: 'GROUPS' }, as)),
  },
  {
    name: 'startDirectorySync(ROLE_DEFINITIONS)',
    label: 'Role definitions sync',
    run: async (as, t = ALPINE) =>
      unwrap(await world.gql(StartDirectorySync, { tenantId: t, kind: 'ROLE_DEFINITIONS' }, as)),
  },
  {
    name: 'startTenantVerification',
    label: 'Tenant verification',
    run: async (as, t = ALPINE) => unwrap(await world.gql(StartTenantVerification, { tenantId: t }, as)),
  },
  {
    name: 'startProviderConnectionCheck',
    label: 'Connection check',
    run: async (as) => unwrap(await world.gql(StartConnectionCheck, { providerConnectionId: alpineConnection }, as)),
  },
  {
    name: 'startOnboardingBootstrap',
    label: 'Onboarding bootstrap',
    run: async (as) => unwrap(await world.gql(StartBootstrap, { tenantId: ELM }, as)),
  },
];

const runCount = () => world.services.prisma.operationRun.count({ where: { parentId: null } });
/** The queries of this world's database that wait on a lock held by another transaction (null while none does). */
async function rowLockWaiters(): Promise<string[] | null> {
  const rows = await world.services.prisma.$queryRaw<{ query: string }[]>`
    SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`;
  return rows.length ? rows.map((r) => r.query) : null;
}
const jobCount = async () => {
  const counts = await world.services.dispatcher.getJobCounts(
    'waiting',
    'active',
    'delayed',
    'prioritized',
    'completed',
    'failed',
  );
  return Object.values(counts).reduce((a, b) => a + b, 0);
};

describe('accepted and deduped, for every operation type', () => {
  it.each(STARTS)('$name: QUEUED, then ALREADY_RUNNING pointing at the same run', async (start) => {
    const first = (await start.run('owner@contoso.test')).result!;
    expect(first.__typename).toBe('StartAccepted');
    if (first.__typename !== 'StartAccepted') return;
    expect(first.status).toBe('QUEUED');
    expect(first.message).toBe(`${start.label} queued`);
    expect(first.runUrl).toBe(`https://atlas.example/operations/runs/${first.run.id}`);
    expect(first.nextSteps).toEqual([
      { label: 'Open run', action: 'OPEN_OPERATION_RUN', url: `/operations/runs/${first.run.id}` },
    ]);
    expect(first.run.status).toBe('QUEUED');
    expect(first.run.initiator?.email).toBe('owner@contoso.test');
    const job = await world.services.dispatcher.getJob(first.run.id);
    expect(job?.data).toEqual({ runId: first.run.id, providerConnectionId: first.run.providerConnection?.id ?? null });

    const second = (await start.run('manager@contoso.test')).result!;
    expect(second.__typename).toBe('StartDeduped');
    if (second.__typename !== 'StartDeduped') return;
    expect(second.status).toBe('ALREADY_RUNNING');
    expect(second.message).toBe(`${start.label} already running`);
    expect(second.run.id).toBe(first.run.id);
    expect(second.runUrl).toBe(first.runUrl);
    expect(await runCount()).toBe(1);
    expect(await jobCount()).toBe(1);
  });

  it('queues a bootstrap with its three steps in order, and a second bootstrap is ALREADY_RUNNING', async () => {
    const first = (await STARTS[5].run()).result!;
    if (first.__typename !== 'StartAccepted') throw new Error(first.__typename);
    expect(first.run.children.map((c) => [c.step, c.type, c.status])).toEqual([
      [1, 'TENANT_VERIFICATION', 'QUEUED'],
      [2, 'DIRECTORY_GROUPS_SYNC', 'QUEUED'],
      [3, 'ROLE_DEFINITIONS_SYNC', 'QUEUED'],
    ]);
    // One job for the whole bootstrap: its steps run inside the parent's job.
    expect(await jobCount()).toBe(1);
    const again = (await STARTS[5].run()).result!;
    expect([again.__typename, again.status]).toEqual(['StartDeduped', 'ALREADY_RUNNING']);
  });

  it('lets shared runs of different types run side by side', async () => {
    const results = [];
    for (const start of STARTS.slice(1, 5)) results.push((await start.run()).result!.__typename);
    expect(results).toEqual(['StartAccepted', 'StartAccepted', 'StartAccepted', 'StartAccepted']);
  });
});

describe('scope busy', () => {
  it('blocks every other start on the tenant while a restore (exclusive) is active', async () => {
    const restore = (await STARTS[0].run()).result!;
    if (restore.__typename !== 'StartAccepted') throw new Error(restore.__typename);
    for (const start of STARTS.slice(1, 5)) {
      const res = (await start.run()).result!;
      expect(res.__typename).toBe('StartScopeBusy');
      if (res.__typename !== 'StartScopeBusy') continue;
      expect(res.status).toBe('SCOPE_BUSY');
      expect(res.message).toBe(`${start.label} not started: Restore is in progress on this tenant`);
      expect(res.blockingRun.id).toBe(restore.run.id);
      expect(res.runUrl).toBe(restore.runUrl);
      expect(res.nextSteps[0]).toEqual({
        label: 'Open restore run',
        action: 'OPEN_OPERATION_RUN',
        url: `/operations/runs/${restore.run.id}`,
      });
    }
    expect(await runCount()).toBe(1);
    expect(await jobCount()).toBe(1);
  });

  it('blocks an exclusive start while a shared run is active', async () => {
    const sync = (await STARTS[1].run()).result!;
    if (sync.__typename !== 'StartAccepted') throw new Error(sync.__typename);
    const res = (await STARTS[0].run()).result!;
    expect(res.__typename).toBe('StartScopeBusy');
    if (res.__typename !== 'StartScopeBusy') return;
    expect(res.message).toBe('Restore not started: Group sync is in progress on this tenant');
    expect(res.blockingRun.id).toBe(sync.run.id);
  });

  it('names the bootstrap parent, never a step, while a bootstrap holds the tenant', async () => {
    const boot = (await STARTS[5].run()).result!;
    if (boot.__typename !== 'StartAccepted') throw new Error(boot.__typename);
    for (const start of STARTS.slice(1, 4)) {
      const res = (await start.run('owner@contoso.test', ELM)).result!;
      expect(res.__typename).toBe('StartScopeBusy');
      if (res.__typename !== 'StartScopeBusy') continue;
      expect(res.blockingRun.id).toBe(boot.run.id);
      expect(res.blockingRun.type).toBe('ONBOARDING_BOOTSTRAP');
      expect(res.message).toBe(`${start.label} not started: Onboarding bootstrap is in progress on this tenant`);
    }
    const check = unwrap(
      await world.gql(StartConnectionCheck, { providerConnectionId: ids.connection('Elm', 'Elm Graph') }),
    ).result!;
    expect(check.__typename).toBe('StartScopeBusy');
  });
});

describe('blocked starts', () => {
  const blocked = async (res: { result?: StartResultFieldsFragment; code?: string }) => {
    expect(res.code).toBeUndefined();
    const r = res.result!;
    expect(r.__typename).toBe('StartBlocked');
    if (r.__typename !== 'StartBlocked') throw new Error('not blocked');
    return r;
  };

  it.each([
    ['Fir', 'TENANT_ARCHIVED', 'the tenant is archived', 'OPEN_TENANT'],
    ['Cedar', 'PROVIDER_CONNECTION_MISSING', 'the tenant has no provider connection', 'ADD_PROVIDER_CONNECTION'],
    ['Birch', 'PROVIDER_CONNECTION_DISABLED', 'the provider connection is disabled', 'ENABLE_PROVIDER_CONNECTION'],
    [
      'Dune',
      'PROVIDER_CONSENT_REQUIRED',
      'admin consent has not been granted for the provider connection',
      'GRANT_ADMIN_CONSENT',
    ],
  ])(
    '%s: %s for every tenant-scoped start, recorded as BLOCKED, never queued',
    async (tenant, code, reason, action) => {
      for (const start of STARTS.filter((s) =>
        ['Group sync', 'Role definitions sync', 'Tenant verification'].includes(s.label),
      )) {
        const r = await blocked(await start.run('owner@contoso.test', ids.tenant(tenant)));
        expect(r.status).toBe('BLOCKED');
        expect(r.message).toBe(`${start.label} blocked: ${reason}`);
        expect(r.reason).toEqual({ code, message: reason.charAt(0).toUpperCase() + reason.slice(1) });
        expect(r.nextSteps.length).toBeGreaterThan(0);
        expect(r.nextSteps[0].action).toBe(action);
        expect(r.run.status).toBe('BLOCKED');
        expect(r.run.reason?.code).toBe(code);
      }
      const bootstrap = await blocked(unwrap(await world.gql(StartBootstrap, { tenantId: ids.tenant(tenant) })));
      expect(bootstrap.reason.code).toBe(code);
      expect(await runCount()).toBe(4);
      expect(await world.services.prisma.operationRun.count({ where: { status: { not: 'BLOCKED' } } })).toBe(0);
      expect(await jobCount()).toBe(0);
    },
  );

  it('records the resolved connection on a BLOCKED run, and none when it was missing', async () => {
    const disabled = await blocked(await STARTS[1].run('owner@contoso.test', ids.tenant('Birch')));
    expect(disabled.run.providerConnection?.id).toBe(ids.connection('Birch', 'Birch Graph (primary)'));
    const missing = await blocked(await STARTS[1].run('owner@contoso.test', ids.tenant('Cedar')));
    expect(missing.run.providerConnection).toBeNull();
  });

  it.each([
    ['EXPIRED', 'PROVIDER_CREDENTIALS_EXPIRED', 'RENEW_CREDENTIALS'],
    ['MISSING', 'PROVIDER_CREDENTIALS_MISSING', 'ADD_CREDENTIALS'],
  ] as const)('credentials %s block with %s', async (state, code, action) => {
    await world.services.prisma.providerConnection.update({
      where: { id: alpineConnection },
      data: { credentialState: state },
    });
    const r = await blocked(await STARTS[1].run());
    expect(r.reason.code).toBe(code);
    expect(r.nextSteps[0].action).toBe(action);
    const restore = await blocked(await STARTS[0].run());
    expect(restore.reason.code).toBe(code);
  });

  it('a connection check is not blocked by credentials, only by a disabled connection or archived tenant', async () => {
    const dune = unwrap(
      await world.gql(StartConnectionCheck, { providerConnectionId: ids.connection('Dune', 'Dune Graph') }),
    ).result!;
    expect(dune.__typename).toBe('StartAccepted');
    const birch = await blocked(
      unwrap(
        await world.gql(StartConnectionCheck, {
          providerConnectionId: ids.connection('Birch', 'Birch Graph (primary)'),
        }),
      ),
    );
    expect([birch.reason.code, birch.message]).toEqual([
      'PROVIDER_CONNECTION_DISABLED',
      'Connection check blocked: the provider connection is disabled',
    ]);
    const fir = await blocked(
      unwrap(await world.gql(StartConnectionCheck, { providerConnectionId: ids.connection('Fir', 'Fir Graph') })),
    );
    expect(fir.reason.code).toBe('TENANT_ARCHIVED');
  });

  it('a restore run that is not READY is RESTORE_RUN_NOT_READY; archived wins over it', async () => {
    await world.services.prisma.restoreRun.update({
      where: { id: ids.restoreRun('Alpine') },
      data: { status: 'COMPLETED' },
    });
    const r = await blocked(await STARTS[0].run());
    expect([r.reason.code, r.message]).toEqual([
      'RESTORE_RUN_NOT_READY',
      'Restore blocked: the restore run is not ready to execute',
    ]);
    expect(r.nextSteps[0]).toEqual({
      action: 'OPEN_RESTORE_RUN',
      label: 'Open restore run',
      url: `/tenants/${ALPINE}/restore-runs/${ids.restoreRun('Alpine')}`,
    });
    await world.services.prisma.tenant.update({ where: { id: ALPINE }, data: { status: 'ARCHIVED' } });
    expect((await blocked(await STARTS[0].run())).reason.code).toBe('TENANT_ARCHIVED');
  });

  it('blocking wins over dedupe: preflight comes before the active-run check', async () => {
    expect((await STARTS[1].run()).result!.__typename).toBe('StartAccepted');
    await world.services.prisma.providerConnection.update({
      where: { id: alpineConnection },
      data: { enabled: false },
    });
    expect((await blocked(await STARTS[1].run())).reason.code).toBe('PROVIDER_CONNECTION_DISABLED');
  });
});

describe('authorization', () => {
  const ALLOWED: Record<string, string[]> = {
    'owner@contoso.test': STARTS.map((s) => s.label),
    'manager@contoso.test': STARTS.map((s) => s.label),
    'operator@contoso.test': ['Group sync', 'Role definitions sync', 'Tenant verification', 'Connection check'],
    'reader@contoso.test': [],
  };

  it.each(Object.keys(ALLOWED))('%s: the role x operation matrix', async (email) => {
    for (const start of STARTS) {
      await world.reset();
      const res = await start.run(email);
      const allowed = ALLOWED[email].includes(start.label);
      if (allowed) expect(res.result?.__typename, `${email} ${start.name}`).toBe('StartAccepted');
      else expect(res.code, `${email} ${start.name}`).toBe('FORBIDDEN');
      expect([await runCount(), await jobCount()]).toEqual(allowed ? [1, 1] : [0, 0]);
    }
  });

  it('an outsider gets NOT_FOUND for every start on Contoso, and nothing is recorded', async () => {
    for (const start of STARTS) expect((await start.run('outsider@other.test')).code, start.name).toBe('NOT_FOUND');
    expect(await runCount()).toBe(0);
  });

  it('an anonymous caller is UNAUTHENTICATED', async () => {
    for (const start of STARTS)
      expect((await start.run(null as unknown as string)).code, start.name).toBe('UNAUTHENTICATED');
  });

  it('NOT_FOUND for unknown and malformed ids, the same as for another workspace', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await STARTS[1].run('owner@contoso.test', unknown)).code).toBe('NOT_FOUND');
    expect((await STARTS[1].run('owner@contoso.test', 'not-an-id')).code).toBe('NOT_FOUND');
    expect(unwrap(await world.gql(StartRestore, { restoreRunId: unknown })).code).toBe('NOT_FOUND');
    expect(unwrap(await world.gql(StartConnectionCheck, { providerConnectionId: "x' OR 1=1 --" })).code).toBe(
      'NOT_FOUND',
    );
    expect((await STARTS[1].run('owner@contoso.test', ids.tenant('Zephyr'))).code).toBe('NOT_FOUND');
  });

  it("NOT_FOUND comes before FORBIDDEN: a reader naming another tenant's connection", async () => {
    const res = unwrap(
      await world.gql(
        StartDirectorySync,
        { tenantId: ALPINE, providerConnectionId: birchSecondary },
        'reader@contoso.test',
      ),
    );
    expect(res.code).toBe('NOT_FOUND');
  });
});

describe('explicit provider connection', () => {
  it("another tenant's connection is NOT_FOUND", async () => {
    for (const doc of [StartDirectorySync, StartTenantVerification, StartBootstrap] as const) {
      const res = unwrap(
        await world.gql(doc as typeof StartTenantVerification, {
          tenantId: ALPINE,
          providerConnectionId: birchSecondary,
        }),
      );
      expect(res.code).toBe('NOT_FOUND');
    }
    const restore = unwrap(
      await world.gql(StartRestore, { restoreRunId: ids.restoreRun('Alpine'), providerConnectionId: birchSecondary }),
    );
    expect(restore.code).toBe('NOT_FOUND');
    expect(await runCount()).toBe(0);
  });

  it('a valid non-default connection is pinned on the run and in the job, and stays pinned when the default changes', async () => {
    const birch = ids.tenant('Birch');
    const res = unwrap(await world.gql(StartDirectorySync, { tenantId: birch, providerConnectionId: birchSecondary }))
      .result!;
    if (res.__typename !== 'StartAccepted') throw new Error(res.__typename);
    expect(res.run.providerConnection?.id).toBe(birchSecondary);
    expect((await world.services.dispatcher.getJob(res.run.id))?.data.providerConnectionId).toBe(birchSecondary);

    // Make the primary the valid default again: the admitted run keeps its pinned connection.
    const primary = ids.connection('Birch', 'Birch Graph (primary)');
    await world.services.prisma.providerConnection.update({ where: { id: primary }, data: { enabled: true } });
    const run = await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: res.run.id } });
    expect(run.providerConnectionId).toBe(birchSecondary);
    // The dedupe target is tenant + connection: a sync on the default is a different start.
    const other = unwrap(await world.gql(StartDirectorySync, { tenantId: birch })).result!;
    expect(other.__typename).toBe('StartAccepted');
    if (other.__typename === 'StartAccepted') expect(other.run.providerConnection?.id).toBe(primary);
  });
});

describe('races (real concurrency, exact counts)', () => {
  const owner = (): Initiator => ({
    userId: ids.user('owner@contoso.test'),
    roles: new Map([[ids.workspace('Contoso MSP'), 'OWNER' as const]]),
  });

  it('100 identical concurrent starts over GraphQL admit exactly one', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => STARTS[1].run()));
    const kinds = results.map((r) => r.result?.__typename ?? r.code);
    expect(kinds.filter((k) => k === 'StartAccepted')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'StartDeduped')).toHaveLength(99);
    const accepted = results.find((r) => r.result?.__typename === 'StartAccepted')!.result! as { run: { id: string } };
    expect(new Set(results.map((r) => (r.result as { run: { id: string } }).run.id))).toEqual(
      new Set([accepted.run.id]),
    );
    expect(await runCount()).toBe(1);
    expect(await jobCount()).toBe(1);
  });

  it('concurrent exclusive and shared starts on one tenant never both admit', async () => {
    for (let round = 0; round < 5; round++) {
      await world.reset();
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? STARTS[0] : STARTS[1]).run()));
      const kinds = results.map((r) => r.result?.__typename ?? r.code);
      expect(
        kinds.filter((k) => k === 'StartAccepted'),
        `round ${round}`,
      ).toHaveLength(1);
      expect(kinds.every((k) => k === 'StartAccepted' || k === 'StartDeduped' || k === 'StartScopeBusy')).toBe(true);
      expect(await world.services.prisma.operationRun.count({ where: { status: { in: ['QUEUED', 'RUNNING'] } } })).toBe(
        1,
      );
    }
  });

  it('two gate instances with their own Redis and Prisma clients admit exactly one', async () => {
    const a = world.spawnServices();
    const b = world.spawnServices();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? a : b).gate.start(owner(), { type: 'TENANT_VERIFICATION', tenantId: ALPINE }),
      ),
    );
    expect(results.filter((r) => r.status === 'QUEUED')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'ALREADY_RUNNING')).toHaveLength(59);
    expect(await runCount()).toBe(1);
    expect(await jobCount()).toBe(1);
  });

  it.each([
    ['the same sync', 'DIRECTORY_GROUPS_SYNC', { tenantId: ALPINE }, 'ALREADY_RUNNING'],
    [
      'a shared sync against a paused restore',
      'RESTORE_EXECUTE',
      { restoreRunId: ids.restoreRun('Alpine') },
      'SCOPE_BUSY',
    ],
  ] as const)(
    'racepoint: %s, paused between checks and insert with its lease expired, admits exactly one',
    async (_name, typeA, targetA, expected) => {
      let release!: () => void;
      let paused!: () => void;
      const pausedAt = new Promise<void>((r) => (paused = r));
      const gateA = world.spawnServices({
        scopeLockTtlMs: 100,
        gate: {
          racepoints: {
            beforeInsert: () => {
              paused();
              return new Promise<void>((r) => (release = r));
            },
          },
        },
      }).gate;
      const gateB = world.spawnServices({ scopeLockTtlMs: 100 }).gate;

      const startA = gateA.start(owner(), { type: typeA, ...targetA });
      await pausedAt;
      // A's Redlock lease expires while A is paused inside its transaction.
      const lease = world.services.names.scopeLock(ALPINE);
      await waitFor(async () => (await world.services.redis.exists(lease)) === 0, { what: "A's lease to expire" });
      let bDone = false;
      const startB = gateB
        .start(owner(), { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ALPINE })
        .finally(() => (bDone = true));
      // B took the expired lease and now waits on the tenant row that A's transaction holds: seen in PostgreSQL.
      const waiting = await waitFor(() => rowLockWaiters(), { what: 'B to wait on the tenant row lock' });
      expect(waiting).toEqual([expect.stringContaining('FOR NO KEY UPDATE')]);
      expect(bDone).toBe(false);
      release();
      const [resultA, resultB] = await Promise.all([startA, startB]);
      expect(resultA.status).toBe('QUEUED');
      expect(resultB.status).toBe(expected);
      const winner = resultA.status === 'QUEUED' ? resultA.run.id : null;
      if (resultB.status === 'ALREADY_RUNNING') expect(resultB.run.id).toBe(winner);
      if (resultB.status === 'SCOPE_BUSY') expect(resultB.blockingRun.id).toBe(winner);
      expect(await runCount()).toBe(1);
      expect(await jobCount()).toBe(1);
    },
  );

  it('racepoint: a duplicate inserted behind the gate is caught by the unique index and answered ALREADY_RUNNING', async () => {
    const intruder = world.spawnServices();
    const dedupeKey = `DIRECTORY_GROUPS_SYNC:${ALPINE}:${alpineConnection}`;
    let intruderRunId = '';
    const gate = world.spawnServices({
      gate: {
        racepoints: {
          beforeInsert: async () => {
            const run = await intruder.prisma.operationRun.create({
              data: {
                type: 'DIRECTORY_GROUPS_SYNC',
                status: 'QUEUED',
                tenantId: ALPINE,
                providerConnectionId: alpineConnection,
                dedupeKey,
                scopeClass: 'SHARED',
              },
            });
            intruderRunId = run.id;
          },
        },
      },
    }).gate;
    const result = await gate.start(owner(), { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ALPINE });
    expect(result.status).toBe('ALREADY_RUNNING');
    if (result.status === 'ALREADY_RUNNING') expect(result.run.id).toBe(intruderRunId);
    expect(await runCount()).toBe(1);
    expect(await jobCount()).toBe(0);
  });
});

describe('nothing half-done', () => {
  const log = createLogger('silent');
  const owner: Initiator = {
    userId: ids.user('owner@contoso.test'),
    roles: new Map([[ids.workspace('Contoso MSP'), 'OWNER' as const]]),
  };
  /** The world's gate with its own lock store, dispatcher and options. */
  const gateWith = (lock: ScopeLock, dispatcher: JobDispatcher, options?: StartGateOptions) => {
    const { store, lifecycle, providers } = world.services;
    return new StartGate(store, lifecycle, lock, dispatcher, providers, log, options);
  };
  const scopeKey = (tenantId: string) => world.services.names.scopeLock(tenantId);
  const deadRedis = () =>
    new Redis({ port: 1, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });

  it('a queue that cannot be reached fails the run with DISPATCH_FAILED and answers SERVICE_UNAVAILABLE', async () => {
    const { prisma, redis, names } = world.services;
    const dispatcher = new JobDispatcher(deadRedis(), names, log);
    const gate = gateWith(new ScopeLock(redis, scopeKey), dispatcher, { dispatchTimeoutMs: 500 });
    const error = await gate.start(owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ALPINE }).catch((e) => e);
    await dispatcher.close().catch(() => undefined);
    expect(error).toBeInstanceOf(PublicError);
    expect((error as PublicError).code).toBe('SERVICE_UNAVAILABLE');
    const runs = await prisma.operationRun.findMany();
    expect(runs.map((r) => [r.status, r.reasonCode])).toEqual([['FAILED', 'DISPATCH_FAILED']]);
    expect(await prisma.notification.count()).toBe(0);
    // The tenant is free again: the next start is admitted.
    expect((await world.services.gate.start(owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ALPINE })).status).toBe(
      'QUEUED',
    );
  });

  it('an unreachable lock store answers SERVICE_UNAVAILABLE and records nothing', async () => {
    const { prisma, dispatcher } = world.services;
    const lockRedis = deadRedis();
    lockRedis.on('error', () => undefined);
    const gate = gateWith(new ScopeLock(lockRedis, scopeKey), dispatcher);
    const error = await gate.start(owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ALPINE }).catch((e) => e);
    lockRedis.disconnect();
    expect((error as PublicError).code).toBe('SERVICE_UNAVAILABLE');
    expect((error as PublicError).message).not.toMatch(/quorum|redlock/i);
    expect(await prisma.operationRun.count()).toBe(0);
  });

  it('lock contention that outlasts the wait answers SERVICE_UNAVAILABLE, not a raw redlock error', async () => {
    const { prisma, dispatcher, redis } = world.services;
    const holder = new ScopeLock(redis, scopeKey, 5_000);
    const lease = await holder.tryAcquire(ALPINE);
    expect(lease).not.toBeNull();
    const gate = gateWith(new ScopeLock(redis, scopeKey), dispatcher, { lockWaitMs: 300 });
    const error = await gate.start(owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ALPINE }).catch((e) => e);
    await holder.release(lease!);
    expect((error as PublicError).code).toBe('SERVICE_UNAVAILABLE');
    expect(await prisma.operationRun.count()).toBe(0);
  });
});
