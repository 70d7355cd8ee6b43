// Monitoring queries: visibility, newest-first pagination, filters, and BLOCKED vs FAILED.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM, type Initiator } from '../../src/gate/start-gate.js';
import { MarkNotificationRead, Notifications, OperationRunById, OperationRuns } from '../support/documents.js';
import type { OperationRunsQuery, OperationRunsQueryVariables } from '../generated/graphql.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
const owner: Initiator = {
  userId: ids.user('owner@contoso.test'),
  roles: new Map([[ids.workspace('Contoso MSP'), 'OWNER' as const]]),
};
const operator: Initiator = {
  userId: ids.user('operator@contoso.test'),
  roles: new Map([[ids.workspace('Contoso MSP'), 'OPERATOR' as const]]),
};
const outsider: Initiator = {
  userId: ids.user('outsider@other.test'),
  roles: new Map([[ids.workspace('Other MSP'), 'OWNER' as const]]),
};
const created: Record<string, string> = {};

beforeAll(async () => {
  world = await createWorld();
  const { gate, lifecycle } = world.services;
  const start = async (name: string, who: Initiator, req: Parameters<typeof gate.start>[1]) => {
    const outcome = await gate.start(who, req);
    created[name] = outcome.status === 'SCOPE_BUSY' ? outcome.blockingRun.id : outcome.run.id;
    await new Promise((r) => setTimeout(r, 5)); // distinct createdAt for a readable order
  };
  await start('blocked', owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ids.tenant('Cedar') });
  await start('failed', owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ids.tenant('Alpine') });
  await lifecycle.markRunning(created.failed);
  await lifecycle.finish(created.failed, { status: 'FAILED', reason: { code: 'PROVIDER_THROTTLED' } });
  await start('verification', operator, { type: 'TENANT_VERIFICATION', tenantId: ids.tenant('Alpine') });
  await start('system', SYSTEM, { type: 'ROLE_DEFINITIONS_SYNC', tenantId: ids.tenant('Elm') });
  await lifecycle.markRunning(created.system);
  await lifecycle.finish(created.system, { status: 'SUCCEEDED', summary: { total: 7, succeeded: 7 } });
  await start('zephyr', outsider, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: ids.tenant('Zephyr') });
  await start('bootstrap', owner, { type: 'ONBOARDING_BOOTSTRAP', tenantId: ids.tenant('Elm') });
});
afterAll(async () => world?.close());

describe('operationRuns', () => {
  it('lists the runs the caller may see, newest first, without bootstrap steps', async () => {
    const res = await world.gql(OperationRuns, { first: 50 });
    expect(res.errors).toBeUndefined();
    expect(res.data!.operationRuns.edges.map((e) => e.node.id)).toEqual([
      created.bootstrap,
      created.system,
      created.verification,
      created.failed,
      created.blocked,
    ]);
    const outsiderView = await world.gql(OperationRuns, { first: 50 }, 'outsider@other.test');
    expect(outsiderView.data!.operationRuns.edges.map((e) => e.node.id)).toEqual([created.zephyr]);
  });

  it('pages with first/after and reports pageInfo', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    const pages: boolean[] = [];
    do {
      const res: Awaited<ReturnType<typeof world.gql<OperationRunsQuery, OperationRunsQueryVariables>>> =
        await world.gql(OperationRuns, { first: 2, after });
      const page = res.data!.operationRuns;
      seen.push(...page.edges.map((e) => e.node.id));
      pages.push(page.pageInfo.hasNextPage);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : null;
      expect(page.pageInfo.hasPreviousPage).toBe(pages.length > 1);
    } while (after);
    expect(pages).toEqual([true, true, false]);
    expect(seen).toEqual([created.bootstrap, created.system, created.verification, created.failed, created.blocked]);
  });

  it('filters by tenant, status, type and initiatedByMe, and includes steps on request', async () => {
    const ids_ = async (filter: Record<string, unknown>, as = 'owner@contoso.test') =>
      (await world.gql(OperationRuns, { filter, first: 50 }, as)).data!.operationRuns.edges.map((e) => e.node.id);
    expect(await ids_({ tenantId: ids.tenant('Alpine') })).toEqual([created.verification, created.failed]);
    expect(await ids_({ status: ['BLOCKED'] })).toEqual([created.blocked]);
    expect(await ids_({ status: ['FAILED'] })).toEqual([created.failed]);
    expect(await ids_({ type: ['TENANT_VERIFICATION', 'ROLE_DEFINITIONS_SYNC'] })).toEqual([
      created.system,
      created.verification,
    ]);
    expect(await ids_({ initiatedByMe: true }, 'operator@contoso.test')).toEqual([created.verification]);
    expect(await ids_({ tenantId: ids.tenant('Zephyr') })).toEqual([]);
    expect(await ids_({ tenantId: ids.tenant('Elm'), includeSteps: true })).toHaveLength(5);
  });

  it('rejects a bad page size or cursor with BAD_USER_INPUT', async () => {
    expect((await world.gql(OperationRuns, { first: 1000 })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await world.gql(OperationRuns, { first: 5, after: 'bm9wZQ' })).errors?.[0].extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
  });
});

