// Start previews and connection management (docs/behaviour.md#previews-and-provider-connections) through GraphQL, on real
// Postgres, Redis and BullMQ: every seeded situation of section 6 for every role, previews of runs
// in flight, that a preview records, queues and locks nothing, the query bound of a tenant list,
// and setProviderConnectionEnabled / setDefaultProviderConnection (roles, one default per tenant
// under concurrent switches, pinned runs untouched).
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWorkers } from '../../src/jobs/worker.js';
import { OPERATIONS, typesTargeting } from '../../src/operations/catalogue.js';
import type { StartPreviewFieldsFragment } from '../generated/graphql.js';
import {
  AllStartPreviews,
  OperationRunById,
  SetConnectionEnabled,
  SetDefaultConnection,
  StartDirectorySync,
  StartRestore,
  TargetPreviews,
  TenantStartPreviews,
} from '../support/documents.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld({ PUBLIC_APP_URL: 'https://atlas.example' });
});
afterAll(async () => world?.close());
beforeEach(async () => {
  // Defaults a test moved are cleared first: the seed re-sets each tenant's own (one default per tenant).
  await world.services.prisma.providerConnection.updateMany({ data: { isDefault: false } });
  await world.reset();
});

const OWNER = 'owner@contoso.test';
const MANAGER = 'manager@contoso.test';
const OPERATOR = 'operator@contoso.test';
const READER = 'reader@contoso.test';
const OUTSIDER = 'outsider@other.test';
const ROLES = [OWNER, MANAGER, OPERATOR, READER] as const;

const BIRCH = ids.tenant('Birch');
const birchPrimary = ids.connection('Birch', 'Birch Graph (primary)');
const birchSecondary = ids.connection('Birch', 'Birch Graph (secondary)');
const alpineConnection = ids.connection('Alpine', 'Alpine Graph');

// From the catalogue (test/unit/guards.test.ts holds its labels to the contract's vocabulary).
const TENANT_TYPES = typesTargeting('tenant');
const LABELS: Record<string, string> = Object.fromEntries(Object.values(OPERATIONS).map((o) => [o.type, o.label]));
/** docs/behaviour.md#operations-catalogue: restore and bootstrap are OWNER and MANAGER only; READONLY starts nothing. */
const MANAGERS_ONLY = ['RESTORE_EXECUTE', 'ONBOARDING_BOOTSTRAP'];
const allowed = (who: string, type: string) =>
  who === OWNER || who === MANAGER || (who === OPERATOR && !MANAGERS_ONLY.includes(type));

/** Section 6: what a start on each seeded tenant would answer, and the connection it would pin. */
const SEEDED: Record<string, { block: string | null; connection: string | null }> = {
  Alpine: { block: null, connection: alpineConnection },
  Birch: { block: 'PROVIDER_CONNECTION_DISABLED', connection: birchPrimary },
  Cedar: { block: 'PROVIDER_CONNECTION_MISSING', connection: null },
  Dune: { block: 'PROVIDER_CONSENT_REQUIRED', connection: ids.connection('Dune', 'Dune Graph') },
  Elm: { block: null, connection: ids.connection('Elm', 'Elm Graph') },
  Fir: { block: 'TENANT_ARCHIVED', connection: ids.connection('Fir', 'Fir Graph') },
};
const BLOCK_MESSAGES: Record<string, string> = {
  PROVIDER_CONNECTION_DISABLED: 'the provider connection is disabled',
  PROVIDER_CONNECTION_MISSING: 'the tenant has no provider connection',
  PROVIDER_CONSENT_REQUIRED: 'admin consent has not been granted for the provider connection',
  TENANT_ARCHIVED: 'the tenant is archived',
};
const FORBIDDEN_MESSAGES: Record<string, string> = {
  managers: 'can only be started by owners and managers',
  writers: 'can only be started by owners, managers and operators',
};

