// Connection management (docs/behaviour.md#previews-and-provider-connections): enable or disable a provider connection, and make
// one the tenant's default, the two next steps a blocked start most often points at
// (ENABLE_PROVIDER_CONNECTION, CHOOSE_DEFAULT_CONNECTION). Decided in the gate's order: NOT_FOUND,
// then FORBIDDEN (OWNER and MANAGER). A run pins its connection at admission, so neither change
// touches a run; after commit each publishes a tenant event, which live start previews recompute on.
import { randomUUID } from 'node:crypto';
import type { Viewer } from '../auth/viewer.js';
import { TENANT } from '../db/identifiers.js';
import { forbidden, isUuid, notFound } from '../errors.js';
import type { PrismaClient, ProviderConnection } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { CONNECTION_MANAGERS } from '../operations/catalogue.js';
import type { TenantChangedEvent } from '../realtime/bus.js';

export type TenantEventPublisher = { tenantChanged(event: TenantChangedEvent): Promise<void> };

export class ConnectionSettings {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: TenantEventPublisher,
    private readonly log: Logger,
  ) {}

  async setEnabled(viewer: Viewer, connectionId: string, enabled: boolean): Promise<ProviderConnection> {
    const target = await this.authorize(viewer, connectionId);
    const updated = await this.prisma.providerConnection.update({ where: { id: target.id }, data: { enabled } });
    await this.changed(target, enabled ? 'CONNECTION_ENABLED' : 'CONNECTION_DISABLED');
    return updated;
  }

  /**
   * One transaction: the old default unset, the new one set. At most one default per tenant is the
   * database's rule (ProviderConnection_one_default_per_tenant_key); switches on one tenant queue on
   * its row, so each unsets the default the one before it set instead of colliding with it.
   */
  async setDefault(viewer: Viewer, connectionId: string): Promise<ProviderConnection> {
    const target = await this.authorize(viewer, connectionId);
    const updated = await this.prisma.$transaction(async (tx) => {
      await tx.$queryRawUnsafe(
        `SELECT 1 FROM ${TENANT.t} WHERE ${TENANT.c('id')} = $1::uuid FOR NO KEY UPDATE`,
        target.tenantId,
      );
      await tx.providerConnection.updateMany({
        where: { tenantId: target.tenantId, isDefault: true, id: { not: target.id } },
        data: { isDefault: false },
      });
      return tx.providerConnection.update({ where: { id: target.id }, data: { isDefault: true } });
    });
    await this.changed(target, 'DEFAULT_CONNECTION_CHANGED');
    return updated;
  }

  private async authorize(viewer: Viewer, connectionId: string) {
    const found = isUuid(connectionId)
      ? await this.prisma.providerConnection.findUnique({
          where: { id: connectionId },
          select: { id: true, tenantId: true, tenant: { select: { workspaceId: true } } },
        })
      : null;
    const role = found ? viewer.roles.get(found.tenant.workspaceId) : undefined;
    if (!found || !role) throw notFound('Provider connection');
    if (!CONNECTION_MANAGERS.includes(role)) throw forbidden('manage provider connections');
    return { id: found.id, tenantId: found.tenantId, workspaceId: found.tenant.workspaceId };
  }

  /** The change is committed whatever happens here: a lost event costs live previews one push, not the change. */
  private async changed(target: { tenantId: string; workspaceId: string }, change: string): Promise<void> {
    try {
      await this.events.tenantChanged({
        id: randomUUID(),
        tenantId: target.tenantId,
        workspaceId: target.workspaceId,
        change,
      });
    } catch (err) {
      this.log.warn({ err, tenantId: target.tenantId, change }, 'tenant event not published');
    }
  }
}
