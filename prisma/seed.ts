// The demo seed (CONTRACT.md section 6). Idempotent: every row has a stable id derived from its
// name, and re-seeding puts each demo fixture back into its documented state.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import type { CredentialState, Role, TenantStatus } from '../src/generated/prisma/enums.js';

/** A stable UUID (v5 layout) for a seed fixture's name. */
export function stableId(name: string): string {
  const h = createHash('sha1').update(`atlas-gate-seed:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

type ConnectionSeed = { name: string; state: CredentialState; enabled?: boolean; isDefault?: boolean };
type TenantSeed = { name: string; status: TenantStatus; connections: ConnectionSeed[]; restoreReady?: boolean };

const USERS: { email: string; displayName: string; workspace: string; role: Role }[] = [
  { email: 'owner@contoso.test', displayName: 'Olivia Owner', workspace: 'Contoso MSP', role: 'OWNER' },
  { email: 'manager@contoso.test', displayName: 'Mateo Manager', workspace: 'Contoso MSP', role: 'MANAGER' },
  { email: 'operator@contoso.test', displayName: 'Oskar Operator', workspace: 'Contoso MSP', role: 'OPERATOR' },
  { email: 'reader@contoso.test', displayName: 'Rita Reader', workspace: 'Contoso MSP', role: 'READONLY' },
  { email: 'outsider@other.test', displayName: 'Otto Outsider', workspace: 'Other MSP', role: 'OWNER' },
];

const TENANTS: Record<string, TenantSeed[]> = {
  'Contoso MSP': [
    { name: 'Alpine', status: 'ACTIVE', connections: [{ name: 'Alpine Graph', state: 'VALID' }], restoreReady: true },
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

export async function seedDemo(prisma: PrismaClient): Promise<void> {
  await prisma.$transaction(async (tx) => {
    for (const workspace of Object.keys(TENANTS)) {
      const id = stableId(`workspace:${workspace}`);
      await tx.workspace.upsert({ where: { id }, create: { id, name: workspace }, update: { name: workspace } });
    }
    for (const u of USERS) {
      const userId = stableId(`user:${u.email}`);
      const workspaceId = stableId(`workspace:${u.workspace}`);
      await tx.user.upsert({ where: { id: userId }, create: { id: userId, email: u.email, displayName: u.displayName }, update: { email: u.email, displayName: u.displayName } });
      await tx.membership.upsert({
        where: { userId_workspaceId: { userId, workspaceId } },
        create: { userId, workspaceId, role: u.role },
        update: { role: u.role },
      });
    }
    for (const [workspace, tenants] of Object.entries(TENANTS)) {
      for (const t of tenants) {
        const tenantId = stableId(`tenant:${workspace}:${t.name}`);
        const data = { name: t.name, status: t.status, externalTenantId: stableId(`entra:${t.name}`), workspaceId: stableId(`workspace:${workspace}`) };
        await tx.tenant.upsert({ where: { id: tenantId }, create: { id: tenantId, ...data }, update: data });
        for (const c of t.connections) {
          const id = stableId(`connection:${t.name}:${c.name}`);
          const row = {
            tenantId,
            displayName: c.name,
            enabled: c.enabled ?? true,
            credentialState: c.state,
            isDefault: c.isDefault ?? true,
            clientId: stableId(`app:${c.name}`),
          };
          await tx.providerConnection.upsert({ where: { id }, create: { id, ...row }, update: row });
        }
        if (t.restoreReady) {
          const id = stableId(`restore:${t.name}:baseline`);
          const row = { tenantId, name: `${t.name} baseline policies`, status: 'READY' as const, items: RESTORE_ITEMS };
          await tx.restoreRun.upsert({ where: { id }, create: { id, ...row }, update: row });
        }
      }
    }
  });
}

export async function isEmpty(prisma: PrismaClient): Promise<boolean> {
  return (await prisma.user.count()) === 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { loadConfig } = await import('../src/config.js');
  const { ensureDatabase, migrate } = await import('../src/db/migrate.js');
  const { createPrisma } = await import('../src/db/prisma.js');
  const config = loadConfig();
  await ensureDatabase(config.DATABASE_URL);
  await migrate(config.DATABASE_URL);
  const prisma = createPrisma(config.DATABASE_URL, 2);
  await seedDemo(prisma);
  console.log('seeded demo data: workspaces Contoso MSP and Other MSP, 5 users, 7 tenants');
  await prisma.$disconnect();
}
