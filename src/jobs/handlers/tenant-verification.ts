import type { JobContext, HandlerResult } from '../handler.js';

/** Stores the provider's verification report on the tenant; each failed check counts as failed. */
export async function verifyTenant(ctx: JobContext): Promise<HandlerResult> {
  const report = await ctx.provider.verifyTenant(ctx.connection, ctx.call);
  await ctx.prisma.tenant.update({
    where: { id: ctx.tenant.id },
    data: { verificationReport: report, verifiedAt: new Date() },
  });
  const passed = report.checks.filter((c) => c.passed).length;
  const failed = report.checks.length - passed;
  return {
    status: failed === 0 ? 'SUCCEEDED' : passed === 0 ? 'FAILED' : 'PARTIALLY_SUCCEEDED',
    summary: { total: report.checks.length, succeeded: passed, failed, skipped: 0 },
    ...(failed ? { reason: { code: 'VERIFICATION_CHECKS_FAILED' as const } } : {}),
  };
}