describe('operationRun', () => {
  it('tells a BLOCKED start from a FAILED execution, each with translated reason and next steps', async () => {
    const blocked = (await world.gql(OperationRunById, { id: created.blocked })).data!.operationRun!;
    expect(blocked.status).toBe('BLOCKED');
    expect(blocked.reason).toEqual({
      code: 'PROVIDER_CONNECTION_MISSING',
      message: 'The tenant has no provider connection',
      nextSteps: [
        {
          label: 'Add a provider connection',
          action: 'ADD_PROVIDER_CONNECTION',
          url: `/tenants/${ids.tenant('Cedar')}/provider-connections/new`,
        },
        {
          label: 'Choose the default connection',
          action: 'CHOOSE_DEFAULT_CONNECTION',
          url: `/tenants/${ids.tenant('Cedar')}/provider-connections`,
        },
      ],
    });
    expect(blocked.startedAt).toBeNull();
    expect(blocked.providerConnection).toBeNull();

    const failed = (await world.gql(OperationRunById, { id: created.failed })).data!.operationRun!;
    expect(failed.status).toBe('FAILED');
    expect(failed.reason!.code).toBe('PROVIDER_THROTTLED');
    expect(failed.reason!.message).toBe('The provider kept throttling requests (HTTP 429) after several retries');
    expect(failed.reason!.nextSteps.map((s) => s.action)).toEqual(['RETRY']);
    expect(failed.providerConnection!.id).toBe(ids.connection('Alpine', 'Alpine Graph'));
    expect(failed.initiator!.email).toBe('owner@contoso.test');
    expect(failed.url).toBe(`${world.config.PUBLIC_APP_URL}/operations/runs/${created.failed}`);
    expect(failed.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(failed.startedAt).toMatch(/Z$/);
    expect(failed.finishedAt).toMatch(/Z$/);
  });

  it('shows a system run with no initiator in the same vocabulary', async () => {
    const run = (await world.gql(OperationRunById, { id: created.system })).data!.operationRun!;
    expect(run.initiator).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.summary).toEqual({ total: 7, succeeded: 7, failed: 0, skipped: 0 });
  });

  it('shows a bootstrap with its steps, and each step with its parent', async () => {
    const parent = (await world.gql(OperationRunById, { id: created.bootstrap })).data!.operationRun!;
    expect(parent.children.map((c) => [c.step, c.type])).toEqual([
      [1, 'TENANT_VERIFICATION'],
      [2, 'DIRECTORY_GROUPS_SYNC'],
      [3, 'ROLE_DEFINITIONS_SYNC'],
    ]);
    const step = (await world.gql(OperationRunById, { id: parent.children[0].id })).data!.operationRun!;
    expect(step.parent!.id).toBe(created.bootstrap);
    expect(step.initiator!.email).toBe('owner@contoso.test');
  });

  it("is null for another workspace's run and for a malformed id", async () => {
    expect(
      (await world.gql(OperationRunById, { id: created.failed }, 'outsider@other.test')).data!.operationRun,
    ).toBeNull();
    expect((await world.gql(OperationRunById, { id: 'nope' })).data!.operationRun).toBeNull();
  });
});

describe('notifications', () => {
  it('one per terminal accepted run for its initiator; none for blocked or system runs; mark read is own-only', async () => {
    const mine = (await world.gql(Notifications, {})).data!.notifications;
    expect(mine.map((n) => [n.title, n.run.id])).toEqual([['Group sync on Alpine failed', created.failed]]);
    expect(mine[0].body).toBe(
      `Group sync on Alpine failed. The provider kept throttling requests (HTTP 429) after several retries. ${world.config.PUBLIC_APP_URL}/operations/runs/${created.failed}`,
    );
    expect(mine[0].url).toBe(`${world.config.PUBLIC_APP_URL}/operations/runs/${created.failed}`);
    expect(await world.services.prisma.notification.count()).toBe(1);

    const stolen = await world.gql(MarkNotificationRead, { id: mine[0].id }, 'manager@contoso.test');
    expect(stolen.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const read = await world.gql(MarkNotificationRead, { id: mine[0].id });
    expect(read.data!.markNotificationRead.readAt).toMatch(/Z$/);
    expect((await world.gql(Notifications, { unreadOnly: true })).data!.notifications).toEqual([]);
    expect((await world.gql(Notifications, { unreadOnly: false })).data!.notifications).toHaveLength(1);
  });
});
