import { succeeded, type JobContext, type HandlerResult } from '../handler.js';

/** Upserts the tenant's directory groups and removes the ones the provider no longer lists. */
export async function syncDirectoryGroups(ctx: JobContext): Promise<HandlerResult> {
  const groups = await ctx.provider.listGroups(ctx.connection, ctx.call);
  const syncedAt = new Date();
  const tenantId = ctx.tenant.id;
  await ctx.prisma.$transaction(async (tx) => {
    for (const g of groups) {
      const data = { displayName: g.displayName, mail: g.mail, syncedAt };
      await tx.directoryGroup.upsert({ where: { tenantId_externalId: { tenantId, externalId: g.externalId } }, create: { tenantId, externalId: g.externalId, ...data }, update: data });
    }
    await tx.directoryGroup.deleteMany({ where: { tenantId, externalId: { notIn: groups.map((g) => g.externalId) } } });
  });
  return succeeded(groups.length);
}
