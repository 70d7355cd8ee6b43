import { succeeded, type JobContext, type HandlerResult } from '../handler.js';
import { replaceDirectoryRows } from './directory-rows.js';

/** Upserts the tenant's directory groups and removes the ones the provider no longer lists. */
export async function syncDirectoryGroups(ctx: JobContext): Promise<HandlerResult> {
  const groups = await ctx.provider.listGroups(ctx.connection, ctx.call);
  await replaceDirectoryRows(ctx.prisma, 'DirectoryGroup', ctx.tenant.id, groups, {
    displayName: (g) => g.displayName,
    mail: (g) => g.mail,
  });
  return succeeded(groups.length);
}
