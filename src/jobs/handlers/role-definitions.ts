import { succeeded, type JobContext, type HandlerResult } from '../handler.js';
import { replaceDirectoryRows } from './directory-rows.js';

/** Upserts the tenant's directory role definitions and removes stale ones. */
export async function syncRoleDefinitions(ctx: JobContext): Promise<HandlerResult> {
  const roles = await ctx.provider.listRoleDefinitions(ctx.connection, ctx.call);
  await replaceDirectoryRows(ctx.prisma, 'RoleDefinition', ctx.tenant.id, roles, {
    displayName: (r) => r.displayName,
    isBuiltIn: (r) => r.isBuiltIn,
  });
  return succeeded(roles.length);
}
