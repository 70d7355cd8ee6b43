// What else changes, in the same transaction, when a run of a given type ends. Type-specific
// side tables live here, not in RunLifecycle's state machine: a new type with a side table adds
// one entry.
import { RESTORE } from '../db/identifiers.js';
import type { SqlTx } from '../db/sql.js';
import type { OperationRun } from '../generated/prisma/client.js';
import type { OperationType, RestoreRunStatus } from '../generated/prisma/enums.js';
import type { TerminalStatus } from '../operations/status.js';

export type EndHook = (tx: SqlTx, run: OperationRun) => Promise<void>;

const RESTORE_OUTCOME: Record<TerminalStatus, RestoreRunStatus> = {
  SUCCEEDED: 'COMPLETED',
  PARTIALLY_SUCCEEDED: 'PARTIALLY_COMPLETED',
  FAILED: 'FAILED',
  CANCELLED: 'FAILED',
};

export const END_HOOKS: Partial<Record<OperationType, EndHook>> = {
  /** The restore run leaves READY with the outcome of its execution (CONTRACT.md section 3). */
  RESTORE_EXECUTE: async (tx, run) => {
    if (!run.restoreRunId) return;
    await tx.query(`UPDATE ${RESTORE.t} SET ${RESTORE.c('status')} = $2 WHERE ${RESTORE.c('id')} = $1`, [
      run.restoreRunId,
      RESTORE_OUTCOME[run.status as TerminalStatus],
    ]);
  },
};
