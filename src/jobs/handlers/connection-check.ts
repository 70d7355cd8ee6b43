import type { CredentialState } from '../../generated/prisma/enums.js';
import type { BlockReasonCode } from '../../gate/block-reasons.js';
import type { JobContext, HandlerResult } from '../handler.js';

const FAILED_STATE: Record<Exclude<CredentialState, 'VALID'>, BlockReasonCode> = {
  EXPIRED: 'PROVIDER_CREDENTIALS_EXPIRED',
  MISSING: 'PROVIDER_CREDENTIALS_MISSING',
  CONSENT_REQUIRED: 'PROVIDER_CONSENT_REQUIRED',
};

/** Re-checks the connection's credentials and records what the provider said. */
export async function checkProviderConnection(ctx: JobContext): Promise<HandlerResult> {
  const result = await ctx.provider.checkConnection(ctx.connection, ctx.call);
  await ctx.prisma.providerConnection.update({ where: { id: ctx.connection.id }, data: { credentialState: result.credentialState, checkedAt: new Date() } });
  if (result.credentialState === 'VALID') return { status: 'SUCCEEDED', summary: { total: 1, succeeded: 1, failed: 0, skipped: 0 } };
  return { status: 'FAILED', summary: { total: 1, succeeded: 0, failed: 1, skipped: 0 }, reason: { code: FAILED_STATE[result.credentialState] } };
}
