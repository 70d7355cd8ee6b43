// startOperations: one type on many targets, each decided by the gate as it would be alone, each
// answered at its own index (errors too), each counted against the start rate limit.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StartOperations } from '../support/documents.js';
import { createTenants } from '../support/tenants.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let limited: World;
/** Three more of Contoso's tenants with a valid default connection (of the demo's, only Alpine and Elm have one). */
let bulk: string[];
beforeAll(async () => {
  [world, limited] = await Promise.all([createWorld(), createWorld({ RATE_LIMIT_STARTS: 5, RATE_LIMIT_WINDOW_S: 60 })]);
  [bulk] = await Promise.all(
    [world, limited].map((w) => createTenants(w.services.prisma, ids.workspace('Contoso MSP'), 'Bulk', 3)),
  );
});
afterEach(async () => world.reset());
afterAll(async () => Promise.all([world?.close(), limited?.close()]));

const tenants = (...names: string[]) => names.map((n) => ids.tenant(n));

describe('startOperations', () => {
  it('answers each of five tenants in order with its own outcome: queued, already running, scope busy, blocked', async () => {
    const { gate } = world.services;
    const owner = {
      userId: ids.user('owner@contoso.test'),
      roles: new Map([[ids.workspace('Contoso MSP'), 'OWNER' as const]]),
    };
    const running = await gate.start(owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: bulk[1] });
    const bootstrap = await gate.start(owner, { type: 'ONBOARDING_BOOTSTRAP', tenantId: ids.tenant('Elm') });
    expect([running.status, bootstrap.status]).toEqual(['QUEUED', 'QUEUED']);

    const res = await world.gql(StartOperations, {
      type: 'DIRECTORY_GROUPS_SYNC',
      targetIds: [bulk[0], bulk[1], ...tenants('Elm', 'Cedar', 'Dune')],
    });
    expect(res.errors).toBeUndefined();
    const results = res.data!.results.map((r) => r!);
    expect(results.map((r) => r.__typename)).toEqual([
      'StartAccepted',
      'StartDeduped',
      'StartScopeBusy',
      'StartBlocked',
      'StartBlocked',
    ]);
    expect(results.map((r) => r.message)).toEqual([
      'Group sync queued',
      'Group sync already running',
      'Group sync not started: Onboarding bootstrap is in progress on this tenant',
      'Group sync blocked: the tenant has no provider connection',
      'Group sync blocked: admin consent has not been granted for the provider connection',
    ]);
    const [accepted, deduped, busy, missing, consent] = results;
    if (deduped.__typename === 'StartDeduped' && running.status === 'QUEUED')
      expect(deduped.run.id).toBe(running.run.id);
    if (busy.__typename === 'StartScopeBusy' && bootstrap.status === 'QUEUED')
      expect(busy.blockingRun.id).toBe(bootstrap.run.id);
    if (missing.__typename === 'StartBlocked') expect(missing.reason.code).toBe('PROVIDER_CONNECTION_MISSING');
    if (consent.__typename === 'StartBlocked') expect(consent.reason.code).toBe('PROVIDER_CONSENT_REQUIRED');
    // What the database holds is exactly those answers (the bootstrap's own steps aside): one new queued run, two blocked ones.
    const runs = await world.services.prisma.operationRun.findMany({
      where: { type: 'DIRECTORY_GROUPS_SYNC', parentId: null },
    });
    expect(runs.map((r) => `${r.tenantId}:${r.status}`).sort()).toEqual(
      [
        `${bulk[0]}:QUEUED`,
        `${bulk[1]}:QUEUED`,
        `${ids.tenant('Cedar')}:BLOCKED`,
        `${ids.tenant('Dune')}:BLOCKED`,
      ].sort(),
    );
    if (accepted.__typename === 'StartAccepted') expect(runs.map((r) => r.id)).toContain(accepted.run.id);
  });

  it('answers a target the caller may not start with null and its error at that index, and still starts the others', async () => {
    const res = await world.gql(StartOperations, {
      type: 'TENANT_VERIFICATION',
      targetIds: [bulk[0], ids.tenant('Zephyr'), 'not-an-id', bulk[1]],
    });
    expect(res.data!.results.map((r) => r?.__typename ?? null)).toEqual(['StartAccepted', null, null, 'StartAccepted']);
    expect(res.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['results', 1], 'NOT_FOUND'],
      [['results', 2], 'NOT_FOUND'],
    ]);
    // A reader may start nothing: FORBIDDEN at every index, nothing recorded.
    const reader = await world.gql(
      StartOperations,
      { type: 'TENANT_VERIFICATION', targetIds: tenants('Alpine') },
      'reader@contoso.test',
    );
    expect(reader.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('two bulk starts of the same tenants at once admit exactly one run per tenant', async () => {
    const targets = bulk;
    const both = await Promise.all(
      Array.from({ length: 2 }, () =>
        world.gql(StartOperations, { type: 'ROLE_DEFINITIONS_SYNC', targetIds: targets }),
      ),
    );
    const statuses = both.flatMap((r) => r.data!.results.map((x) => x!.__typename));
    expect(statuses.filter((s) => s === 'StartAccepted')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'StartDeduped')).toHaveLength(3);
    expect(await world.services.prisma.operationRun.count({ where: { type: 'ROLE_DEFINITIONS_SYNC' } })).toBe(3);
  });

  it('refuses more than 100 targets before starting any', async () => {
    const targetIds = Array.from({ length: 101 }, () => ids.tenant('Alpine'));
    const res = await world.gql(StartOperations, { type: 'TENANT_VERIFICATION', targetIds });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/At most 100 targets/);
    expect(await world.services.prisma.operationRun.count()).toBe(0);
  });

  it('costs one start per target: a bulk larger than what is left of the budget is refused whole', async () => {
    const three = await limited.gql(StartOperations, { type: 'TENANT_VERIFICATION', targetIds: bulk });
    expect(three.errors).toBeUndefined();
    const again = await limited.gql(StartOperations, { type: 'ROLE_DEFINITIONS_SYNC', targetIds: bulk });
    expect(again.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(again.data ?? null).toBeNull();
    expect(await limited.services.prisma.operationRun.count({ where: { type: 'ROLE_DEFINITIONS_SYNC' } })).toBe(0);
    expect(await limited.services.prisma.operationRun.count({ where: { type: 'TENANT_VERIFICATION' } })).toBe(3);
  });
});
