import { succeeded, type JobContext, type HandlerResult } from '../handler.js';

/** Upserts the tenant's directory role definitions and removes stale ones. */
export async function syncRoleDefinitions(ctx: JobContext): Promise<HandlerResult> {
  const roles = await ctx.provider.listRoleDefinitions(ctx.connection, ctx.call);
  const syncedAt = new Date();
  const tenantId = ctx.tenant.id;
  await ctx.prisma.$transaction(async (tx) => {
    for (const r of roles) {
      const data = { displayName: r.displayName, isBuiltIn: r.isBuiltIn, syncedAt };
      await tx.roleDefinition.upsert({ where: { tenantId_externalId: { tenantId, externalId: r.externalId } }, create: { tenantId, externalId: r.externalId, ...data }, update: data });
    }
    await tx.roleDefinition.deleteMany({ where: { tenantId, externalId: { notIn: roles.map((r) => r.externalId) } } });
  });
  return succeeded(roles.length);
}