/** The preview the contract promises for `who` on a tenant in a given situation. */
function expected(who: string, type: string, block: string | null) {
  const label = LABELS[type];
  if (!allowed(who, type))
    return {
      status: 'FORBIDDEN',
      message: `${label} ${FORBIDDEN_MESSAGES[MANAGERS_ONLY.includes(type) ? 'managers' : 'writers']}`,
      reason: null,
    };
  if (block)
    return {
      status: 'BLOCKED',
      message: `${label} blocked: ${BLOCK_MESSAGES[block]}`,
      reason: { code: block, message: BLOCK_MESSAGES[block].replace(/^./, (c) => c.toUpperCase()) },
    };
  return { status: 'READY', message: `${label} ready to start`, reason: null };
}

const brief = (p: StartPreviewFieldsFragment) => ({ status: p.status, message: p.message, reason: p.reason ?? null });
const byType = (list: StartPreviewFieldsFragment[]) => Object.fromEntries(list.map((p) => [p.type, p]));

async function tenantPreviews(tenant: string, as = OWNER, providerConnectionId?: string) {
  const res = await world.gql(TenantStartPreviews, { id: ids.tenant(tenant), providerConnectionId }, as);
  expect(res.errors).toBeUndefined();
  return byType(res.data!.tenant!.startPreviews);
}

