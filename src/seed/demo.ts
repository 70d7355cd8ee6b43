// The demo seed (docs/behaviour.md#demo-seed): `npm run db:seed` (prisma/seed.ts), and `npm start` on an
// empty database. Idempotent: every row has a stable id derived from its
// name, and re-seeding puts each demo fixture back into its documented state.
import { createHash } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { CredentialState, Provider, Role, TenantStatus } from '../generated/prisma/enums.js';

/** A stable UUID (v5 layout) for a seed fixture's name. */
export function stableId(name: string): string {
  const h = createHash('sha1').update(`atlas-gate-seed:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

type ConnectionSeed = { name: string; state: CredentialState; enabled?: boolean; isDefault?: boolean };
type TenantSeed = {
  name: string;
  status: TenantStatus;
  connections: ConnectionSeed[];
  restoreReady?: boolean;
  nightlySync?: boolean;
};

const USERS: { email: string; displayName: string; workspace: string; role: Role }[] = [
  { email: 'owner@contoso.test', displayName: 'Olivia Owner', workspace: 'Contoso MSP', role: 'OWNER' },
  { email: 'manager@contoso.test', displayName: 'Mateo Manager', workspace: 'Contoso MSP', role: 'MANAGER' },
  { email: 'operator@contoso.test', displayName: 'Oskar Operator', workspace: 'Contoso MSP', role: 'OPERATOR' },
  { email: 'reader@contoso.test', displayName: 'Rita Reader', workspace: 'Contoso MSP', role: 'READONLY' },
  { email: 'outsider@other.test', displayName: 'Otto Outsider', workspace: 'Other MSP', role: 'OWNER' },
];

const TENANTS: Record<string, TenantSeed[]> = {
  'Contoso MSP': [
    {
      name: 'Alpine',
      status: 'ACTIVE',
      connections: [{ name: 'Alpine Graph', state: 'VALID' }],
      restoreReady: true,
      nightlySync: true,
    },
    {
      name: 'Birch',
      status: 'ACTIVE',
      connections: [
        { name: 'Birch Graph (primary)', state: 'VALID', enabled: false },
        { name: 'Birch Graph (secondary)', state: 'VALID', isDefault: false },
      ],
    },
    { name: 'Cedar', status: 'ACTIVE', connections: [] },
    { name: 'Dune', status: 'ACTIVE', connections: [{ name: 'Dune Graph', state: 'CONSENT_REQUIRED' }] },
    { name: 'Elm', status: 'ONBOARDING', connections: [{ name: 'Elm Graph', state: 'VALID' }] },
    { name: 'Fir', status: 'ARCHIVED', connections: [{ name: 'Fir Graph', state: 'VALID' }] },
  ],
  'Other MSP': [{ name: 'Zephyr', status: 'ACTIVE', connections: [{ name: 'Zephyr Graph', state: 'VALID' }] }],
};

const RESTORE_ITEMS = [
  { kind: 'compliancePolicy', name: 'Windows 11 baseline' },
  { kind: 'compliancePolicy', name: 'iOS minimum OS' },
  { kind: 'configurationProfile', name: 'BitLocker' },
  { kind: 'configurationProfile', name: 'Defender for Endpoint' },
  { kind: 'conditionalAccessPolicy', name: 'Require MFA for admins' },
  { kind: 'conditionalAccessPolicy', name: 'Block legacy authentication' },
];

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
// A second starter waits for the first one's seed: Prisma's default 5 s / 2 s limits are tight on a busy machine.
const TX = { timeout: 60_000, maxWait: 60_000 };
const SEED_LOCK_KEY = 72_100_418; // arbitrary, stable: "atlas-gate seed" (next to the migrations' key)

/** The kind of the seeded connections: PROVIDER_MODE's (`simulated` by default). */
export type SeedOptions = { provider?: Provider };

export async function seedDemo(prisma: PrismaClient, options: SeedOptions = {}): Promise<void> {
  await prisma.$transaction((tx) => seedInto(tx, options), TX);
}

/** The provider kind of seeded connections for a PROVIDER_MODE. */
export const seededProvider = (mode: 'simulated' | 'graph'): Provider =>
  mode === 'graph' ? 'MICROSOFT_GRAPH' : 'SIMULATED';

/**
 * Seeds only an empty database, atomically: concurrent starters serialise on an advisory lock
 * held until commit, so the second sees the first one's rows and seeds nothing.
 */
export async function seedIfEmpty(prisma: PrismaClient, options: SeedOptions = {}): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1)', SEED_LOCK_KEY);
    if ((await tx.user.count()) > 0) return false;
    await seedInto(tx, options);
    return true;
  }, TX);
}

async function seedInto(tx: Tx, options: SeedOptions): Promise<void> {
  for (const workspace of Object.keys(TENANTS)) {
    const id = stableId(`workspace:${workspace}`);
    await tx.workspace.upsert({ where: { id }, create: { id, name: workspace }, update: { name: workspace } });
  }
  for (const u of USERS) {
    const userId = stableId(`user:${u.email}`);
    const workspaceId = stableId(`workspace:${u.workspace}`);
    await tx.user.upsert({
      where: { id: userId },
      create: { id: userId, email: u.email, displayName: u.displayName },
      update: { email: u.email, displayName: u.displayName },
    });
    await tx.membership.upsert({
      where: { userId_workspaceId: { userId, workspaceId } },
      create: { userId, workspaceId, role: u.role },
      update: { role: u.role },
    });
  }
  for (const [workspace, tenants] of Object.entries(TENANTS)) {
    for (const t of tenants) {
      const tenantId = stableId(`tenant:${workspace}:${t.name}`);
      const data = {
        name: t.name,
        status: t.status,
        externalTenantId: stableId(`entra:${t.name}`),
        workspaceId: stableId(`workspace:${workspace}`),
      };
      await tx.tenant.upsert({ where: { id: tenantId }, create: { id: tenantId, ...data }, update: data });
      // One default per tenant (a unique index): first demote any other default, e.g. one a
      // test or an operator added, so upserting the seeded default cannot collide with it.
      const seededDefault = t.connections.find((c) => c.isDefault ?? true);
      await tx.providerConnection.updateMany({
        where: {
          tenantId,
          isDefault: true,
          ...(seededDefault ? { id: { not: stableId(`connection:${t.name}:${seededDefault.name}`) } } : {}),
        },
        data: { isDefault: false },
      });
      for (const c of t.connections) {
        const id = stableId(`connection:${t.name}:${c.name}`);
        const row = {
          tenantId,
          displayName: c.name,
          enabled: c.enabled ?? true,
          credentialState: c.state,
          isDefault: c.isDefault ?? true,
          clientId: stableId(`app:${c.name}`),
          provider: options.provider ?? 'SIMULATED',
        };
        await tx.providerConnection.upsert({ where: { id }, create: { id, ...row }, update: row });
      }
      if (t.restoreReady) {
        const id = stableId(`restore:${t.name}:baseline`);
        const row = { tenantId, name: `${t.name} baseline policies`, status: 'READY' as const, items: RESTORE_ITEMS };
        await tx.restoreRun.upsert({ where: { id }, create: { id, ...row }, update: row });
      }
      if (t.nightlySync) {
        // The nightly group sync (docs/behaviour.md#schedules); a worker's start-up reconcile creates
        // its job scheduler in Redis.
        const id = stableId(`schedule:${t.name}:nightly-group-sync`);
        const row = {
          tenantId,
          type: 'DIRECTORY_GROUPS_SYNC' as const,
          cron: '0 2 * * *',
          timezone: 'UTC',
          enabled: true,
          providerConnectionId: null,
          deletedAt: null,
        };
        await tx.schedule.upsert({ where: { id }, create: { id, ...row }, update: row });
      }
    }
  }
}

/** How many demo users the seed writes (for the CLI's report). */
export const DEMO_USER_COUNT = USERS.length;
