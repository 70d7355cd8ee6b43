// Contract rules (docs/behaviour.md: catalogue, starting an operation, demo seed) that no other test pinned down, each asserted
// through GraphQL, the database or a real process, so they hold whatever the modules are called:
// FORBIDDEN before preflight, the bootstrap on the exclusive side of SCOPE_BUSY, the lock-free
// busy answer, READONLY reading everything, an idempotent seed, and a PROVIDER_MODE=graph job.
// No workers run here except in the Graph test, so admitted runs stay QUEUED (active).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/seed/demo.js';
import type { StartResultFieldsFragment } from '../generated/graphql.js';
import {
  MeAndTenants,
  OperationRunById,
  OperationRuns,
  StartBootstrap,
  StartConnectionCheck,
  StartDirectorySync,
  StartRestore,
  StartTenantVerification,
} from '../support/documents.js';
import { FAKE_CLIENT_SECRET, fakeGroupId, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { spawnAtlas } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let graph: FakeGraph;
beforeAll(async () => {
  graph = await startFakeGraph({ groupCount: 7, groupPageSize: 3 });
  world = await createWorld();
});
afterAll(async () => {
  await world?.close();
  await graph?.close();
});
beforeEach(async () => world.reset());

const OWNER = 'owner@contoso.test';
const MANAGER = 'manager@contoso.test';
const OPERATOR = 'operator@contoso.test';
const READER = 'reader@contoso.test';
const ALPINE = ids.tenant('Alpine');
const ELM = ids.tenant('Elm');
const FIR = ids.tenant('Fir');

type Answer = { result?: StartResultFieldsFragment; code?: string };
function answer(res: {
  data?: { result: StartResultFieldsFragment } | null;
  errors?: readonly { extensions?: Record<string, unknown> }[];
}): Answer {
  if (res.errors?.length) return { code: String(res.errors[0].extensions?.code) };
  return { result: res.data!.result };
}
function accepted(a: Answer): { id: string } {
  if (a.result?.__typename !== 'StartAccepted')
    throw new Error(`expected StartAccepted, got ${a.result?.__typename ?? a.code}`);
  return a.result.run;
}

const syncOn = async (tenantId: string, as: string, providerConnectionId?: string) =>
  answer(await world.gql(StartDirectorySync, { tenantId, kind: 'GROUPS', providerConnectionId }, as));
const bootstrapOn = async (tenantId: string, as: string) => answer(await world.gql(StartBootstrap, { tenantId }, as));
const runRows = () => world.services.prisma.operationRun.count();

describe('FORBIDDEN is decided before preflight', () => {
  it('a reader starting anything on archived Fir gets FORBIDDEN and nothing is recorded; an owner gets TENANT_ARCHIVED, recorded (control)', async () => {
    // Fir has no restore run in the seed: give it a READY one, so every start type has a target on Fir.
    const firRestore = await world.services.prisma.restoreRun.create({
      data: { tenantId: FIR, name: 'Fir baseline', status: 'READY', items: [] },
    });
    const firConnection = ids.connection('Fir', 'Fir Graph');
    const starts: [string, (as: string) => Promise<Answer>][] = [
      ['startRestore', async (as) => answer(await world.gql(StartRestore, { restoreRunId: firRestore.id }, as))],
      ['startDirectorySync(GROUPS)', (as) => syncOn(FIR, as)],
      [
        'startDirectorySync(ROLE_DEFINITIONS)',
        async (as) => answer(await world.gql(StartDirectorySync, { tenantId: FIR, kind: 'ROLE_DEFINITIONS' }, as)),
      ],
      [
        'startTenantVerification',
        async (as) => answer(await world.gql(StartTenantVerification, { tenantId: FIR }, as)),
      ],
      [
        'startProviderConnectionCheck',
        async (as) => answer(await world.gql(StartConnectionCheck, { providerConnectionId: firConnection }, as)),
      ],
      ['startOnboardingBootstrap', (as) => bootstrapOn(FIR, as)],
    ];

    for (const [name, start] of starts) expect(await start(READER), `reader ${name}`).toEqual({ code: 'FORBIDDEN' });
    // An operator lacks restore and bootstrap: the same answer for those two.
    expect(await starts[0][1](OPERATOR)).toEqual({ code: 'FORBIDDEN' });
    expect(await starts[5][1](OPERATOR)).toEqual({ code: 'FORBIDDEN' });
    expect(await runRows()).toBe(0);

    // Control: past the capability check, the same starts reach preflight, which records them.
    for (const [name, start] of starts) {
      const { result } = await start(OWNER);
      expect(
        [result?.__typename, result?.__typename === 'StartBlocked' && result.reason.code],
        `owner ${name}`,
      ).toEqual(['StartBlocked', 'TENANT_ARCHIVED']);
    }
    expect(await world.services.prisma.operationRun.count({ where: { status: 'BLOCKED', tenantId: FIR } })).toBe(
      starts.length,
    );
    await world.services.prisma.restoreRun.delete({ where: { id: firRestore.id } }); // not a demo fixture: reset() keeps it
  });
});

describe('the bootstrap on the exclusive side of SCOPE_BUSY', () => {
  it('an active group sync on Elm makes a bootstrap SCOPE_BUSY naming the sync, and nothing of the bootstrap is recorded', async () => {
    const sync = accepted(await syncOn(ELM, OPERATOR));
    const busy = (await bootstrapOn(ELM, OWNER)).result!;
    expect(busy.__typename).toBe('StartScopeBusy');
    if (busy.__typename !== 'StartScopeBusy') return;
    expect(busy.status).toBe('SCOPE_BUSY');
    expect(busy.message).toBe('Onboarding bootstrap not started: Group sync is in progress on this tenant');
    expect(busy.blockingRun).toMatchObject({ id: sync.id, type: 'DIRECTORY_GROUPS_SYNC' });
    expect(busy.runUrl).toMatch(new RegExp(`/operations/runs/${sync.id}$`));
    expect(await world.services.prisma.operationRun.findMany({ select: { id: true } })).toEqual([{ id: sync.id }]);
  });

  it("an active bootstrap makes starts on its steps' own targets SCOPE_BUSY naming the bootstrap, never ALREADY_RUNNING on a step", async () => {
    const boot = accepted(await bootstrapOn(ELM, OWNER));
    const elmConnection = ids.connection('Elm', 'Elm Graph');
    // Each of these has exactly the type and dedupe target (Elm + Elm Graph) of one of the bootstrap's steps.
    const outside = [
      await syncOn(ELM, OPERATOR, elmConnection),
      answer(
        await world.gql(
          StartDirectorySync,
          { tenantId: ELM, kind: 'ROLE_DEFINITIONS', providerConnectionId: elmConnection },
          OPERATOR,
        ),
      ),
      answer(
        await world.gql(StartTenantVerification, { tenantId: ELM, providerConnectionId: elmConnection }, OPERATOR),
      ),
    ];
    for (const { result } of outside) {
      expect(result?.__typename).toBe('StartScopeBusy');
      if (result?.__typename !== 'StartScopeBusy') continue;
      expect(result.blockingRun).toMatchObject({ id: boot.id, type: 'ONBOARDING_BOOTSTRAP' });
      expect(result.message).toMatch(/ not started: Onboarding bootstrap is in progress on this tenant$/);
    }
    expect(await world.services.prisma.operationRun.count({ where: { parentId: null } })).toBe(1);
  });
});

describe('the busy answer never waits for the scope lock', () => {
  it('answers ALREADY_RUNNING and SCOPE_BUSY on a busy tenant while someone else holds its lease; a start that needs the lease waits (control)', async () => {
    const sync = accepted(await syncOn(ALPINE, OPERATOR));
    const redis = world.services.redis;
    // The tenant's Redlock lease (key as ScopeLock names it), held here as another admission would hold it.
    const key = world.services.names.scopeLock(ALPINE);
    const holder = `contract-test-${process.pid}`;
    expect(await redis.set(key, holder, 'PX', 30_000, 'NX')).toBe('OK');
    try {
      const deduped = (await syncOn(ALPINE, MANAGER)).result!;
      const busy = answer(await world.gql(StartRestore, { restoreRunId: ids.restoreRun('Alpine') }, MANAGER)).result!;
      expect([deduped.__typename, deduped.__typename === 'StartDeduped' && deduped.run.id]).toEqual([
        'StartDeduped',
        sync.id,
      ]);
      expect([busy.__typename, busy.__typename === 'StartScopeBusy' && busy.blockingRun.id]).toEqual([
        'StartScopeBusy',
        sync.id,
      ]);
      // Answered while the lease was still ours: an answer that needed it could only have been
      // SERVICE_UNAVAILABLE (the control below).
      expect(await redis.get(key)).toBe(holder);

      // Control: a start nothing answers early (a shared run of another type) needs the lease, so it
      // cannot be admitted while we hold it: it gives up after the lock wait, recording nothing.
      const waiting = answer(await world.gql(StartTenantVerification, { tenantId: ALPINE }, MANAGER));
      expect(waiting).toEqual({ code: 'SERVICE_UNAVAILABLE' });
      expect(await redis.get(key)).toBe(holder);
      expect(await world.services.prisma.operationRun.count()).toBe(1);
    } finally {
      // Only our own lease: compare and delete.
      await redis.eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
        1,
        key,
        holder,
      );
    }
    accepted(answer(await world.gql(StartTenantVerification, { tenantId: ALPINE }, MANAGER)));
  });
});

