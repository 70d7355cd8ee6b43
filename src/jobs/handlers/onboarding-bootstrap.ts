import { operation } from '../../operations/catalogue.js';
import { isDone } from '../../operations/status.js';
import type { JobContext, HandlerResult } from '../handler.js';

/**
 * Runs the bootstrap's steps one at a time, in order, while the parent run holds the tenant's
 * protected scope. A failed step stops the chain: the parent fails naming the step, and the
 * later steps are cancelled with it. Steps already done (a job resumed after a lost worker) are not re-run.
 */
export async function runOnboardingBootstrap(ctx: JobContext): Promise<HandlerResult> {
  const steps = await ctx.steps();
  let done = 0;
  for (const step of steps) {
    // Cancelled between steps, or during one (the step ends CANCELLED with its counts so far): the
    // executor cancels the steps not run yet, and the tenant stays ONBOARDING.
    if (ctx.signal.aborted) return cancelled(steps.length, done);
    const ended = isDone(step.status) ? step : await ctx.executeStep(step.id);
    if (ended.status === 'CANCELLED' || ctx.signal.aborted) return cancelled(steps.length, done);
    if (!isDone(ended.status)) {
      // The steps after it are cancelled with the bootstrap's end, naming it (RunLifecycle.finish).
      const label = operation(step.type).label;
      return {
        status: 'FAILED',
        summary: { total: steps.length, succeeded: done, failed: 1, skipped: steps.length - done - 1 },
        reason: { code: 'BOOTSTRAP_STEP_FAILED', step: label },
      };
    }
    done++;
  }
  await ctx.prisma.tenant.updateMany({
    where: { id: ctx.tenant.id, status: 'ONBOARDING' },
    data: { status: 'ACTIVE' },
  });
  return { status: 'SUCCEEDED', summary: { total: steps.length, succeeded: done, failed: 0, skipped: 0 } };
}

const cancelled = (total: number, done: number): HandlerResult => ({
  status: 'CANCELLED',
  summary: { total, succeeded: done, failed: 0, skipped: 0 },
});
