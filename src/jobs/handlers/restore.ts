import { z } from 'zod';
import { ProviderError, type RestoreItem } from '../../providers/provider.js';
import type { JobContext, HandlerResult } from '../handler.js';

const Items = z.array(
  z.object({ kind: z.string(), name: z.string(), payload: z.record(z.string(), z.unknown()).optional() }),
);

/**
 * Applies each backed-up item in order and counts per-item results: some failures make the run
 * PARTIALLY_SUCCEEDED, not FAILED. A transient error is not an item's failure: it is rethrown
 * so the whole run is retried with backoff.
 *
 * Never twice into a customer's tenant: items are applied in order and the counts are saved after
 * each one (ctx.progress waits out a database outage rather than lose a count), so the counts a
 * later attempt finds on the run (after a transient error, a lost database or a killed worker) are
 * the items already dealt with, and it resumes after them.
 */
export async function executeRestore(ctx: JobContext): Promise<HandlerResult> {
  const items: RestoreItem[] = Items.parse(ctx.restoreRun?.items ?? []);
  const { succeeded, failed, skipped } = ctx.run;
  const summary = { total: items.length, succeeded, failed, skipped };
  for (const item of items.slice(succeeded + failed + skipped)) {
    // A safe point: a cancelled restore stops between items and reports what it applied.
    if (ctx.signal.aborted) return { status: 'CANCELLED', summary };
    try {
      const result = await ctx.provider.applyRestoreItem(ctx.connection, item, ctx.call);
      summary[result === 'applied' ? 'succeeded' : 'skipped']++;
      await ctx.progress(summary);
    } catch (err) {
      if (!(err instanceof ProviderError) || err.transient || isConnectionWide(err)) throw err;
      ctx.log.warn({ item: item.name, code: err.code }, 'restore item failed');
      summary.failed++;
      await ctx.progress(summary);
    }
  }
  if (summary.failed === 0) return { status: 'SUCCEEDED', summary };
  if (summary.failed === summary.total) return { status: 'FAILED', summary, reason: { code: 'RESTORE_ITEMS_FAILED' } };
  return { status: 'PARTIALLY_SUCCEEDED', summary, reason: { code: 'RESTORE_ITEMS_PARTIALLY_FAILED' } };
}

/** Errors about the connection itself fail every item the same way: end the run with that reason. */
const isConnectionWide = (err: ProviderError) => err.code !== 'PROVIDER_ERROR';
