// Many active tenants at once, each with a valid simulated default connection (createMany, stable
// ids from a label): the cluster tests, the round-trip test and the bench seed them the same way.
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { stableId } from '../../src/seed/demo.js';

const key = (label: string) => label.toLowerCase();

/** The id of the `i`-th tenant that createTenants(…, `label`, …) makes. */
export const tenantIdOf = (label: string, i: number) => stableId(`${key(label)}-tenant:${i}`);

/** The id of the default connection of the `i`-th tenant that createTenants(…, `label`, …) makes. */
export const connectionIdOf = (label: string, i: number) => stableId(`${key(label)}-connection:${i}`);

/** `count` tenants "<label> 0000".. of `workspaceId`, each with its default connection; their ids. */
export async function createTenants(
  prisma: PrismaClient,
  workspaceId: string,
  label: string,
  count: number,
): Promise<string[]> {
  const tenantIds = Array.from({ length: count }, (_, i) => tenantIdOf(label, i));
  await prisma.tenant.createMany({
    data: tenantIds.map((id, i) => ({
      id,
      workspaceId,
      name: `${label} ${String(i).padStart(4, '0')}`,
      status: 'ACTIVE' as const,
      externalTenantId: stableId(`${key(label)}-entra:${i}`),
    })),
  });
  await prisma.providerConnection.createMany({
    data: tenantIds.map((tenantId, i) => ({
      id: connectionIdOf(label, i),
      tenantId,
      displayName: `${label} ${i} Graph`,
      provider: 'SIMULATED' as const,
      credentialState: 'VALID' as const,
      isDefault: true,
    })),
  });
  return tenantIds;
}
