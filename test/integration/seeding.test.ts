// The demo seed and the one-default-connection rule: two processes starting on the same empty
// database seed it exactly once; a tenant never has two default connections, and re-seeding
// puts the demo defaults back even when someone moved them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo, seedIfEmpty } from '../../src/seed/demo.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createTestDatabase } from '../support/databases.js';
import { createWorld, ids, type World } from '../support/world.js';

// docs/behaviour.md#demo-seed / README "Demo seed": 2 workspaces, 5 users (one membership each), 7 tenants,
// connections Alpine 1, Birch 2, Cedar 0, Dune 1, Elm 1, Fir 1, Zephyr 1, and Alpine's restore run.
const SEEDED = { workspaces: 2, users: 5, memberships: 5, tenants: 7, connections: 7, restoreRuns: 1 };

async function counts(prisma: PrismaClient) {
  return {
    workspaces: await prisma.workspace.count(),
    users: await prisma.user.count(),
    memberships: await prisma.membership.count(),
    tenants: await prisma.tenant.count(),
    connections: await prisma.providerConnection.count(),
    restoreRuns: await prisma.restoreRun.count(),
  };
}

describe('seeding an empty database on start', () => {
  it('two processes starting at once: exactly one seeds, neither fails, every row once', async () => {
    for (let round = 0; round < 3; round++) {
      const db = await createTestDatabase(); // migrated, not seeded
      // Two processes: separate pools and clients.
      const [a, b] = [createPrisma(db.url, 2), createPrisma(db.url, 2)];
      try {
        const results = await Promise.all([seedIfEmpty(a), seedIfEmpty(b)]);
        expect(results.sort()).toEqual([false, true]);
        expect(await counts(a)).toEqual(SEEDED);
        // A later start on the seeded database seeds nothing.
        expect(await seedIfEmpty(b)).toBe(false);
        expect(await counts(b)).toEqual(SEEDED);
      } finally {
        await Promise.all([a.$disconnect(), b.$disconnect()]);
        await db.drop();
      }
    }
  });
});

describe('one default provider connection per tenant', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });
  afterAll(async () => world?.close());

  const ALPINE = ids.tenant('Alpine');
  const BIRCH = ids.tenant('Birch');

  it('a second default on a tenant is refused by the database; a non-default, or a first default elsewhere, is not', async () => {
    const prisma = world.services.prisma;
    await expect(
      prisma.providerConnection.create({
        data: {
          tenantId: ALPINE,
          displayName: 'Alpine Graph (second default)',
          isDefault: true,
          credentialState: 'VALID',
        },
      }),
    ).rejects.toMatchObject({ code: 'P2002' });
    const extra = await prisma.providerConnection.create({
      data: { tenantId: ALPINE, displayName: 'Alpine Graph (spare)', isDefault: false },
    });
    const cedar = await prisma.providerConnection.create({
      data: { tenantId: ids.tenant('Cedar'), displayName: 'Cedar Graph', isDefault: true },
    });
    // Promoting the spare while the seeded default still is one: refused as well.
    await expect(
      prisma.providerConnection.update({ where: { id: extra.id }, data: { isDefault: true } }),
    ).rejects.toMatchObject({ code: 'P2002' });
    await prisma.providerConnection.deleteMany({ where: { id: { in: [extra.id, cedar.id] } } });
    const defaults = await prisma.providerConnection.groupBy({
      by: ['tenantId'],
      where: { isDefault: true },
      _count: true,
    });
    expect(defaults.every((d) => d._count === 1)).toBe(true);
  });

  it('re-seeding restores the demo defaults after they were moved, also to a connection the seed does not know', async () => {
    const prisma = world.services.prisma;
    const birchPrimary = ids.connection('Birch', 'Birch Graph (primary)');
    const birchSecondary = ids.connection('Birch', 'Birch Graph (secondary)');
    const alpineGraph = ids.connection('Alpine', 'Alpine Graph');
    // Birch: the default moved to the secondary; Alpine: to a new connection.
    await prisma.providerConnection.update({ where: { id: birchPrimary }, data: { isDefault: false } });
    await prisma.providerConnection.update({ where: { id: birchSecondary }, data: { isDefault: true } });
    await prisma.providerConnection.update({ where: { id: alpineGraph }, data: { isDefault: false } });
    const added = await prisma.providerConnection.create({
      data: { tenantId: ALPINE, displayName: 'Alpine Graph (operator)', isDefault: true },
    });
    try {
      await seedDemo(prisma);
      const defaultOf = async (tenantId: string) =>
        (await prisma.providerConnection.findMany({ where: { tenantId, isDefault: true } })).map((c) => c.id);
      expect(await defaultOf(BIRCH)).toEqual([birchPrimary]);
      expect(await defaultOf(ALPINE)).toEqual([alpineGraph]);
    } finally {
      await prisma.providerConnection.delete({ where: { id: added.id } });
    }
  });
});