describe('READONLY reads everything in its workspace', () => {
  it("sees the same tenants, connections, restore runs, runs (other users' included) and bootstrap steps as the owner", async () => {
    const boot = accepted(await bootstrapOn(ELM, OWNER));
    const sync = accepted(await syncOn(ALPINE, OPERATOR));
    const blocked = (await syncOn(ids.tenant('Birch'), MANAGER)).result!;
    expect(blocked.__typename).toBe('StartBlocked');
    const zephyr = accepted(await syncOn(ids.tenant('Zephyr'), 'outsider@other.test'));

    const asReader = await world.gql(MeAndTenants, undefined, READER);
    const asOwner = await world.gql(MeAndTenants, undefined, OWNER);
    expect(asReader.errors).toBeUndefined();
    expect(asReader.data!.tenants).toEqual(asOwner.data!.tenants);
    expect(asReader.data!.tenants.map((t) => t.name)).toEqual(['Alpine', 'Birch', 'Cedar', 'Dune', 'Elm', 'Fir']);
    expect(asReader.data!.tenants.flatMap((t) => t.providerConnections)).toHaveLength(6);
    expect(asReader.data!.tenants.find((t) => t.name === 'Alpine')!.restoreRuns).toEqual([
      { id: ids.restoreRun('Alpine'), status: 'READY' },
    ]);

    const list = { filter: { includeSteps: true }, first: 50 };
    const readerRuns = await world.gql(OperationRuns, list, READER);
    expect(readerRuns.errors).toBeUndefined();
    expect(readerRuns.data).toEqual((await world.gql(OperationRuns, list, OWNER)).data);
    const seen = readerRuns.data!.operationRuns.edges.map((e) => e.node);
    // The bootstrap, its three steps, the operator's sync and the manager's blocked start; not Zephyr's run.
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((r) => r.initiator?.email))).toEqual(new Set([OWNER, OPERATOR, MANAGER]));
    expect(seen.map((r) => r.id)).not.toContain(zephyr.id);

    for (const id of [boot.id, sync.id]) {
      const one = await world.gql(OperationRunById, { id }, READER);
      expect(one.data!.operationRun).not.toBeNull();
      expect(one.data).toEqual((await world.gql(OperationRunById, { id }, OWNER)).data);
    }
    const bootstrap = (await world.gql(OperationRunById, { id: boot.id }, READER)).data!.operationRun!;
    expect(bootstrap.children.map((c) => [c.step, c.type])).toEqual([
      [1, 'TENANT_VERIFICATION'],
      [2, 'DIRECTORY_GROUPS_SYNC'],
      [3, 'ROLE_DEFINITIONS_SYNC'],
    ]);
    const step = (await world.gql(OperationRunById, { id: bootstrap.children[1].id }, READER)).data!.operationRun!;
    expect(step.parent).toEqual({ id: boot.id });
  });
});

