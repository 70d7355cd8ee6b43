import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeAndTenants, StartDirectorySync } from '../support/documents.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld({ RATE_LIMIT_STARTS: 3, RATE_LIMIT_WINDOW_S: 60 });
});
afterAll(async () => world?.close());

describe('start rate limit', () => {
  it('answers RATE_LIMITED past the per-user budget, before the gate records anything', async () => {
    const tenants = ['Alpine', 'Birch', 'Cedar', 'Dune'].map((t) => ids.tenant(t));
    const results = [];
    for (const tenantId of tenants) results.push(await world.gql(StartDirectorySync, { tenantId }, 'operator@contoso.test'));
    expect(results.slice(0, 3).map((r) => r.data?.result.__typename)).toEqual(['StartAccepted', 'StartBlocked', 'StartBlocked']);
    const limited = results[3].errors?.[0];
    expect(limited?.extensions?.code).toBe('RATE_LIMITED');
    expect(limited?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(await world.services.prisma.operationRun.count({ where: { tenantId: tenants[3] } })).toBe(0);
  });

  it('keeps budgets per user and never limits queries', async () => {
    expect((await world.gql(StartDirectorySync, { tenantId: ids.tenant('Elm') }, 'manager@contoso.test')).data?.result.__typename).toBe('StartAccepted');
    for (let i = 0; i < 5; i++) expect((await world.gql(MeAndTenants, {}, 'operator@contoso.test')).errors).toBeUndefined();
  });
});
