// The run status vocabulary, in one place: TypeScript, the plain-SQL builders and the tests read
// it from here. Its other copies are the WHERE clauses of two partial indexes, which must list
// ACTIVE_STATUSES: OperationRun_active_dedupeKey_key (prisma/migrations/20261126000000_init) and
// OperationRun_active_tenantId_idx (20261204120000_run_active_tenant_index).
import type { OperationRunStatus } from '../generated/prisma/enums.js';

/** A run that holds its dedupe target and protected scope. */
export const ACTIVE_STATUSES = ['QUEUED', 'RUNNING'] as const satisfies readonly OperationRunStatus[];
/** How an admitted run ends. */
export const END_STATUSES = [
  'SUCCEEDED',
  'PARTIALLY_SUCCEEDED',
  'FAILED',
  'CANCELLED',
] as const satisfies readonly OperationRunStatus[];
/** Every status a run never leaves: the ends of admitted runs, and BLOCKED (never admitted). */
export const TERMINAL_STATUSES = [...END_STATUSES, 'BLOCKED'] as const satisfies readonly OperationRunStatus[];

/** A run's flat summary counts (docs/behaviour.md#run-states-and-outcomes). */
export type Summary = { total: number; succeeded: number; failed: number; skipped: number };

export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
export type TerminalStatus = (typeof END_STATUSES)[number];

export const isActive = (status: OperationRunStatus): status is ActiveStatus =>
  (ACTIVE_STATUSES as readonly string[]).includes(status);
export const isTerminal = (status: OperationRunStatus): boolean =>
  (TERMINAL_STATUSES as readonly string[]).includes(status);
/** Ended well enough for a bootstrap to go on to its next step. */
export const isDone = (status: OperationRunStatus): boolean =>
  status === 'SUCCEEDED' || status === 'PARTIALLY_SUCCEEDED';

/** ACTIVE_STATUSES as a SQL list literal, for the plain-SQL hot path: `status IN ${SQL_ACTIVE}`. */
export const SQL_ACTIVE = `(${ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')})`;