describe('the demo seed is idempotent', () => {
  /** Every table of the database, with its rows' ids (all our tables have an `id`, the migrations table too). */
  async function snapshot(): Promise<Record<string, string[]>> {
    const prisma = world.services.prisma;
    const tables = await prisma.$queryRaw<
      { name: string }[]
    >`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
    const out: Record<string, string[]> = {};
    for (const { name } of tables) {
      const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(`SELECT id::text AS id FROM "${name}" ORDER BY id`);
      out[name] = rows.map((r) => r.id);
    }
    return out;
  }

  it('a second seedDemo run leaves the row count (and the rows) of every table unchanged', async () => {
    const before = await snapshot();
    // The snapshot covers the seeded tables (a positive control for the comparison below).
    expect(
      Object.fromEntries(
        ['Workspace', 'User', 'Membership', 'Tenant', 'ProviderConnection', 'RestoreRun'].map((t) => [
          t,
          before[t]?.length,
        ]),
      ),
    ).toEqual({
      Workspace: 2,
      User: 5,
      Membership: 5,
      Tenant: 7,
      ProviderConnection: 7,
      RestoreRun: 1,
    });
    await seedDemo(world.services.prisma);
    const after = await snapshot();
    expect(Object.fromEntries(Object.entries(after).map(([t, r]) => [t, r.length]))).toEqual(
      Object.fromEntries(Object.entries(before).map(([t, r]) => [t, r.length])),
    );
    expect(after).toEqual(before);
  });
});

describe('a Microsoft Graph connection end to end', () => {
  it('a group sync started through GraphQL runs in a graph-mode worker against the fake Graph and stores its groups', async () => {
    const prisma = world.services.prisma;
    const connectionId = ids.connection('Alpine', 'Alpine Graph');
    // Register Alpine's app with the fake Graph: its tenant and client id, and a secret (the seed has none).
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: ALPINE } });
    const connection = await prisma.providerConnection.update({
      where: { id: connectionId },
      // A Microsoft Graph connection: the worker runs it with the Graph client, whatever PROVIDER_MODE says.
      data: { clientSecret: FAKE_CLIENT_SECRET, provider: 'MICROSOFT_GRAPH' },
    });
    graph.tenants = { [tenant.externalTenantId]: { displayName: 'Alpine', verifiedDomains: ['alpine.test'] } };
    graph.clientId = connection.clientId!;

    // The worker keeps the default PROVIDER_MODE (simulated): the connection's kind picks the client.
    const worker = await spawnAtlas('worker', world.config, {
      GRAPH_AUTHORITY_URL: graph.authorityUrl,
      GRAPH_API_URL: graph.apiUrl,
    });
    try {
      const run = accepted(await syncOn(ALPINE, OPERATOR));
      const ended = await waitFor(
        async () => {
          const r = (await world.gql(OperationRunById, { id: run.id }, OPERATOR)).data?.operationRun;
          return r && !['QUEUED', 'RUNNING'].includes(r.status) ? r : null;
        },
        { timeoutMs: 20_000, what: 'the graph-mode group sync to end' },
      );
      expect([ended.status, ended.reason]).toEqual(['SUCCEEDED', null]);
      expect(ended.summary).toEqual({ total: 7, succeeded: 7, failed: 0, skipped: 0 });

      // The fake's seven groups (test/support/fake-graph.ts: "Group 01"..., mail null for every third).
      const stored = await prisma.directoryGroup.findMany({
        where: { tenantId: ALPINE },
        orderBy: { externalId: 'asc' },
      });
      expect(stored.map((g) => [g.externalId, g.displayName, g.mail])).toEqual(
        Array.from({ length: 7 }, (_, i) => [
          fakeGroupId(i),
          `Group 0${i + 1}`,
          i % 3 === 2 ? null : `group${i + 1}@contoso.test`,
        ]),
      );
      // The fake saw the client-credentials token request for Alpine and three pages of groups.
      expect(graph.tokenRequests().map((r) => [r.path, (r.body as Record<string, string>).client_id])).toEqual([
        [`/${tenant.externalTenantId}/oauth2/v2.0/token`, connection.clientId],
      ]);
      expect(graph.apiRequests('/groups')).toHaveLength(3);
    } finally {
      await worker.stop();
    }
  });
});
