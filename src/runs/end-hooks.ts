// What else changes, in the same transaction, when a run of a given type ends. Type-specific
// side tables live here, not in RunLifecycle's state machine: a new type with a side table adds
// one entry.
import { RESTORE } from '../db/identifiers.js';
import type { SqlTx } from '../db/sql.js';
import type { OperationRun } from '../generated/prisma/client.js';
import type { OperationType, RestoreRunStatus } from '../generated/prisma/enums.js';

export type EndHook = (tx: SqlTx, run: OperationRun) => Promise<void>;

/**
 * The restore run after its execution (docs/behaviour.md#cancelling-a-run): COMPLETED, PARTIALLY_COMPLETED or
 * FAILED by the items' own results; an execution that ended for another reason (cancelled, the
 * pre-execute guard, a dispatch failure, a lost worker, a connection-wide provider error) leaves
 * it READY when no item was applied, PARTIALLY_COMPLETED when some were (the count is saved as
 * items complete).
 */
export function restoreOutcome(run: Pick<OperationRun, 'status' | 'reasonCode' | 'succeeded'>): RestoreRunStatus {
  if (run.status === 'SUCCEEDED') return 'COMPLETED';
  if (run.status === 'PARTIALLY_SUCCEEDED') return 'PARTIALLY_COMPLETED';
  if (run.status === 'FAILED' && run.reasonCode === 'RESTORE_ITEMS_FAILED') return 'FAILED';
  return run.succeeded > 0 ? 'PARTIALLY_COMPLETED' : 'READY';
}

export const END_HOOKS: Partial<Record<OperationType, EndHook>> = {
  RESTORE_EXECUTE: async (tx, run) => {
    if (!run.restoreRunId) return;
    await tx.query(`UPDATE ${RESTORE.t} SET ${RESTORE.c('status')} = $2 WHERE ${RESTORE.c('id')} = $1`, [
      run.restoreRunId,
      restoreOutcome(run),
    ]);
  },
};
