import { CREDENTIAL_BLOCKS } from '../../operations/block-reasons.js';
import type { JobContext, HandlerResult } from '../handler.js';

/** Re-checks the connection's credentials and records what the provider said. */
export async function checkProviderConnection(ctx: JobContext): Promise<HandlerResult> {
  const result = await ctx.provider.checkConnection(ctx.connection, ctx.call);
  await ctx.prisma.providerConnection.update({
    where: { id: ctx.connection.id },
    data: { credentialState: result.credentialState, checkedAt: new Date() },
  });
  if (result.credentialState === 'VALID')
    return { status: 'SUCCEEDED', summary: { total: 1, succeeded: 1, failed: 0, skipped: 0 } };
  return {
    status: 'FAILED',
    summary: { total: 1, succeeded: 0, failed: 1, skipped: 0 },
    reason: { code: CREDENTIAL_BLOCKS[result.credentialState] },
  };
}