const errorCode = (res: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  res.errors?.[0]?.extensions?.code;

async function rowCounts() {
  const prisma = world.services.prisma;
  const jobs = await world.services.dispatcher.getJobCounts();
  return {
    runs: await prisma.operationRun.count(),
    notifications: await prisma.notification.count(),
    jobs: Object.values(jobs).reduce((a, b) => a + b, 0),
    connections: await prisma.providerConnection.findMany({ orderBy: { id: 'asc' } }),
    tenants: await prisma.tenant.findMany({ orderBy: { id: 'asc' } }),
  };
}

describe('previews of the seeded situations (docs/behaviour.md#demo-seed), for every role', () => {
  it.each(ROLES)('%s: the four tenant-targeted operations on every seeded tenant', async (who) => {
    const res = await world.gql(AllStartPreviews, {}, who);
    expect(res.errors).toBeUndefined();
    expect(res.data!.tenants.map((t) => t.name)).toEqual(Object.keys(SEEDED));
    for (const tenant of res.data!.tenants) {
      const { block, connection } = SEEDED[tenant.name];
      expect(tenant.startPreviews.map((p) => p.type).sort(), tenant.name).toEqual([...TENANT_TYPES].sort());
      for (const preview of tenant.startPreviews) {
        const where = `${who} ${tenant.name} ${preview.type}`;
        expect(brief(preview), where).toEqual(expected(who, preview.type, block));
        expect(preview.label, where).toBe(LABELS[preview.type]);
        expect(preview.run, where).toBeNull();
        expect(preview.providerConnection?.id ?? null, where).toBe(connection);
        if (preview.status === 'READY' || preview.status === 'FORBIDDEN') expect(preview.nextSteps, where).toEqual([]);
      }
    }
  });

  it.each(ROLES)('%s: the restore run and every connection check', async (who) => {
    const alpine = (await world.gql(TargetPreviews, { id: ids.tenant('Alpine') }, who)).data!.tenant!;
    expect(alpine.restoreRuns.map((r) => brief(r.startPreview))).toEqual([expected(who, 'RESTORE_EXECUTE', null)]);
    expect(alpine.restoreRuns[0].startPreview.providerConnection?.id).toBe(alpineConnection);

    // A check is not blocked by credentials (Dune), only by a disabled connection or an archived tenant.
    const checks: Record<string, [string, string | null][]> = {
      Alpine: [[alpineConnection, null]],
      Birch: [
        [birchPrimary, 'PROVIDER_CONNECTION_DISABLED'],
        [birchSecondary, null],
      ],
      Dune: [[ids.connection('Dune', 'Dune Graph'), null]],
      Fir: [[ids.connection('Fir', 'Fir Graph'), 'TENANT_ARCHIVED']],
    };
    for (const [tenant, expectations] of Object.entries(checks)) {
      const res = await world.gql(TargetPreviews, { id: ids.tenant(tenant) }, who);
      const byId = new Map(res.data!.tenant!.providerConnections.map((c) => [c.id, c.checkPreview]));
      for (const [connectionId, block] of expectations) {
        const preview = byId.get(connectionId)!;
        expect(brief(preview), `${who} ${tenant} check`).toEqual(expected(who, 'PROVIDER_CONNECTION_CHECK', block));
        expect(preview.providerConnection?.id).toBe(connectionId);
      }
    }
  });

  it('an outsider sees only their own tenant, whose previews are their own', async () => {
    const res = await world.gql(AllStartPreviews, {}, OUTSIDER);
    expect(res.data!.tenants.map((t) => [t.name, t.startPreviews.map((p) => p.status)])).toEqual([
      ['Zephyr', TENANT_TYPES.map(() => 'READY')],
    ]);
    const contoso = await world.gql(TenantStartPreviews, { id: ids.tenant('Alpine') }, OUTSIDER);
    expect(contoso.data!.tenant).toBeNull();
  });

  it("an explicit connection previews starts naming it; another tenant's (or a malformed id) is NOT_FOUND", async () => {
    const secondary = await tenantPreviews('Birch', OWNER, birchSecondary);
    for (const type of TENANT_TYPES) {
      expect(brief(secondary[type]), type).toEqual(expected(OWNER, type, null));
      expect(secondary[type].providerConnection?.id).toBe(birchSecondary);
    }
    for (const other of [alpineConnection, 'not-a-uuid']) {
      const res = await world.gql(TenantStartPreviews, { id: BIRCH, providerConnectionId: other }, OWNER);
      expect(errorCode(res), other).toBe('NOT_FOUND');
      expect(JSON.stringify(res)).not.toMatch(/stack|SELECT|uuid/i);
    }
    // NOT_FOUND comes before FORBIDDEN, as for starts.
    const reader = await world.gql(TenantStartPreviews, { id: BIRCH, providerConnectionId: alpineConnection }, READER);
    expect(errorCode(reader)).toBe('NOT_FOUND');
  });

  it('blocked previews carry the next steps the start would, pointing at the connection actions', async () => {
    const birch = await tenantPreviews('Birch');
    expect(birch.DIRECTORY_GROUPS_SYNC.nextSteps.map((s) => s.action)).toEqual([
      'ENABLE_PROVIDER_CONNECTION',
      'CHOOSE_PROVIDER_CONNECTION',
      'CHOOSE_DEFAULT_CONNECTION',
    ]);
    expect(birch.DIRECTORY_GROUPS_SYNC.nextSteps[0].url).toBe(`/tenants/${BIRCH}/provider-connections/${birchPrimary}`);
    const cedar = await tenantPreviews('Cedar');
    expect(cedar.TENANT_VERIFICATION.nextSteps.map((s) => s.action)).toEqual([
      'ADD_PROVIDER_CONNECTION',
      'CHOOSE_DEFAULT_CONNECTION',
    ]);

    // The start right after answers with the same words and steps.
    const started = (await world.gql(StartDirectorySync, { tenantId: BIRCH })).data!.result;
    expect(started.__typename).toBe('StartBlocked');
    if (started.__typename !== 'StartBlocked') return;
    expect([started.message, started.nextSteps, started.reason]).toEqual([
      birch.DIRECTORY_GROUPS_SYNC.message,
      birch.DIRECTORY_GROUPS_SYNC.nextSteps,
      birch.DIRECTORY_GROUPS_SYNC.reason,
    ]);
  });
});

describe('previews of runs in flight', () => {
  it('ALREADY_RUNNING names the active run and SCOPE_BUSY the blocking one, as the starts do', async () => {
    const restore = (await world.gql(StartRestore, { restoreRunId: ids.restoreRun('Alpine') })).data!.result;
    if (restore.__typename !== 'StartAccepted') throw new Error(restore.__typename);

    const alpine = await tenantPreviews('Alpine', MANAGER);
    for (const type of TENANT_TYPES) {
      expect([alpine[type].status, alpine[type].run?.id], type).toEqual(['SCOPE_BUSY', restore.run.id]);
      expect(alpine[type].message).toBe(`${LABELS[type]} not started: Restore is in progress on this tenant`);
    }
    const targets = (await world.gql(TargetPreviews, { id: ids.tenant('Alpine') }, MANAGER)).data!.tenant!;
    const again = targets.restoreRuns[0].startPreview;
    expect([again.status, again.message, again.run?.id]).toEqual([
      'ALREADY_RUNNING',
      'Restore already running',
      restore.run.id,
    ]);
    expect(targets.providerConnections[0].checkPreview.status).toBe('SCOPE_BUSY');

    // The starts taken right after answer exactly that.
    const sync = (await world.gql(StartDirectorySync, { tenantId: ids.tenant('Alpine') }, MANAGER)).data!.result;
    const second = (await world.gql(StartRestore, { restoreRunId: ids.restoreRun('Alpine') }, MANAGER)).data!.result;
    expect(sync.__typename === 'StartScopeBusy' && [sync.blockingRun.id, sync.message, sync.nextSteps]).toEqual([
      restore.run.id,
      alpine.DIRECTORY_GROUPS_SYNC.message,
      alpine.DIRECTORY_GROUPS_SYNC.nextSteps,
    ]);
    expect(second.__typename === 'StartDeduped' && [second.run.id, second.message, second.nextSteps]).toEqual([
      restore.run.id,
      again.message,
      again.nextSteps,
    ]);
  });
});

describe('previews record, queue and lock nothing', () => {
  it('every role previewing every situation (blocked ones included) leaves runs, notifications, jobs and rows as they were', async () => {
    const sync = (await world.gql(StartDirectorySync, { tenantId: ids.tenant('Elm') })).data!.result;
    expect(sync.__typename).toBe('StartAccepted');
    const before = await rowCounts();
    expect(before.runs).toBeGreaterThan(0); // control: the counts see a start's row and job
    expect(before.jobs).toBe(1);
    for (const who of [...ROLES, OUTSIDER]) {
      expect((await world.gql(AllStartPreviews, {}, who)).errors).toBeUndefined();
      for (const tenant of Object.keys(SEEDED)) await world.gql(TargetPreviews, { id: ids.tenant(tenant) }, who);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("answers while someone else holds the tenant's scope lock, and leaves the lock alone", async () => {
    const redis = world.services.redis;
    const key = world.services.names.scopeLock(ids.tenant('Alpine'));
    const holder = `preview-test-${process.pid}`;
    expect(await redis.set(key, holder, 'PX', 30_000, 'NX')).toBe('OK');
    try {
      // A preview never takes the lease: with it held, one that waited would end unavailable, not READY.
      const alpine = await tenantPreviews('Alpine');
      expect(alpine.DIRECTORY_GROUPS_SYNC.status).toBe('READY');
      expect(await redis.get(key)).toBe(holder);
    } finally {
      await redis.del(key);
    }
  });
});

describe('a tenant list takes a bounded number of queries', () => {
  /** Every statement any pg client of this process sends to the world's database while `fn` runs. */
  async function queriesDuring(fn: () => Promise<unknown>): Promise<string[]> {
    const database = new URL(world.databaseUrl).pathname.slice(1);
    const original = pg.Client.prototype.query;
    const seen: string[] = [];
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      if (this.database === database) {
        const first = args[0] as string | { text?: string };
        seen.push(typeof first === 'string' ? first : (first?.text ?? '?'));
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await fn();
    } finally {
      pg.Client.prototype.query = original;
    }
    return seen;
  }

  const allPreviews = async () => {
    const res = await world.gql(AllStartPreviews, {}, OWNER);
    expect(res.errors).toBeUndefined();
    return res.data!.tenants;
  };

  it('the same few queries for 6 tenants and for 36, each with connections and an active run', async () => {
    const prisma = world.services.prisma;
    await allPreviews(); // memberships cached, as on any busy API
    const six = await queriesDuring(allPreviews);

    const workspaceId = ids.workspace('Contoso MSP');
    const extra = Array.from({ length: 30 }, (_, i) => `Load ${String(i).padStart(2, '0')}`);
    try {
      for (const name of extra) {
        const tenant = await prisma.tenant.create({
          data: { name, workspaceId, status: 'ACTIVE', externalTenantId: crypto.randomUUID() },
        });
        const connection = await prisma.providerConnection.create({
          data: { tenantId: tenant.id, displayName: `${name} Graph`, credentialState: 'VALID', isDefault: true },
        });
        await prisma.operationRun.create({
          data: {
            type: 'DIRECTORY_GROUPS_SYNC',
            status: 'RUNNING',
            tenantId: tenant.id,
            providerConnectionId: connection.id,
            dedupeKey: `DIRECTORY_GROUPS_SYNC:${tenant.id}:${connection.id}`,
            scopeClass: 'SHARED',
          },
        });
      }
      let tenants: Awaited<ReturnType<typeof allPreviews>> = [];
      // Memberships cached again: creating the rows may have outlived VIEWER_CACHE_MS on a busy machine.
      await allPreviews();
      const many = await queriesDuring(async () => {
        tenants = await allPreviews();
      });
      // The extra tenants were really previewed, from their own state.
      expect(tenants).toHaveLength(36);
      const load = byType(tenants.find((t) => t.name === 'Load 07')!.startPreviews);
      expect(load.DIRECTORY_GROUPS_SYNC.status).toBe('ALREADY_RUNNING');
      expect(load.ONBOARDING_BOOTSTRAP.status).toBe('SCOPE_BUSY');

      // The tenants, then their targets (connections and active runs) in one statement. A membership
      // reload (the viewer cache outlived on a busy machine, in either measurement) is not counted.
      const previewing = (statements: string[]) => statements.filter((q) => !/"public"\."(User|Membership)"/.test(q));
      expect(previewing(many), many.join('\n')).toHaveLength(previewing(six).length);
      expect(previewing(many).length, many.join('\n')).toBeLessThanOrEqual(2);
    } finally {
      await prisma.tenant.deleteMany({ where: { name: { in: extra } } });
    }
  });
});

describe('the batched read', () => {
  it('carries whole connection rows, as Prisma reads them, with the target they were judged with', async () => {
    const targets = await world.services.store.tenantTargets([ids.tenant('Birch'), ids.tenant('Cedar'), 'not-a-uuid']);
    expect([...targets.keys()].sort()).toEqual([ids.tenant('Birch'), ids.tenant('Cedar')].sort());
    const viaPrisma = await world.services.prisma.providerConnection.findMany({ where: { tenantId: BIRCH } });
    const byId = (rows: { id: string }[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(targets.get(BIRCH)!.connections)).toEqual(byId(viaPrisma));
    expect(targets.get(ids.tenant('Cedar'))!.connections).toEqual([]);
  });
});

describe('connection management', () => {
  it('setProviderConnectionEnabled: OWNER and MANAGER; the previews follow', async () => {
    const enabled = await world.gql(
      SetConnectionEnabled,
      { providerConnectionId: birchPrimary, enabled: true },
      MANAGER,
    );
    expect(enabled.data!.connection).toEqual({
      id: birchPrimary,
      enabled: true,
      isDefault: true,
      credentialState: 'VALID',
    });
    const birch = await tenantPreviews('Birch');
    expect(brief(birch.DIRECTORY_GROUPS_SYNC)).toEqual(expected(OWNER, 'DIRECTORY_GROUPS_SYNC', null));

    const disabled = await world.gql(
      SetConnectionEnabled,
      { providerConnectionId: alpineConnection, enabled: false },
      OWNER,
    );
    expect(disabled.data!.connection.enabled).toBe(false);
    const alpine = await tenantPreviews('Alpine');
    expect(alpine.TENANT_VERIFICATION.reason?.code).toBe('PROVIDER_CONNECTION_DISABLED');
  });

  it('refuses in the gate order: NOT_FOUND for outsiders and unknown ids, FORBIDDEN for operators and readers; nothing changes', async () => {
    const before = await rowCounts();
    const cases: [string, string, string][] = [
      [OUTSIDER, birchPrimary, 'NOT_FOUND'],
      [OWNER, '00000000-0000-4000-8000-000000000000', 'NOT_FOUND'],
      [OWNER, "1' OR '1'='1", 'NOT_FOUND'],
      [OPERATOR, birchPrimary, 'FORBIDDEN'],
      [READER, birchPrimary, 'FORBIDDEN'],
    ];
    for (const [who, id, code] of cases) {
      const enable = await world.gql(SetConnectionEnabled, { providerConnectionId: id, enabled: true }, who);
      const makeDefault = await world.gql(SetDefaultConnection, { providerConnectionId: id }, who);
      expect([errorCode(enable), errorCode(makeDefault)], `${who} ${id}`).toEqual([code, code]);
    }
    const anonymous = await world.gql(
      SetConnectionEnabled,
      { providerConnectionId: birchPrimary, enabled: true },
      null,
    );
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    expect(await rowCounts()).toEqual(before);
  });

  it('setDefaultProviderConnection moves the default; a disabled default previews and starts BLOCKED', async () => {
    const moved = await world.gql(SetDefaultConnection, { providerConnectionId: birchSecondary }, MANAGER);
    expect(moved.data!.connection).toEqual({ id: birchSecondary, enabled: true, isDefault: true });
    const defaults = await world.services.prisma.providerConnection.findMany({
      where: { tenantId: BIRCH, isDefault: true },
    });
    expect(defaults.map((c) => c.id)).toEqual([birchSecondary]);
    const birch = await tenantPreviews('Birch');
    expect([birch.DIRECTORY_GROUPS_SYNC.status, birch.DIRECTORY_GROUPS_SYNC.providerConnection?.id]).toEqual([
      'READY',
      birchSecondary,
    ]);

    // Back to the disabled one: allowed, and then starts are blocked for it.
    await world.gql(SetDefaultConnection, { providerConnectionId: birchPrimary }, OWNER);
    const blocked = await tenantPreviews('Birch');
    expect(blocked.DIRECTORY_GROUPS_SYNC.reason?.code).toBe('PROVIDER_CONNECTION_DISABLED');
    const start = (await world.gql(StartDirectorySync, { tenantId: BIRCH })).data!.result;
    expect(start.__typename === 'StartBlocked' && start.reason.code).toBe('PROVIDER_CONNECTION_DISABLED');
  });

  it('two concurrent switches of one tenant both succeed and leave exactly one default, every round', async () => {
    for (let round = 0; round < 20; round++) {
      const [a, b] = await Promise.all([
        world.gql(SetDefaultConnection, { providerConnectionId: birchPrimary }, OWNER),
        world.gql(SetDefaultConnection, { providerConnectionId: birchSecondary }, MANAGER),
      ]);
      expect([a.errors, b.errors], `round ${round}`).toEqual([undefined, undefined]);
      const defaults = await world.services.prisma.providerConnection.findMany({
        where: { tenantId: BIRCH, isDefault: true },
      });
      expect(defaults, `round ${round}`).toHaveLength(1);
    }
    // The database itself refuses a second default (the partial unique index), whoever writes it.
    await expect(
      world.services.prisma.providerConnection.updateMany({ where: { tenantId: BIRCH }, data: { isDefault: true } }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });

  it('never re-pins a run: a QUEUED run whose pinned connection is then disabled ends FAILED PROVIDER_CONNECTION_DISABLED', async () => {
    await world.gql(SetDefaultConnection, { providerConnectionId: birchSecondary }, OWNER);
    const start = (await world.gql(StartDirectorySync, { tenantId: BIRCH })).data!.result;
    if (start.__typename !== 'StartAccepted') throw new Error(start.__typename);
    expect(start.run.providerConnection?.id).toBe(birchSecondary);

    // Default back to primary (enabled now), the pinned one disabled: the run keeps the pinned one.
    await world.gql(SetConnectionEnabled, { providerConnectionId: birchPrimary, enabled: true }, OWNER);
    await world.gql(SetDefaultConnection, { providerConnectionId: birchPrimary }, OWNER);
    await world.gql(SetConnectionEnabled, { providerConnectionId: birchSecondary, enabled: false }, OWNER);
    const pinned = await world.gql(OperationRunById, { id: start.run.id });
    expect([pinned.data!.operationRun!.status, pinned.data!.operationRun!.providerConnection?.id]).toEqual([
      'QUEUED',
      birchSecondary,
    ]);

    const workers = await startWorkers(world.services);
    try {
      const ended = await waitFor(
        async () => {
          const run = (await world.gql(OperationRunById, { id: start.run.id })).data!.operationRun!;
          return run.status === 'FAILED' ? run : null;
        },
        { what: 'the run to be failed by the pre-execute guard' },
      );
      expect([ended.reason?.code, ended.providerConnection?.id]).toEqual([
        'PROVIDER_CONNECTION_DISABLED',
        birchSecondary,
      ]);
    } finally {
      await workers.close();
    }
  });
});
